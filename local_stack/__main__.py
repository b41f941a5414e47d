"""The whole product on one machine: ``make run``.

Starts, on 127.0.0.1 only:

1. the AWS emulator (Cognito, DynamoDB and S3), in this process, on ``--emulator-port``,
   with the data saved by the last run (``.local/state.pickle``; see ``state_file``), taking
   only requests signed with this run's own pair of keys (``credentials``, ``guard``) and
   answering CORS for the web app's origin only (``cors``);
2. the ``local`` stage's user pool, app client, table and bucket, provisioned into it
   from ``infra/description/`` (what a saved state already holds is reused), and the
   bucket's lifecycle rule applied while it runs (``lifecycle``);
3. the web app, its files and the stage's ``config.json``, on ``--web-port``;
4. the API, ``chalice local --stage local`` on ``--port``, which checks tokens against the
   emulator's pool as API Gateway would, restarted when the app's own code changes, and beside
   it the stage's WebSocket endpoint on ``--ws-port`` (``live_server``).

It writes the connection facts to ``.local/stack.json`` (``notes_cli.stack_file``), prints how to
use the stack, and stays in the foreground. While something changed, the emulator's data is saved every few
seconds, and once more when the stack stops. SIGINT (Ctrl-C) or SIGTERM stops all of it:
``chalice local`` runs in a session of its own, so it is stopped with its whole group, and the
facts file is removed. ``--fresh`` (``make run FRESH=1``) starts empty, keeping the previous
state beside it.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from local_stack import HOST, ROOT, LaunchError, scoped, shown
from local_stack.api import Api
from local_stack.banner import banner
from local_stack.credentials import new_keys
from local_stack.emulator import Mounts, emulator, emulator_client
from local_stack.keeper import StateKeeper
from local_stack.lifecycle import local_sweep, sweeping
from local_stack.live_server import WS_PORT_ENV
from local_stack.ports import check_ports
from local_stack.provisioning import provision_local, web_origins
from local_stack.streams import running
from local_stack.ttl import CLOCK_FILE_ENV, CLOCK_PATH, LocalClock, TtlSweep, clock_app, expiring
from local_stack.web_server import local_web_server
from notes_cli.stack_file import StackFacts, stack_file

STATE_FILE = Path(os.environ.get("NOTES_STATE_FILE") or ROOT / ".local" / "state.pickle")


class Stop(BaseException):
    """A signal asked the stack to stop. Not an Exception, as KeyboardInterrupt is not: no
    ``except Exception`` on the way (ours or a library's) may swallow a Ctrl-C."""


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _raise_stop)
    keeper: StateKeeper | None = None
    try:
        check_ports(args.port, args.emulator_port, args.web_port, args.ws_port)
        keeper = StateKeeper(args.state)
        mounts = Mounts()
        keys = new_keys()
        origins = web_origins(args.web_port)
        with (
            emulator(
                args.emulator_port, keeper, fresh=args.fresh, keys=keys, web_origins=origins, mounts=mounts
            ) as endpoint,
            _facts_file() as path,
        ):
            made = provision_local(endpoint, origins, scoped=args.scoped)
            api_url = f"http://{HOST}:{args.port}"
            ws_url = f"ws://{HOST}:{args.ws_port}"
            if args.scoped:
                scoped.mount_sign_in(mounts, endpoint, made, origins)
            clock = LocalClock()
            mounts.add([CLOCK_PATH], clock_app(clock, keys.secret_access_key))
            # The API's change feed reads the same clock as the tables' time to live.
            clock_file = path.with_suffix(".clock")
            clock.share(clock_file)
            web = local_web_server(args.web_port, api_url, ws_url, endpoint, made, scoped=args.scoped)
            stack = StackFacts(
                api_url=api_url,
                ws_url=ws_url,
                aws_endpoint=endpoint,
                web_url=web.url,
                region=made.region,
                user_pool_id=made.user_pool_id,
                user_pool_client_id=made.user_pool_client_id,
                table_name=made.table_name,
                bucket_name=made.bucket_name,
                aws_access_key_id=keys.access_key_id,
                aws_secret_access_key=keys.secret_access_key,
                mode="scoped" if args.scoped else "id",
                oauth=scoped.oauth_facts(endpoint, made, origins) if args.scoped else None,
            )
            stack.write(path)
            extra = scoped.api_environment(endpoint, made) if args.scoped else {}
            extra[CLOCK_FILE_ENV] = str(clock_file)
            extra[WS_PORT_ENV] = str(args.ws_port)
            api = Api(args.port, endpoint, web_origins=origins, keys=keys, environment=extra)
            try:
                web.start()
                api.start()
                # The background functions after the API (they import the app's code; the streams
                # keep every write made meanwhile). They find the emulator as the app does.
                from local_stack.background import background

                run = background(made, management_url=f"http://{HOST}:{args.ws_port}")
                run.changes.clock = clock.seconds
                if made.index_behind and (report := run.index.rebuild()).notes:
                    print(f"search index rebuilt from the notes: {report}", flush=True)
                # Each stream function gets its table's stream, and the tables' TTL removals, only
                # what its declared filter matches (chalicelib.stream_consumers), as Lambda does.
                feeders = run.feeders(lock=keeper.lock, on_change=keeper.changed)
                for feeder in feeders:
                    keeper.on_change(feeder.wake)  # every write the emulator answers may be theirs
                dynamodb = emulator_client("dynamodb", endpoint, made.region, keys)
                ttl = TtlSweep(dynamodb, run.removals(), clock)
                print(banner(stack, path, keeper.path), flush=True)
                with (
                    sweeping(
                        local_sweep(endpoint, made.region, made.bucket_name, keys, clock.now),
                        on_move=clock.on_move,
                    ),
                    expiring(ttl, clock),
                    running(feeders),
                ):
                    api.serve(reload=args.reload)
            finally:
                api.stop()
                web.stop()
                clock_file.unlink(missing_ok=True)
    except Stop:
        saved = f"; your data is saved in {shown(keeper.path)}" if keeper and keeper.path.exists() else ""
        print(f"\nstopped: the API and the emulator are gone{saved}.", flush=True)
        return 0
    except LaunchError as error:
        print(f"make run: {error}", file=sys.stderr, flush=True)
        return 2


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="make run", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 8000))
    parser.add_argument("--emulator-port", type=int, default=int(os.environ.get("EMULATOR_PORT") or 8001))
    # The web app's port: its origin may upload to and download from the bucket.
    parser.add_argument("--web-port", type=int, default=int(os.environ.get("WEB_PORT") or 8002))
    # The WebSocket endpoint (live updates), served beside the API.
    parser.add_argument("--ws-port", type=int, default=int(os.environ.get("WS_PORT") or 8003))
    parser.add_argument("--state", type=Path, default=STATE_FILE, help="where the data is saved")
    parser.add_argument(
        "--scoped",
        action="store_true",
        default=_flag("SCOPED"),
        help="access tokens with OAuth scopes, from the pool's sign-in page (SCOPED=1)",
    )
    parser.add_argument("--fresh", action="store_true", default=_flag("FRESH"), help="start empty (FRESH=1)")
    parser.add_argument(
        "--no-reload",
        dest="reload",
        action="store_false",
        default=not _flag("NO_RELOAD"),
        help="do not restart the API when the app's code changes (NO_RELOAD=1)",
    )
    return parser.parse_args(argv)


def _flag(name: str) -> bool:
    return (os.environ.get(name) or "").strip().lower() not in ("", "0", "no", "false")


@contextmanager
def _facts_file() -> Iterator[Path]:
    """Where the facts go while the stack runs; removed when it stops."""
    path = stack_file()
    path.parent.mkdir(exist_ok=True)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise Stop()


if __name__ == "__main__":
    sys.exit(main())
