"""What the deployed stage runs beside the API, run by the local stack in its own process: the
search indexer, the jobs function (exports, account deletions) and the trash's purge, each the
app's own code over the local stage's tables and bucket (``chalicelib``), reached as the app
reaches them (``AWS_ENDPOINT_URL``)."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.account import AccountDeletion
from chalicelib.exports import Exports
from chalicelib.files import FileStore
from chalicelib.jobs import Jobs
from chalicelib.models import bind_account_model, bind_note_model, bind_search_model, bind_trash_model
from chalicelib.search import SearchIndex
from chalicelib.trash import Trash
from local_stack.provisioning import Provisioned


@dataclass(frozen=True)
class Background:
    index: SearchIndex
    jobs: Jobs
    trash: Trash


def background(made: Provisioned) -> Background:
    notes = bind_note_model(made.table_name, made.region)
    search = bind_search_model(made.search_table_name, made.region)
    trash_model = bind_trash_model(made.trash_table_name, made.region)
    account = bind_account_model(made.account_table_name, made.region)
    files = FileStore(made.bucket_name, made.region)
    deletion = AccountDeletion(account, notes, trash_model, search, files, made.user_pool_id, made.region)
    return Background(
        index=SearchIndex(notes, search),
        jobs=Jobs(Exports(account, notes, trash_model, files), deletion),
        trash=Trash(notes, trash_model, files),
    )
