"""The prose documentation agrees with docs/openapi.yaml, and its links stay inside the repository.

``docs/api.md`` is the API reference for client developers. It must name every operation of the
OpenAPI document and no other, every error code and every field the document gives, and state
every numeric limit of the document's schemas next to the field it limits. Every Markdown link in
``README.md`` and ``docs/*.md`` is relative, names a file of the repository, and an anchor names a
heading of that file; no text points outside the repository. Each check is also run on an altered
copy, so that it is known to fail when it should.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
import yaml

from tests.conftest import ROOT
from tests.docs.test_openapi import resolve

DOCUMENT = ROOT / "docs" / "openapi.yaml"
REFERENCE = ROOT / "docs" / "api.md"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# The keywords of a schema that set a number a client must respect.
LIMIT_KEYWORDS = ("minLength", "maxLength", "minItems", "maxItems", "minimum", "maximum", "default")
# "GET /notes/{noteId}" in prose, a heading or a table; the path ends before a query or punctuation.
OPERATION_IN_TEXT = re.compile(r"\b(GET|PUT|POST|DELETE|OPTIONS|HEAD|PATCH|TRACE) +(/[A-Za-z0-9_{}/.-]*)")
# Text that points outside the repository, wherever it appears (code included).
OUTSIDE = re.compile(r"\.\./shared|file:/|(?<![\w.~-])/(?:home|Users|root)/")


def load_document() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))
    return document


def markdown_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


# Reading Markdown: code, statements, headings and links.

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)
LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s")
HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")


def without_fenced_code(text: str) -> str:
    """``text`` with every fenced code block blanked out (its lines kept, empty)."""
    lines, fence = [], ""
    for line in text.splitlines():
        opening = FENCE.match(line)
        if fence:
            if opening and opening[1][0] == fence[0] and len(opening[1]) >= len(fence):
                fence = ""
            lines.append("")
        elif opening:
            fence = opening[1]
            lines.append("")
        else:
            lines.append(line)
    return "\n".join(lines)


def prose(text: str) -> str:
    """``text`` without code: fenced blocks and code spans are blanked out."""
    return CODE_SPAN.sub(" ", without_fenced_code(text))


def statements(text: str) -> list[str]:
    """The statements of a Markdown text outside fenced code.

    A statement is a paragraph, a list item with its continuation lines, a table row or a
    heading: what a reader takes as one sentence about one thing.
    """
    found: list[list[str]] = []
    current: list[str] = []
    for line in without_fenced_code(text).splitlines():
        stripped = line.strip()
        starts_new = not stripped or stripped.startswith("|") or HEADING.match(line) or LIST_ITEM.match(line)
        if starts_new and current:
            found.append(current)
            current = []
        if stripped:
            current.append(stripped)
        if stripped.startswith("|") or HEADING.match(line):
            found.append(current)
            current = []
    if current:
        found.append(current)
    return [" ".join(lines) for lines in found if lines]


def slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it: lowercased, punctuation but - and _ dropped, spaces to -."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link or image: its text
    text = re.sub(r"<[^>]+>", "", text)  # HTML tags
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def anchors(text: str) -> set[str]:
    """The anchors of a Markdown text's headings; a repeated heading's get -1, -2, ... as on GitHub."""
    seen: Counter[str] = Counter()
    found = set()
    for line in without_fenced_code(text).splitlines():
        heading = HEADING.match(line)
        if heading is None:
            continue
        base = slug(heading[2])
        found.add(f"{base}-{seen[base]}" if seen[base] else base)
        seen[base] += 1
    return found


INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*(<[^>]*>|[^)\s]*)(?:\s+[\"'(][^)]*)?\)")
REFERENCE_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)", re.MULTILINE)
AUTOLINK = re.compile(r"<((?:[a-zA-Z][a-zA-Z0-9+.-]{1,31}:|www\.)[^<>\s]*)>")
BARE_URL = re.compile(r"(?<![\w/<(])(?:https?://|www\.)[^\s<>)\]]+")


def links(text: str) -> list[str]:
    """Every link target of a Markdown text outside code: inline, reference, autolink and bare URL."""
    outside_code = prose(text)
    targets = [match[1] for match in INLINE_LINK.finditer(outside_code)]
    targets += [match[1] for match in REFERENCE_DEFINITION.finditer(outside_code)]
    targets += [match[1] for match in AUTOLINK.finditer(outside_code)]
    # GitHub turns a bare URL in prose into a link too.
    without_links = REFERENCE_DEFINITION.sub(" ", AUTOLINK.sub(" ", INLINE_LINK.sub(" ", outside_code)))
    targets += BARE_URL.findall(without_links)
    return [target.strip("<>") for target in targets]


# The checks: each returns every problem found, one line each.


def document_operations(document: Mapping[str, Any]) -> set[str]:
    return {
        f"{method.upper()} {path}"
        for path, item in document.get("paths", {}).items()
        for method in item
        if method in HTTP_METHODS
    }


def operation_problems(document: Mapping[str, Any], reference: str) -> list[str]:
    """Operations of the document the reference does not name, and those it names that do not exist."""
    documented = document_operations(document)
    named = {f"{method} {path.rstrip('.')}" for method, path in OPERATION_IN_TEXT.findall(reference)}
    return [
        f"{operation}: in the OpenAPI document, not in docs/api.md"
        for operation in sorted(documented - named)
    ] + [
        f"{operation}: named in docs/api.md, not an operation of the OpenAPI document"
        for operation in sorted(named - documented)
    ]


def error_codes(document: Mapping[str, Any]) -> set[str]:
    """Every value an error's ``Code`` may take anywhere in the document."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            properties = node.get("properties")
            code = properties.get("Code") if isinstance(properties, Mapping) else None
            if isinstance(code, Mapping):
                found.update(str(value) for value in code.get("enum", []))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)
    return found


