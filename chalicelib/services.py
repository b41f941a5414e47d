"""The composition root: every service of the app, built once from the stage's settings.

The API (``app.py``) and the local stack's background functions (``local_stack.background``)
build their services here, so that a service gets the same models, bucket and pool wherever it
runs. Nothing is called at import: building binds the models and makes the clients, no request
is sent.
"""

from __future__ import annotations

from typing import NamedTuple

from chalicelib.account import AccountDeletion
from chalicelib.attachments import Attachments
from chalicelib.changes import ChangeFeed
from chalicelib.exports import Exports
from chalicelib.files import FileStore
from chalicelib.finding import NoteFinder
from chalicelib.history import History
from chalicelib.jobs import Jobs
from chalicelib.live import LiveUpdates
from chalicelib.models import (
    AccountItemModel,
    ChangeModel,
    ConnectionModel,
    NoteModel,
    SearchEntryModel,
    ShareModel,
    TrashedNoteModel,
    VersionModel,
    bind,
)
from chalicelib.notes import NotesService
from chalicelib.search import SearchIndex
from chalicelib.settings import Settings
from chalicelib.sharing import Sharing
from chalicelib.stream_records import StreamRecord
from chalicelib.tables import ACCOUNT, CHANGES, CONNECTIONS, NOTES, SEARCH, SHARES, TRASH, VERSIONS
from chalicelib.trash import Trash


class Services(NamedTuple):
    """The stage's models (each bound to its table) and the services over them."""

    note_model: type[NoteModel]
    search_model: type[SearchEntryModel]
    trash_model: type[TrashedNoteModel]
    account_model: type[AccountItemModel]
    change_model: type[ChangeModel]
    connection_model: type[ConnectionModel]
    version_model: type[VersionModel]
    share_model: type[ShareModel]
    files: FileStore
    notes: NotesService
    finder: NoteFinder
    search_index: SearchIndex
    attachments: Attachments
    trash: Trash
    exports: Exports
    deletion: AccountDeletion
    jobs: Jobs
    changes: ChangeFeed
    live: LiveUpdates
    history: History
    sharing: Sharing

    @classmethod
    def build(cls, settings: Settings) -> Services:
        region = settings.region
        note_model = bind(NoteModel, settings.name_of(NOTES), region)
        search_model = bind(SearchEntryModel, settings.name_of(SEARCH), region)
        trash_model = bind(TrashedNoteModel, settings.name_of(TRASH), region)
        account_model = bind(AccountItemModel, settings.name_of(ACCOUNT), region)
        change_model = bind(ChangeModel, settings.name_of(CHANGES), region)
        connection_model = bind(ConnectionModel, settings.name_of(CONNECTIONS), region)
        version_model = bind(VersionModel, settings.name_of(VERSIONS), region)
        share_model = bind(ShareModel, settings.name_of(SHARES), region)
        files = FileStore(settings.bucket_name, region)
        notes = NotesService(note_model, files)
        history = History(version_model, note_model, notes)
        exports = Exports(account_model, note_model, trash_model, files)
        deletion = AccountDeletion(
            account_model,
            note_model,
            trash_model,
            search_model,
            change_model,
            version_model,
            share_model,
            files,
            settings.user_pool_id,
            region,
        )
        sharing = Sharing(share_model, note_model, files, deletion.refuses, settings.web_url)
        return cls(
            note_model=note_model,
            search_model=search_model,
            trash_model=trash_model,
            account_model=account_model,
            change_model=change_model,
            connection_model=connection_model,
            version_model=version_model,
            share_model=share_model,
            files=files,
            notes=notes,
            finder=NoteFinder(note_model, search_model),
            search_index=SearchIndex(note_model, search_model),
            attachments=Attachments(note_model, files, settings.attachment_max_bytes),
            trash=Trash(note_model, trash_model, files, history, sharing),
            exports=exports,
            deletion=deletion,
            jobs=Jobs(exports, deletion),
            changes=ChangeFeed(change_model, note_model, deletion.refuses),
            live=LiveUpdates(connection_model, settings, deletion.refuses),
            history=history,
            sharing=sharing,
        )

    def follow(self, records: list[StreamRecord[NoteModel]]) -> dict[str, int]:
        """The change feed's function (the notes table's stream, every record): the text each
        change replaced kept as a version (``chalicelib.history``), then each changed note into its
        owner's feed and each owner's connections told (``chalicelib.live``). What was done,
        counted. The versions go first: a client told of a change finds what it replaced."""
        kept = self.history.keep(records)
        return {"versionsKept": kept, **self.live.follow(self.changes, records)}
