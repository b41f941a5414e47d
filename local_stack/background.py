"""What the deployed stage runs beside the API, run by the local stack in its own process: the
search indexer, the change feed's function, the jobs function (exports, account deletions) and the
trash's purge, each the
app's own code over the local stage's tables and bucket (``chalicelib``), reached as the app
reaches them (``AWS_ENDPOINT_URL``).

Each is handed what Lambda would hand it (``chalicelib.stream_consumers``): its table's stream,
only the records its filter matches (``feeders``: one per table, handing each batch to each of the
table's functions), and the removals of the tables' time to live the same way (``removals``, for
``local_stack.ttl``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from chalicelib.changes import ChangeFeed
from chalicelib.jobs import Jobs
from chalicelib.models import NoteModel
from chalicelib.search import SearchIndex
from chalicelib.services import Services
from chalicelib.settings import Settings
from chalicelib.stream_consumers import CONSUMERS, FOLLOWER, INDEXER, JOBS, PURGER, Consumer
from chalicelib.stream_records import StreamRecord
from chalicelib.tables import SHARES, TABLES, VERSIONS
from chalicelib.trash import Trash
from local_stack.provisioning import Provisioned
from local_stack.streams import StreamFeeder, delivering

Handler = Callable[[dict[str, Any]], Any]
# The stream functions whose tables have a time to live (the trash's and the account table's).
EXPIRING = tuple(consumer for consumer in CONSUMERS if consumer.table.ttl_attribute is not None)


@dataclass(frozen=True)
class Background:
    index: SearchIndex
    jobs: Jobs
    trash: Trash
    changes: ChangeFeed
    # The change feed's function (``Services.follow``): versions kept, the feed written, connections told.
    follow: Callable[[list[StreamRecord[NoteModel]]], dict[str, int]]
    # The local stage's settings: its region, and the name of each table (``Consumer.table``).
    settings: Settings

    def handler(self, consumer: Consumer[Any]) -> Handler:
        """The stream function ``consumer`` declares, reading its event as the app's does
        (``app.py``): only the records the consumer admits."""
        handlers: dict[str, Handler] = {
            INDEXER.name: lambda event: self.index.apply_stream(INDEXER.records(event)),
            FOLLOWER.name: lambda event: self.follow(FOLLOWER.records(event)),
            PURGER.name: lambda event: self.trash.purge_expired(PURGER.records(event)),
            JOBS.name: lambda event: self.jobs.run(JOBS.records(event)),
        }
        return handlers[consumer.name]

    def feeders(self, **options: Any) -> list[StreamFeeder]:
        """One feeder per table a stream function follows: each batch of its stream handed to each
        of the table's functions, the records its filter matches (``options``: ``StreamFeeder``'s
        lock and on_change)."""
        return [
            StreamFeeder(
                table,
                self.settings.region,
                self._delivering(consumers),
                name=" and ".join(consumer.name for consumer in consumers),
                **options,
            )
            for table, consumers in self._by_table(CONSUMERS).items()
        ]

    def removals(self) -> dict[str, Handler | None]:
        """What the time to live removes, by table: of each table a stream function follows, handed
        to each of the table's functions, the records its filter matches; of the versions and the
        links, nothing (``local_stack.ttl.TtlSweep``)."""
        handlers: dict[str, Handler | None] = {
            table: self._delivering(consumers) for table, consumers in self._by_table(EXPIRING).items()
        }
        # The versions' and links' time to live: the API answers none past it, and their items go on
        # the local clock as deployed.
        for table in (VERSIONS, SHARES):
            handlers[self.settings.name_of(table)] = None
        return handlers

    def _by_table(self, consumers: Iterable[Consumer[Any]]) -> dict[str, list[Consumer[Any]]]:
        tables: dict[str, list[Consumer[Any]]] = {}
        for consumer in consumers:
            tables.setdefault(self.settings.name_of(consumer.table), []).append(consumer)
        return tables

    def _delivering(self, consumers: list[Consumer[Any]]) -> Handler:
        """An event handed to each of ``consumers`` in turn, as Lambda hands it to each mapping."""
        deliveries = [delivering(consumer, self.handler(consumer)) for consumer in consumers]

        def deliver(event: dict[str, Any]) -> None:
            for each in deliveries:
                each(event)

        return deliver


def background(made: Provisioned, management_url: str | None = None) -> Background:
    """The background functions over the local stage, wired as the app wires its own (``Services``)."""
    # As the stage's functions read theirs: from the environment the stage gives them.
    settings = Settings.from_env(
        {
            "AWS_REGION": made.region,
            "COGNITO_USER_POOL_ARN": made.user_pool_arn,
            "COGNITO_APP_CLIENT_IDS": ",".join(made.client_ids),
            "NOTES_BUCKET_NAME": made.bucket_name,
            # Where the change feed's function tells WebSocket connections (local_stack.live_server).
            **({"NOTES_WS_MANAGEMENT_URL": management_url} if management_url else {}),
            **{table.variable: made.name_of(table) for table in TABLES},
        }
    )
    services = Services.build(settings)
    return Background(
        services.search_index, services.jobs, services.trash, services.changes, services.follow, settings
    )
