"""The sign-in pages (sign in, sign up, confirm, an error), and the headers they are sent with.

Each page is a Jinja2 template of ``templates/`` rendered with autoescaping: every value (an
email, an error, the authorize request each form carries) is text in the page, never markup. The
pages need no script and no stylesheet of their own: the Content-Security-Policy allows their one
inline style, and forms posting to the page itself and to the client's callback.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import jinja2
from flask import Response, request, session

from contract.passwords import PasswordPolicy, listing

PAGE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
# The authorize request's parameters, carried by each form of the sign-in pages.
AUTHORIZE_PARAMETERS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "nonce",
    "prompt",
)
TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("local_stack.oauth", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    # The templates are the package's own files: read and compiled once, never checked for changes
    # (no stat of each page's templates at every request).
    auto_reload=False,
)


@dataclass(frozen=True)
class OtherForm:
    """The link from one credentials form to the other."""

    question: str
    path: str
    link: str


TO_SIGN_UP = OtherForm("New here?", "/signup", "Sign up")
TO_SIGN_IN = OtherForm("Have an account?", "/oauth2/authorize", "Sign in")


def sign_in_page(base: str, error: str = "", email: str = "", status: int = 200) -> Response:
    return _credentials_page(base, "Sign in", "/login", "current-password", TO_SIGN_UP, error, email, status)


def sign_up_page(
    base: str, policy: PasswordPolicy, error: str = "", email: str = "", status: int = 200
) -> Response:
    rules = [rule.listed for rule in policy.rules()]
    return _credentials_page(
        base, "Sign up", "/signup", "new-password", TO_SIGN_IN, error, email, status, rules
    )


def _credentials_page(
    base: str,
    title: str,
    action: str,
    password_use: str,
    other: OtherForm,
    error: str,
    email: str,
    status: int,
    rules: list[str] | None = None,
) -> Response:
    """A form of an email and a password, posting to ``action``, with a link to the other form;
    ``rules``: the password's, listed under it."""
    carried = _carried()
    return _page(
        "credentials.html",
        status,
        _form_action(),
        title=title,
        base=base,
        action=action,
        password_use=password_use,
        other=other,
        query=urlencode(carried),
        error=error,
        email=email,
        rules=rules or [],
        **_hidden_fields(carried),
    )


def confirm_page(base: str, email: str, error: str = "", status: int = 200) -> Response:
    return _page(
        "confirm.html",
        status,
        _form_action(),
        title="Confirm your account",
        base=base,
        email=email,
        error=error,
        **_hidden_fields(_carried()),
    )


def error_page(title: str, error: str, status: int = 400) -> Response:
    return _page("error.html", status, title=title, error=error)


def csrf_ok() -> bool:
    """Whether the posted form carries the CSRF token the session's pages gave it."""
    expected = session.get("csrf")
    return bool(expected) and secrets.compare_digest(str(expected), request.form.get("csrf") or "")


def sign_up_refusal(error: Exception, policy: PasswordPolicy, password: str) -> str:
    """The pool's refusal of a sign-up, in words for the person who typed it."""
    kind = type(error).__name__
    if kind == "UsernameExistsException":
        return "An account with this email already exists: sign in with it, or sign up with another email."
    if kind == "InvalidPasswordException":
        missing = [rule.brief for rule in policy.missing(password)]
        if missing:
            return f"This password cannot be used: it needs {listing(missing)}."
        return "This password cannot be used: choose another that follows the rules below."
    if kind == "InvalidParameterException":
        return "This email cannot be used: check it, and try again."
    return "The account could not be created: try again in a moment."


def _carried() -> list[tuple[str, str]]:
    """The authorize request's parameters this request holds, for the next form to carry on."""
    values = request.values  # once: each use of ``request`` goes through Flask's context
    return [(name, value) for name in AUTHORIZE_PARAMETERS if (value := values.get(name)) is not None]


def _hidden_fields(carried: list[tuple[str, str]]) -> dict[str, Any]:
    """The hidden fields of a sign-in form: the form's CSRF token, and the authorize request
    (``carried``)."""
    return {"csrf": session.setdefault("csrf", secrets.token_urlsafe(24)), "carried": carried}


def _form_action() -> str:
    """The sign-in pages' form-action: the page itself, and where its forms' answers redirect.

    A browser checks form-action on every redirect a form's answer makes, so the redirect to the
    client's callback (already checked against the client's CallbackURLs) must be allowed too.
    """
    target = urlsplit(request.values.get("redirect_uri") or "")
    allowed = target.scheme in ("http", "https") and all(c not in target.netloc for c in " ;,'\"")
    return f"form-action 'self' {target.scheme}://{target.netloc}" if allowed and target.netloc else ""


def _page(template: str, status: int, form_action: str = "", **context: Any) -> Response:
    answer = Response(TEMPLATES.get_template(template).render(context), status, mimetype="text/html")
    answer.headers["Content-Security-Policy"] = (
        PAGE_CSP.replace("form-action 'self'", form_action) if form_action else PAGE_CSP
    )
    answer.headers["X-Frame-Options"] = "DENY"
    answer.headers["Referrer-Policy"] = "no-referrer"
    return answer
