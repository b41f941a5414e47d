"""``notes login`` in scoped mode: the sign-in page in a browser, its answer on a loopback port.

The authorization code flow with PKCE (S256) as a native app runs it: the CLI listens on
``CALLBACK_URL`` (the one callback the pool allows the cli and readOnly clients) before it opens
the sign-in page; the page sends the browser back there with the code and the state; and the code
is exchanged at the token endpoint while the browser waits, so that the page the browser shows
last says how the sign-in really ended.

Any page the browser visits may send a request to the loopback callback. Only an answer carrying
this login's ``state`` ends the wait; any other is answered with a page saying it was ignored, and
the command keeps waiting for the sign-in it started (RFC 8252 8.9, RFC 6749 10.12).
"""

from __future__ import annotations

import base64
import errno
import hashlib
import html
import secrets
import threading
import time
import webbrowser
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import click

from notes_cli.cognito import TokenEndpoint
from notes_cli.credentials import Session
from notes_cli.errors import CliError

CALLBACK_HOST = "127.0.0.1"
CALLBACK_PORT = 8976
CALLBACK_PATH = "/callback"
CALLBACK_URL = f"http://{CALLBACK_HOST}:{CALLBACK_PORT}{CALLBACK_PATH}"
LOGIN_TIMEOUT_SECONDS = 300
# How long the loopback server waits for a connection's request (a browser may open spare ones).
REQUEST_TIMEOUT_SECONDS = 10

# What the browser is answered: status, title, text.
Page = tuple[int, str, str]
IGNORED: Page = (
    400,
    "Not this sign-in",
    "This answer does not carry the state of the sign-in notes login is waiting for, so it was "
    "ignored: notes login is still waiting. Finish the sign-in it opened, or run notes login again.",
)

# What to do when no browser starts: the page's answer comes back to this machine's loopback port,
# so the address must be opened in a browser here, or in one whose machine forwards that port.
NO_BROWSER = (
    "No browser could be started here (BROWSER names one). Open the address above in a browser on "
    f"this machine: the sign-in comes back to {CALLBACK_URL}. From another machine, forward the port "
    f"first (ssh -L {CALLBACK_PORT}:{CALLBACK_HOST}:{CALLBACK_PORT} THIS-MACHINE), then open it there."
)


class Cancelled(CliError):
    """Ctrl-C while waiting for the sign-in; exits as an interrupted command does."""

    exit_code = 130


def pkce_pair() -> tuple[str, str]:
    """A new PKCE code verifier and its S256 challenge."""
    verifier = secrets.token_urlsafe(64)  # 86 characters, within the 43 to 128 allowed
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class Outcome:
    """What the one callback of this login's ``state`` led to: a session or an error, once it has come."""

    def __init__(self, state: str) -> None:
        self._state = state
        self._done = threading.Event()
        self._claimed = threading.Lock()
        self.session: Session | None = None
        self.error: CliError | None = None

    def ours(self, query: dict[str, str]) -> bool:
        """True when the callback's query carries this login's state (else it is not its answer)."""
        return secrets.compare_digest(query.get("state", "").encode(), self._state.encode())

    def claim(self) -> bool:
        """True for the first callback of this login only: the sign-in is one-shot."""
        return self._claimed.acquire(blocking=False)

    def finish(self) -> None:
        """The callback has been answered: the command may go on."""
        self._done.set()

    def wait(self, seconds: float) -> bool:
        return self._done.wait(seconds)

    def result(self) -> Session:
        if self.error is not None:
            raise self.error
        if self.session is None:
            raise CliError("the sign-in ended without a session")
        return self.session


class CallbackServer(ThreadingHTTPServer):
    """The loopback server that receives the sign-in's answer at ``CALLBACK_PATH``."""

    daemon_threads = True

    def __init__(self, answer: Callable[[dict[str, str]], Page], outcome: Outcome) -> None:
        self.answer = answer
        self.outcome = outcome
        super().__init__((CALLBACK_HOST, CALLBACK_PORT), CallbackHandler)

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a browser that hangs up early is no reason for a traceback on the terminal


