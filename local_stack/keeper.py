"""Saves the emulator's data while it changes, and once more when the stack stops."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

from local_stack import shown, state_file

# While something changed, the data is saved this often: a crash loses at most this much.
SAVE_INTERVAL_SECONDS = 2.0


class StateKeeper:
    """Saves the emulator's data while it changes, and once more at the end.

    A thread looks every ``SAVE_INTERVAL_SECONDS``: if a request changed something since the last
    save, it takes a snapshot between two requests (holding ``lock``) and writes it atomically.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.Lock()
        self._dirty = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="state-keeper", daemon=True)
        self._listeners: list[Callable[[], None]] = []

    def load(self, fresh: bool) -> str:
        """Put the saved state into the emulator; a line that says what happened."""
        where = shown(self.path)
        if fresh:
            if not self.path.exists():
                return f"starting empty (FRESH=1); data will be saved in {where}"
            previous = self.path.with_name(self.path.name + ".previous")
            os.replace(self.path, previous)
            return f"starting empty (FRESH=1); the data saved before is kept as {shown(previous)}"
        if not self.path.exists():
            return f"starting empty: no data saved yet; it will be saved in {where}"
        try:
            loaded = state_file.load(self.path)
        except state_file.UnreadableState as error:
            aside = state_file.set_aside(self.path)
            return (
                f"starting empty: the saved data in {where} cannot be loaded ({error}); "
                f"it is kept as {shown(aside)}"
            )
        size = f"{loaded.bytes / 1024:,.0f} KiB"
        return f"loaded the data saved in {where} at {loaded.saved_at} ({size})"

    def start(self) -> None:
        self._thread.start()

    def changed(self, *, notify: bool = True) -> None:
        """Something changed: saved at the next look; ``notify`` False: the listeners are not told
        (what changed is nothing they follow)."""
        self._dirty.set()
        if notify:
            for listener in self._listeners:
                listener()

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` (quickly: it runs inside a request) whenever something changed that
        may be a table's."""
        self._listeners.append(listener)

    def close(self) -> None:
        """Stop the thread and save what changed since its last save."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        self._save_if_changed()

    def _run(self) -> None:
        while not self._stop.wait(SAVE_INTERVAL_SECONDS):
            try:
                self._save_if_changed()
            except OSError as error:  # a full disk: say so, keep serving, try again later
                print(f"make run: could not save the data in {shown(self.path)}: {error}", flush=True)
                self._dirty.set()

    def _save_if_changed(self) -> None:
        if not self._dirty.is_set():
            return
        with self.lock:
            self._dirty.clear()
            data = state_file.snapshot()
        state_file.save(self.path, data)
