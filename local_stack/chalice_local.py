"""``make run``'s API process: Chalice's own ``chalice local`` command, with tokens checked as API
Gateway checks them.

Chalice's CLI loads the app (``CLIFactory.load_chalice_app``, after applying the stage's
environment); the app it loads gets the local stack's token checks (``gateway_auth``) before the
local server is made, its change feed the local stack's clock (``local_stack.ttl``), which the
tables' time to live follows, and its WebSocket handlers an endpoint of their own
(``local_stack.live_server``), as Chalice's local server has none. The app itself names nothing
local: deployed, API Gateway checks tokens, and the clocks are the real time.

Run as ``python -m local_stack.chalice_local local --stage local …`` (the arguments are
``chalice``'s own).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from chalice.cli import factory, main

from chalicelib.settings import Settings
from local_stack.credentials import Keys
from local_stack.gateway_auth import verify_tokens_locally
from local_stack.live_server import WS_PORT_ENV, LiveServer
from local_stack.ttl import CLOCK_FILE_ENV, SharedClock


def checking_tokens() -> None:
    """Make every app that Chalice's CLI loads check tokens locally, with its stage's settings."""
    load = factory.CLIFactory.load_chalice_app

    def load_chalice_app(self: factory.CLIFactory, *args: Any, **kwargs: Any) -> Any:
        app = load(self, *args, **kwargs)
        verify_tokens_locally(app, Settings.from_env())
        module = sys.modules["app"]
        shared = os.environ.get(CLOCK_FILE_ENV)
        if shared:
            clock = SharedClock(Path(shared))
            # Every service whose answers follow the time to live reads the stack's clock.
            module.services.changes.clock = module.services.history.clock = module.services.sharing.clock = (
                clock
            )
        port = os.environ.get(WS_PORT_ENV)
        if port:
            serving_websockets(app, module, int(port))
        return app

    factory.CLIFactory.load_chalice_app = load_chalice_app  # type: ignore[method-assign]


def serving_websockets(app: Any, module: Any, port: int) -> LiveServer:
    """The stage's WebSocket endpoint on ``port``, calling the app's own WebSocket handlers."""
    handlers = {route: getattr(module, config.name) for route, config in app.websocket_handlers.items()}
    keys = Keys(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"])
    server = LiveServer(port, handlers, keys)
    server.start()
    return server


if __name__ == "__main__":
    checking_tokens()
    sys.exit(main())
