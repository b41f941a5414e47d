"""The note commands: add, list, find, show, edit and delete notes, and reading a note's content."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import click

from notes_cli.api import ApiError, NotesApi, page_notes
from notes_cli.errors import ChangedMeanwhile, UsageProblem, one_line
from notes_cli.ids import every_note, resolve_note_id, short_ids
from notes_cli.local_files import keep_unsaved
from notes_cli.output import (
    attachment_line,
    label,
    list_header,
    list_line,
    print_json,
    printable,
    snippet_line,
    tag_list,
)
from notes_cli.state import State, pass_state

PAGE_SIZE_FOR_ALL = 100
# ``notes show`` gives the whole name (a title is at most 200 characters).
WHOLE_LABEL = 1000
ID_HELP = (
    "ID is the note's id as notes ls shows it, or any start of it of 8 or more characters that "
    "starts no other note's id."
)


@click.command()
@click.argument("text", required=False)
@click.option("--title", help="A title (at most 200 characters).")
@click.option("--tag", "tags", multiple=True, metavar="TAG", help="A tag; repeat for more.")
@click.option("--json", "as_json", is_flag=True, help="Print the new note as JSON.")
@pass_state
def add(state: State, text: str | None, title: str | None, tags: tuple[str, ...], as_json: bool) -> None:
    """Add a note. Its content is TEXT, or stdin when TEXT is - or is left out and stdin is a pipe.

    With a --title, the content may be left out: a note may be a title alone.
    To give it a file, then: notes attach ID FILE.
    """
    has_title = title is not None and bool(title.strip())
    fields: dict[str, Any] = {"content": read_content(text, title_given=has_title)}
    if title is not None:
        fields["title"] = title
    if tags:
        fields["tags"] = list(tags)
    note = state.api.create_note(fields)
    if as_json:
        print_json(note)
        return
    # The id alone on stdout, so that id=$(notes add ...) works.
    click.echo(note.get("noteId"))
    click.echo(f"created: {label(note)}{tag_list(note)} (version {note.get('version')})", err=True)


SORTS = ("created", "updated")


def listing_options(command: Callable[..., None]) -> Callable[..., None]:
    """The options ``ls`` and ``search`` share: which notes, in what order, how many pages, as what."""
    options = (
        click.option("--tag", metavar="TAG", help="Only the notes with this tag (capitals do not matter)."),
        click.option(
            "--sort",
            type=click.Choice(SORTS),
            help="created: newest made first (the default); updated: most recently changed first.",
        ),
        click.option(
            "--limit", type=click.IntRange(1, 100), help="Notes per page (1-100; the API's default is 20)."
        ),
        click.option("--all", "all_pages", is_flag=True, help="Follow every page."),
        click.option("--json", "as_json", is_flag=True, help="Print JSON: {notes, nextCursor}."),
    )
    for option in reversed(options):  # as if stacked on the function, in this order
        command = option(command)
    return command


@click.command(name="ls")
@listing_options
@pass_state
def list_command(
    state: State, tag: str | None, sort: str | None, limit: int | None, all_pages: bool, as_json: bool
) -> None:
    """List your notes, newest first.

    \b
    A header, then one line per note: its id (as much of it as tells it
    from the other notes listed, at least 8 characters), when it was made
    (UTC), "file" when it has a file (else -), its title (else the
    content's first line, else "Untitled note") and its tags.
    --tag keeps the notes with that tag; --sort updated puts the most
    recently changed first, and shows when each was changed (UPDATED).
    """
    show_listing(state, Listing(("ls",), None, tag, sort), limit, all_pages, as_json)


@click.command()
@click.argument("words", nargs=-1, required=True)
@listing_options
@pass_state
def search(
    state: State,
    words: tuple[str, ...],
    tag: str | None,
    sort: str | None,
    limit: int | None,
    all_pages: bool,
    as_json: bool,
) -> None:
    """Find the notes that hold every one of WORDS, newest first.

    \b
    A note is found when each word starts a word of its title, content,
    tags or file name; capitals and accents do not matter ("cafe" finds
    "Café crème"). The same lines as notes ls, each found note followed
    by an indented line of its text around the first match.
    """
    show_listing(state, Listing(("search", *words), " ".join(words), tag, sort), limit, all_pages, as_json)


@dataclass(frozen=True)
class Listing:
    """What ``ls`` or ``search`` asks for: its command line (to repeat it) and the API's parameters."""

    command: tuple[str, ...]
    query: str | None
    tag: str | None
    sort: str | None

    def again(self) -> str:
        """The command that follows every page of this listing."""
        words = ["notes", *self.command]
        if self.tag is not None:
            words += ["--tag", self.tag]
        if self.sort is not None:
            words += ["--sort", self.sort]
        return printable(shlex.join([*words, "--all"]))

    def nothing(self) -> str:
        """The sentence for a listing that holds no note."""
        tagged = f" with the tag {quoted(self.tag)}" if self.tag is not None else ""
        if self.query is None:
            return f"no notes{tagged}"
        return f"no notes{tagged} match {quoted(self.query)}"


def quoted(text: str) -> str:
    """``text`` from the command line, on one line and in double quotes."""
    return f'"{printable(one_line(text))}"'


def show_listing(state: State, listing: Listing, limit: int | None, all_pages: bool, as_json: bool) -> None:
    """One page of ``listing``, or every page with ``all_pages``: as JSON, or a header and a line
    per note (and under a found note its snippet)."""
    search = {"query": listing.query, "tag": listing.tag, "sort": listing.sort}
    if all_pages:
        notes = list(every_note(state.api, limit or PAGE_SIZE_FOR_ALL, **search))
        cursor = None
    else:
        page = state.api.list_notes(limit, **search)
        notes, cursor = page_notes(page), page.get("nextCursor")
    if as_json:
        print_json({"notes": notes, "nextCursor": cursor})
        return
    others = unlisted_neighbours(state, listing, cursor)
    shown = short_ids(str(note.get("noteId")) for note in [*notes, *others])
    width = max((len(shown[str(note.get("noteId"))]) for note in notes), default=0)
    if notes:
        click.echo(list_header(width, listing.sort))
    for note in notes:
        click.echo(list_line(note, shown[str(note.get("noteId"))], width, listing.sort))
        snippet = snippet_line(note) if listing.query is not None else None
        if snippet:
            click.echo(snippet)
    if not notes:
        click.echo(listing.nothing(), err=True)
    if cursor:
        click.echo(f"more notes follow: {listing.again()} (or a larger --limit)", err=True)


def unlisted_neighbours(state: State, listing: Listing, cursor: str | None) -> list[dict[str, Any]]:
    """The notes not listed whose ids a listed id's start might also start.

    A start unique among a page alone may start a note on the next page, or one a search or a tag
    left out. Ids sort in the order notes were made, so the first page of every note by creation
    (the default) is a run of ids whose only outside neighbour is the next page's first: one note
    read. Any other listing's ids are scattered among all of the user's, which are read.
    """
    if listing.query is not None or listing.tag is not None or listing.sort not in (None, "created"):
        return list(every_note(state.api))
    if cursor is None:
        return []  # every note is listed
    return page_notes(state.api.list_notes(1, cursor))


def print_note(note: dict[str, Any], facts: list[tuple[str, Any]]) -> None:
    """A note, or one of its versions, as ``show`` prints it: its whole name, its id and tags, then
    ``facts`` (name, value), then its content."""
    click.echo(label(note, WHOLE_LABEL))
    tags = printable(", ".join(note.get("tags") or [])) or "-"
    for name, value in [("id", note.get("noteId")), ("tags", tags), *facts]:
        click.echo(f"  {name:<12}{value}")
    click.echo()
    click.echo(note.get("content", ""))


@click.command(epilog=ID_HELP)
@click.argument("note_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print the note as JSON.")
@click.option(
    "--version",
    "version",
    type=click.IntRange(min=1),
    metavar="N",
    help="Show the note as it was at version N (notes history ID lists them).",
)
@pass_state
def show(state: State, note_id: str, as_json: bool, version: int | None) -> None:
    """Show one note, or one of its earlier versions."""
    note_id = resolve_note_id(state.api, note_id)
    if version is not None:
        from notes_cli.history import read_version

        earlier = read_version(state.api, note_id, version)
        if as_json:
            print_json(earlier)
            return
        written = ("written", earlier.get("updatedAt"))
        print_note(
            earlier, [written, ("version", f"{version} (earlier: notes restore-version makes it current)")]
        )
        return
    note, _ = state.api.get_note(note_id)
    if as_json:
        print_json(note)
        return
    facts = [
        ("created", note.get("createdAt")),
        ("updated", note.get("updatedAt")),
        ("version", note.get("version")),
    ]
    attachment = note.get("attachment")
    if isinstance(attachment, dict):
        facts.append(("attachment", attachment_line(attachment)))
    print_note(note, facts)


@click.command(epilog=ID_HELP)
@click.argument("note_id", metavar="ID")
@click.option("--title", help="The new title.")
@click.option("--content", metavar="TEXT|-", help="The new content; - reads it from stdin.")
@click.option("--tag", "tags", multiple=True, metavar="TAG", help="Replace the tags; repeat for more.")
@click.option("--clear-tags", is_flag=True, help="Remove every tag.")
@pass_state
def edit(
    state: State,
    note_id: str,
    title: str | None,
    content: str | None,
    tags: tuple[str, ...],
    clear_tags: bool,
) -> None:
    """Change some fields of a note.

    Only the given fields change. The note is read first and written only if it
    is still at the version read, so a change made meanwhile is never overwritten:
    the edit is then refused, and new content is kept in a file it names.
    Its file is changed with notes attach and notes detach.
    """
    if tags and clear_tags:
        raise UsageProblem("--tag and --clear-tags contradict each other")
    fields: dict[str, Any] = {}
    if title is not None:
        fields["title"] = title
    if content is not None:
        fields["content"] = read_content(content)
    if tags or clear_tags:
        fields["tags"] = list(tags)
    if not fields:
        raise UsageProblem("nothing to change: give --title, --content, --tag or --clear-tags")
    note_id = resolve_note_id(state.api, note_id)
    # Read, then write only if nothing changed in between: If-Match turns a
    # concurrent edit into a 412 instead of silently overwriting it.
    _, etag = state.api.get_note(note_id)

    def keep() -> str:
        where = keep_unsaved(note_id, fields["content"]) if "content" in fields else None
        return f"; your new content is kept in {where}" if where else ""

    with unless_changed(state.api, note_id, "your edit was not saved", "the edit", keep):
        updated = state.api.update_note(note_id, fields, etag)
    click.echo(f"updated {updated.get('noteId')} (version {updated.get('version')})")


@click.command(epilog=ID_HELP)
@click.argument("note_id", metavar="ID")
# Taken and ignored: scripts written when rm asked first pass it.
@click.option("-y", "--yes", is_flag=True, hidden=True)
@pass_state
def rm(state: State, note_id: str, yes: bool) -> None:
    """Move a note, and its file if it has one, to the trash.

    It does not ask first: the trash keeps the note for 30 days, and
    notes restore ID brings it back as it was. notes trash lists it;
    notes purge ID deletes it for good at once.
    """
    note_id = resolve_note_id(state.api, note_id)
    state.api.delete_note(note_id)
    click.echo(f"moved {note_id} to the trash; notes restore {note_id} brings it back")


@contextmanager
def unless_changed(
    api: NotesApi, note_id: str, not_done: str, again: str, keep: Callable[[], str] = lambda: ""
) -> Iterator[None]:
    """A write made only if the note is still as read: the API's 412 becomes ChangedMeanwhile,
    naming the note's version now, ``not_done`` and ``again``, and where ``keep`` kept the input."""
    try:
        yield
    except ApiError as error:
        if error.status != 412:
            raise
        raise ChangedMeanwhile(note_id, current_version(api, note_id), not_done, again, keep()) from error


def current_version(api: NotesApi, note_id: str) -> Any:
    """The note's version now, or None when it cannot be read."""
    try:
        note, _ = api.get_note(note_id)
    except ApiError:
        return None
    return note.get("version")


def read_content(text: str | None, *, title_given: bool = False) -> str:
    """TEXT itself, or stdin for ``-`` (always) or for no TEXT (when stdin is not a terminal).

    With ``title_given``, no TEXT means no content (``""``) rather than a mistake.
    """
    if text is not None and text != "-":
        return text
    stdin = sys.stdin
    if text is None and stdin.isatty():
        if title_given:
            return ""
        raise UsageProblem(
            "no content: give TEXT or a --title, pipe the content in, or use - to type it (end with Ctrl-D)"
        )
    content = stdin.read()
    if text is None and not content and not title_given:
        raise UsageProblem("no content: stdin was empty (a note needs content or a --title)")
    return content