class CallbackHandler(BaseHTTPRequestHandler):
    """Answers ``GET /callback?code=…&state=…`` of this login once; another state is ignored;
    anything else is not found."""

    server: CallbackServer
    timeout = REQUEST_TIMEOUT_SECONDS

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path != CALLBACK_PATH:
            self._page((404, "Not found", "Nothing here: the sign-in answers at /callback."))
            return
        query = {name: values[0] for name, values in parse_qs(parts.query, keep_blank_values=True).items()}
        if not self.server.outcome.ours(query):
            click.echo(
                "Ignored a request to the callback without this login's state; still waiting...", err=True
            )
            self._page(IGNORED)
            return
        if not self.server.outcome.claim():
            self._page((409, "Sign-in over", "This sign-in has already ended: see the terminal."))
            return
        try:
            page = self.server.answer(query)
        except Exception as error:
            self.server.outcome.error = CliError(f"unexpected error ({type(error).__name__}): {error}")
            page = (500, "Sign-in failed", "Not signed in: something went wrong. See the terminal.")
        try:
            self._page(page)  # sent before the command goes on
        finally:
            self.server.outcome.finish()

    def log_message(self, format: str, *args: object) -> None:
        pass  # the terminal shows the command's own lines only

    def _page(self, page: Page) -> None:
        status, title, text = page
        body = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)} · notes</title></head>"
            '<body style="font:16px system-ui,sans-serif;max-width:32rem;margin:3rem auto">'
            f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>"
        ).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()


def sign_in(
    endpoint: TokenEndpoint,
    scope: str,
    *,
    read_only: bool = False,
    login_hint: str | None = None,
) -> Session:
    """Sign in through the browser; the new session. Raises CliError for every way it can fail."""
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(24)
    outcome = Outcome(state)

    def answer(query: dict[str, str]) -> Page:
        try:
            outcome.session = _complete(endpoint, query, verifier, read_only)
        except CliError as failure:
            outcome.error = failure
            return (400, "Sign-in failed", f"Not signed in: {failure.message}. See the terminal.")
        return (200, "Signed in", f"Signed in as {outcome.session.email}: you can close this tab.")

    server = _listen(answer, outcome)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    limit = LOGIN_TIMEOUT_SECONDS
    try:
        deadline = time.monotonic() + limit
        url = endpoint.authorize_url(CALLBACK_URL, scope, state, challenge, login_hint)
        click.echo(f"Open this address to sign in: {url}")
        if not _open(url):
            click.echo(NO_BROWSER)
        click.echo(f"Waiting for the sign-in (up to {_duration(limit)}; Ctrl-C cancels)...")
        if not outcome.wait(max(0.0, deadline - time.monotonic())):
            raise CliError(f"no sign-in within {_duration(limit)}: not logged in; run notes login again")
    except KeyboardInterrupt:
        raise Cancelled("login cancelled: not logged in") from None
    finally:
        server.shutdown()
        server.server_close()
        thread.join(REQUEST_TIMEOUT_SECONDS)
    return outcome.result()


def _complete(endpoint: TokenEndpoint, query: dict[str, str], verifier: str, read_only: bool) -> Session:
    """The session the callback's query (its state checked already) leads to; raises CliError when
    it leads to none."""
    if query.get("error"):
        description = query.get("error_description")
        said = f"{query['error']}: {description}" if description else query["error"]
        raise CliError(f"the sign-in page refused the sign-in ({said}): not logged in")
    code = query.get("code")
    if not code:
        raise CliError("the sign-in's answer carries no code: not logged in; run notes login again")
    return endpoint.exchange(code, CALLBACK_URL, verifier, read_only=read_only)


def _listen(answer: Callable[[dict[str, str]], Page], outcome: Outcome) -> CallbackServer:
    try:
        return CallbackServer(answer, outcome)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise CliError(
                f"port {CALLBACK_PORT} is in use: notes login needs it for the sign-in's answer "
                f"({CALLBACK_URL}); is another notes login running? Stop what uses the port and try again"
            ) from error
        raise CliError(
            f"cannot listen on {CALLBACK_HOST}:{CALLBACK_PORT}: {error.strerror or error}"
        ) from error


def _open(url: str) -> bool:
    """Open ``url`` in the browser that ``BROWSER`` (or the system) names; False when none started."""
    try:
        return webbrowser.open(url)
    except webbrowser.Error:
        return False


def _duration(seconds: float) -> str:
    if seconds >= 60 and seconds % 60 == 0:
        minutes = int(seconds // 60)
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds:g} second{'s' if seconds != 1 else ''}"
