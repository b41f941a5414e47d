"""What the deployed stage runs beside the API, run by the local stack in its own process: the
search indexer, the jobs function (exports, account deletions) and the trash's purge, each the
app's own code over the local stage's tables and bucket (``chalicelib``), reached as the app
reaches them (``AWS_ENDPOINT_URL``)."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.jobs import Jobs
from chalicelib.search import SearchIndex
from chalicelib.services import Services
from chalicelib.settings import Settings
from chalicelib.trash import Trash
from local_stack.provisioning import Provisioned


@dataclass(frozen=True)
class Background:
    index: SearchIndex
    jobs: Jobs
    trash: Trash


def background(made: Provisioned) -> Background:
    """The background functions over the local stage, wired as the app wires its own (``Services``)."""
    services = Services.build(
        Settings(
            region=made.region,
            table_name=made.table_name,
            user_pool_arn=made.user_pool_arn,
            app_client_ids=made.client_ids,
            bucket_name=made.bucket_name,
            search_table_name=made.search_table_name,
            trash_table_name=made.trash_table_name,
            account_table_name=made.account_table_name,
        )
    )
    return Background(index=services.search_index, jobs=services.jobs, trash=services.trash)