def schema_properties(document: Mapping[str, Any], schema: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """``(name, schema)`` of every property of an object schema, nested objects included."""
    for name, prop in schema.get("properties", {}).items():
        resolved = resolve(document, prop)
        yield name, resolved
        if "properties" in resolved:
            yield from schema_properties(document, resolved)


def property_names(document: Mapping[str, Any]) -> set[tuple[str, str]]:
    """``(schema, property)`` for every property of every schema of the document."""
    schemas = document["components"]["schemas"]
    return {
        (name, prop) for name, schema in schemas.items() for prop, _ in schema_properties(document, schema)
    }


def vocabulary_problems(document: Mapping[str, Any], reference: str) -> list[str]:
    """Error codes and schema properties of the document that the reference never shows as code."""
    shown = {match[2].strip() for match in CODE_SPAN.finditer(reference)}
    # A code span may hold a JSON body or a header line: a name quoted in it counts too.
    quoted = {word for span in shown for word in re.findall(r'"([^"]+)"', span)}
    problems = [
        f"error code {code}: listed by the OpenAPI document, not in docs/api.md"
        for code in sorted(error_codes(document))
        if code not in shown
    ]
    problems += [
        f"{schema}.{prop}: a property of the OpenAPI document, not in docs/api.md"
        for schema, prop in sorted(property_names(document))
        if prop not in shown and prop not in quoted
    ]
    return problems


def schema_limits(document: Mapping[str, Any]) -> set[tuple[str, str, int]]:
    """``(field, keyword, number)`` for every numeric limit of a property or parameter."""
    found: set[tuple[str, str, int]] = set()

    def add(field: str, schema: Mapping[str, Any]) -> None:
        for part in (schema, resolve(document, schema.get("items", {}))):
            for keyword in LIMIT_KEYWORDS:
                value = part.get(keyword)
                if isinstance(value, int) and not isinstance(value, bool):
                    found.add((field, keyword, value))

    for schema in document["components"]["schemas"].values():
        for field, prop in schema_properties(document, schema):
            add(field, prop)
    parameters = list(document["components"].get("parameters", {}).values())
    for item in document["paths"].values():
        parameters += item.get("parameters", [])
        parameters += [p for method in HTTP_METHODS for p in item.get(method, {}).get("parameters", [])]
    for parameter in parameters:
        resolved = resolve(document, parameter)
        add(resolved["name"], resolve(document, resolved.get("schema", {})))
    return found


def states_number(statement: str, number: int) -> bool:
    """Whether ``statement`` holds ``number`` as a number of its own, plain or with thousands commas."""
    spellings = "|".join(re.escape(spelling) for spelling in {str(number), f"{number:,}"})
    return re.search(rf"(?<![\d,.])(?:{spellings})(?![\d]|[,.]\d)", statement) is not None


NUMBER = r"\d{1,3}(?:,\d{3})+|\d+"
# The bounds a statement sets: "at most 200", "never more than 100", "1 to 50".
BOUND = re.compile(rf"\b(?:at most|at least|up to|no more than|never more than) ({NUMBER})\b")
RANGE = re.compile(rf"\b({NUMBER}) to ({NUMBER})\b")


def sentences(statement: str) -> list[str]:
    """A statement's sentences; a table row is one."""
    if statement.startswith("|"):
        return [statement]
    return re.split(r"(?<=[.;!?])\s+(?=[A-Z`(])", statement)


def limit_problems(document: Mapping[str, Any], reference: str) -> list[str]:
    """Limits of the document that the reference does not state next to their field, or contradicts.

    Every limit must be given by a statement that names its field. A sentence (or table row) that
    names one limited field only may set it no bound ("at most 250", "1 to 60") that the document
    lacks.
    """
    problems = []
    limits = schema_limits(document)
    said = statements(reference)
    for field, keyword, number in sorted(limits):
        if not any(f"`{field}`" in statement and states_number(statement, number) for statement in said):
            problems.append(
                f"`{field}`: the OpenAPI document's {keyword} is {number:,}; "
                "no statement of docs/api.md gives that number with the field"
            )
    fields = {field for field, _, _ in limits}
    for sentence in (sentence for statement in said for sentence in sentences(statement)):
        named = [field for field in sorted(fields) if f"`{field}`" in sentence]
        if len(named) != 1:
            continue
        allowed = {number for field, _, number in limits if field == named[0]}
        bounds = [match[1] for match in BOUND.finditer(sentence)]
        bounds += [number for match in RANGE.finditer(sentence) for number in match.groups()]
        for bound in bounds:
            if int(bound.replace(",", "")) not in allowed:
                problems.append(
                    f"`{named[0]}`: docs/api.md gives the bound {bound}, which the OpenAPI document "
                    f"does not have: {sentence[:80]}"
                )
    return problems


def link_problems(files: Mapping[Path, str], root: Path = ROOT) -> list[str]:
    """Every link that is not relative, leaves the repository, names no file or no heading of it."""
    problems = []
    for path, text in files.items():
        shown = path.relative_to(root)
        for line_number, line in enumerate(text.splitlines(), 1):
            if OUTSIDE.search(line) or str(root) in line:
                problems.append(f"{shown}:{line_number}: points outside the repository: {line.strip()}")
        for target in links(text):
            problem = link_problem(path, target, files, root)
            if problem:
                problems.append(f"{shown}: link {target!r}: {problem}")
    return problems


def link_problem(source: Path, target: str, files: Mapping[Path, str], root: Path) -> str | None:
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:|^//|^www\.", target):
        return "not relative: a link leaves the repository"
    if target.startswith(("/", "~", "\\")):
        return "an absolute path, not a relative one"
    file_part, _, anchor = target.partition("#")
    linked = (source.parent / unquote(file_part)).resolve() if file_part else source
    if not linked.is_relative_to(root.resolve()):
        return "outside the repository"
    if not linked.exists():
        return "no such file in the repository"
    if anchor and linked.suffix == ".md":
        text = files.get(linked) or linked.read_text(encoding="utf-8")
        if unquote(anchor) not in anchors(text):
            return f"no heading of {linked.relative_to(root.resolve())} has the anchor #{anchor}"
    return None


# The tests.


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return load_document()


@pytest.fixture(scope="module")
def reference() -> str:
    return REFERENCE.read_text(encoding="utf-8")


def read_markdown() -> dict[Path, str]:
    return {path: path.read_text(encoding="utf-8") for path in markdown_files()}


def test_the_reference_names_every_operation_and_only_those(document: dict[str, Any], reference: str) -> None:
    assert len(document_operations(document)) == 18
    assert operation_problems(document, reference) == []


def test_the_reference_shows_every_error_code_and_field(document: dict[str, Any], reference: str) -> None:
    assert {"BadRequestError", "PreconditionFailed", "ServiceUnavailable"} <= error_codes(document)
    names = property_names(document)
    for schema in ("Note", "Attachment", "UploadForm", "Download"):
        assert any(owner == schema for owner, _ in names), schema
    assert vocabulary_problems(document, reference) == []


def test_the_reference_states_every_limit_of_the_document(document: dict[str, Any], reference: str) -> None:
    limits = schema_limits(document)
    for expected in [
        ("title", "maxLength", 200),
        ("content", "maxLength", 100_000),
        ("tags", "maxItems", 20),
        ("tags", "maxLength", 50),
        ("name", "maxLength", 255),
        ("size", "maximum", 5 * 1024**3),
        ("limit", "maximum", 100),
        ("limit", "default", 20),
    ]:
        assert expected in limits
    assert limit_problems(document, reference) == []


def test_every_link_is_relative_and_resolves_in_the_repository() -> None:
    files = read_markdown()
    assert ROOT / "docs" / "api.md" in files
    assert any(target.startswith("docs/api.md") for target in links(files[ROOT / "README.md"]))
    assert link_problems(files) == []


# Each check, on an altered copy: it finds what was broken, and only that.


def test_an_operation_left_out_or_made_up_is_named(document: dict[str, Any], reference: str) -> None:
    left_out = reference.replace("PATCH /notes/{noteId}", "PATCH the note")
    assert operation_problems(document, left_out) == [
        "PATCH /notes/{noteId}: in the OpenAPI document, not in docs/api.md"
    ]
    made_up = reference + "\n`POST /notes/{noteId}/share` shares a note.\n"
    assert operation_problems(document, made_up) == [
        "POST /notes/{noteId}/share: named in docs/api.md, not an operation of the OpenAPI document"
    ]


def test_a_missing_error_code_or_field_is_named(document: dict[str, Any], reference: str) -> None:
    altered = reference.replace("`PreconditionFailed`", "precondition failed").replace(
        "uploadedAt", "uploadTime"
    )
    assert vocabulary_problems(document, altered) == [
        "error code PreconditionFailed: listed by the OpenAPI document, not in docs/api.md",
        "Attachment.uploadedAt: a property of the OpenAPI document, not in docs/api.md",
    ]


def test_a_limit_stated_wrongly_is_named(document: dict[str, Any], reference: str) -> None:
    missing_200 = (
        "`title`: the OpenAPI document's maxLength is 200; "
        "no statement of docs/api.md gives that number with the field"
    )
    found = limit_problems(document, reference.replace("at most 200 characters", "at most 250 characters"))
    assert found[0] == missing_200
    assert [problem[:41] for problem in found[1:]] == ["`title`: docs/api.md gives the bound 250,"] * 2
    # Stated right in one place and wrongly in another: the wrong one is named.
    found = limit_problems(document, reference.replace("at most 200 characters", "at most 250 characters", 1))
    assert len(found) == 1 and found[0].startswith("`title`: docs/api.md gives the bound 250,"), found
    found = limit_problems(document, reference.replace("each 1 to 50 characters", "each 1 to 60 characters"))
    assert [problem[:40] for problem in found] == [
        "`tags`: the OpenAPI document's maxLength",
        "`tags`: docs/api.md gives the bound 60, ",
    ]
    found = limit_problems(document, reference.replace("5,368,709,120", "5,368,709,121"))
    assert [problem.split(":")[0] for problem in found] == ["`size`", "`size`"]


def test_a_number_counts_only_as_itself() -> None:
    assert states_number("at most 100,000 bytes", 100_000)
    assert states_number("at most 100000 bytes", 100_000)
    assert not states_number("at most 1,000 bytes", 100)
    assert not states_number("version 1.5", 1)
    assert not states_number("up to 2000", 200)


def test_a_link_outside_the_repository_is_named() -> None:
    readme = ROOT / "README.md"
    files = read_markdown()
    files[readme] = files[readme] + (
        "\nSee `../shared/notes-api.md`, [the contract](../shared/notes-api.md), "
        "[Chalice](https://aws.github.io/chalice/), [api](/docs/api.md), [gone](docs/gone.md), "
        "[anchor](docs/api.md#no-such-heading) and <https://example.com>.\n"
    )
    found = link_problems(files)
    assert len(found) == 7, found
    assert found[0].startswith("README.md:") and "points outside the repository" in found[0]
    assert [problem.split(": ", 2)[1] for problem in found[1:]] == [
        "link '../shared/notes-api.md'",
        "link 'https://aws.github.io/chalice/'",
        "link '/docs/api.md'",
        "link 'docs/gone.md'",
        "link 'docs/api.md#no-such-heading'",
        "link 'https://example.com'",
    ]
    assert found[1].endswith("outside the repository")
    assert found[5].endswith("no heading of docs/api.md has the anchor #no-such-heading")


def test_an_absolute_local_path_in_the_text_is_named() -> None:
    api = ROOT / "docs" / "api.md"
    files = read_markdown()
    files[api] = files[api] + f"\nRun it from `{ROOT}`, or `/home/someone/notes`.\n"
    found = link_problems(files)
    assert len(found) == 1 and found[0].startswith("docs/api.md:"), found


def test_links_in_code_are_not_links_and_anchors_are_githubs() -> None:
    text = (
        "# The notes API\n## `POST /notes/{noteId}/attachment`\n## Errors\n## Errors\n"
        "```sh\ncurl [x](http://example.com)\n```\nA `[y](https://example.com)` and [z](#errors-1).\n"
    )
    assert links(text) == ["#errors-1"]
    assert anchors(text) == {"the-notes-api", "post-notesnoteidattachment", "errors", "errors-1"}
