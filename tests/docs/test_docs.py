"""docs/openapi.yaml is the API's one reference, docs/api.md explains around it, and both agree.

Every operation of the OpenAPI document says what it does (a summary and a description), and the
document lists every error code the app answers and no other. ``docs/api.md`` links to the
document, names no operation and no schema that the document lacks, and every bound it states
next to a field ("at most 200", "1 to 50") is one the document's schemas and parameters have.
Every Markdown link in ``README.md`` and ``docs/*.md`` is relative, names a file of the repository,
and an anchor names a heading of that file; no text points outside the repository. Each check is
also run on an altered copy, so that it is known to fail when it should.
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
import yaml

from chalicelib import errors
from tests.conftest import ROOT
from tests.docs.test_openapi import resolve

DOCUMENT = ROOT / "docs" / "openapi.yaml"
EXPLANATION = ROOT / "docs" / "api.md"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# The keywords of a schema that set a number a client must respect.
LIMIT_KEYWORDS = ("minLength", "maxLength", "minItems", "maxItems", "minimum", "maximum", "default")
# "GET /notes/{noteId}" in prose, a heading or a table; the path ends before a query or punctuation.
OPERATION_IN_TEXT = re.compile(r"\b(GET|PUT|POST|DELETE|OPTIONS|HEAD|PATCH|TRACE) +(/[A-Za-z0-9_{}/.-]*)")
# "the reference's `Note`": a schema of the OpenAPI document, by name.
SCHEMA_IN_TEXT = re.compile(r"\breference's `([A-Z][A-Za-z]*)`")
# The codes Chalice itself answers with, around the app's views: a Content-Type that is not JSON, a
# method the path does not have (locally; deployed, API Gateway's 403), an exception no view caught.
CHALICE_ERROR_CODES = {"UnsupportedMediaType": 415, "MethodNotAllowedError": 405, "InternalServerError": 500}
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


def document_operations(document: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """``{"GET /notes": operation}`` for every operation of the document."""
    return {
        f"{method.upper()} {path}": operation
        for path, item in document.get("paths", {}).items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    }


def description_problems(document: Mapping[str, Any]) -> list[str]:
    """Operations of the document without a summary or without a description of what they do."""
    problems = []
    for name, operation in sorted(document_operations(document).items()):
        for key in ("summary", "description"):
            value = operation.get(key)
            if not isinstance(value, str) or not value.strip():
                problems.append(f"{name}: no {key} in the OpenAPI document")
    return problems


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


def app_error_codes() -> set[str]:
    """Every ``Code`` the app answers: its own errors' (``chalicelib/errors.py``) and Chalice's."""
    return {code for _, code in errors._CHALICE_SHAPE.values()} | set(CHALICE_ERROR_CODES)


def error_code_problems(document: Mapping[str, Any], answered: set[str]) -> list[str]:
    """Codes the app answers that the document does not list, and codes it lists that none answers."""
    listed = error_codes(document)
    return [
        f"error code {code}: answered by the app, not listed in the OpenAPI document"
        for code in sorted(answered - listed)
    ] + [
        f"error code {code}: listed in the OpenAPI document, never answered by the app"
        for code in sorted(listed - answered)
    ]


def operation_problems(document: Mapping[str, Any], explanation: str) -> list[str]:
    """Operations docs/api.md names that the document does not have."""
    documented = set(document_operations(document))
    named = {f"{method} {path.rstrip('.')}" for method, path in OPERATION_IN_TEXT.findall(explanation)}
    return [
        f"{operation}: named in docs/api.md, not an operation of the OpenAPI document"
        for operation in sorted(named - documented)
    ]


def schema_problems(document: Mapping[str, Any], explanation: str) -> list[str]:
    """Schemas docs/api.md gives as the reference's (`the reference's `Note``, or in a statement about
    the schemas) that the document does not have."""
    schemas = set(document["components"]["schemas"])
    named: set[str] = set()
    for statement in statements(explanation):
        named.update(SCHEMA_IN_TEXT.findall(statement))
        if re.search(r"\bschemas\b", statement):
            named.update(
                span[2] for span in CODE_SPAN.finditer(statement) if re.fullmatch(r"[A-Z][A-Za-z]+", span[2])
            )
    return [
        f"{name}: named in docs/api.md as a schema, not a schema of the OpenAPI document"
        for name in sorted(named - schemas)
    ]


def reference_link_problems(explanation: str) -> list[str]:
    """docs/api.md must link to the reference, docs/openapi.yaml."""
    if any(target.partition("#")[0] == "openapi.yaml" for target in links(explanation)):
        return []
    return ["docs/api.md does not link to openapi.yaml, the reference of every route"]


def schema_properties(document: Mapping[str, Any], schema: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """``(name, schema)`` of every property of an object schema, nested objects included."""
    for name, prop in schema.get("properties", {}).items():
        resolved = resolve(document, prop)
        yield name, resolved
        if "properties" in resolved:
            yield from schema_properties(document, resolved)


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


def stated_bounds(document: Mapping[str, Any], explanation: str) -> list[tuple[str, int, str]]:
    """``(field, bound, sentence)`` for every bound docs/api.md states next to a limited field.

    A bound counts when its sentence (or table row) names one field of the document that has
    limits, and no other: "`title`: at most 200 characters", "`tag` is 1 to 50 characters".
    """
    fields = {field for field, _, _ in schema_limits(document)}
    found = []
    for sentence in (sentence for statement in statements(explanation) for sentence in sentences(statement)):
        named = [field for field in sorted(fields) if f"`{field}`" in sentence]
        if len(named) != 1:
            continue
        bounds = [match[1] for match in BOUND.finditer(sentence)]
        bounds += [number for match in RANGE.finditer(sentence) for number in match.groups()]
        found += [(named[0], int(bound.replace(",", "")), sentence) for bound in bounds]
    return found


def limit_problems(document: Mapping[str, Any], explanation: str) -> list[str]:
    """Bounds docs/api.md states next to a field that the document does not give that field."""
    limits = schema_limits(document)
    problems = []
    for field, bound, sentence in stated_bounds(document, explanation):
        if not any(number == bound for limited, _, number in limits if limited == field):
            problems.append(
                f"`{field}`: docs/api.md gives the bound {bound:,}, which the OpenAPI document "
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
def explanation() -> str:
    return EXPLANATION.read_text(encoding="utf-8")


def read_markdown() -> dict[Path, str]:
    return {path: path.read_text(encoding="utf-8") for path in markdown_files()}


def test_every_operation_says_what_it_does(document: dict[str, Any]) -> None:
    assert len(document_operations(document)) == 27
    assert description_problems(document) == []


def test_the_document_lists_every_error_code_the_app_answers(document: dict[str, Any]) -> None:
    answered = app_error_codes()
    assert {"BadRequestError", "NotFoundError", "PreconditionFailed", "ServiceUnavailable"} <= answered
    assert error_code_problems(document, answered) == []
    # Each has a status in the document: the app's own errors' statuses, and Chalice's.
    statuses = {str(status) for status, _ in errors._CHALICE_SHAPE.values()}
    statuses |= {str(status) for status in CHALICE_ERROR_CODES.values()} - {"405"}
    answered_statuses = {
        status for operation in document_operations(document).values() for status in operation["responses"]
    }
    assert statuses <= answered_statuses


def test_the_explanation_links_to_the_reference(explanation: str) -> None:
    assert reference_link_problems(explanation) == []


def test_the_explanation_names_only_operations_and_schemas_of_the_reference(
    document: dict[str, Any], explanation: str
) -> None:
    assert operation_problems(document, explanation) == []
    assert schema_problems(document, explanation) == []


def test_every_bound_the_explanation_states_is_the_references(
    document: dict[str, Any], explanation: str
) -> None:
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
    # The bounds a reader meets in the explanation are compared, not skipped.
    compared = {(field, bound) for field, bound, _ in stated_bounds(document, explanation)}
    assert {
        ("title", 200),
        ("content", 100_000),
        ("tags", 20),
        ("tags", 50),
        ("limit", 100),
        ("q", 200),
    } <= compared
    assert limit_problems(document, explanation) == []


# Each check, on an altered copy: it finds what was broken, and only that.


def test_an_operation_without_a_summary_or_a_description_is_named(document: dict[str, Any]) -> None:
    changed = copy.deepcopy(document)
    del changed["paths"]["/health"]["get"]["description"]
    changed["paths"]["/trash"]["get"]["summary"] = "  "
    assert description_problems(changed) == [
        "GET /health: no description in the OpenAPI document",
        "GET /trash: no summary in the OpenAPI document",
    ]


def test_an_error_code_left_out_or_made_up_is_named(document: dict[str, Any]) -> None:
    assert error_code_problems(document, app_error_codes() | {"ConflictError"}) == [
        "error code ConflictError: answered by the app, not listed in the OpenAPI document"
    ]
    changed = copy.deepcopy(document)
    codes = changed["components"]["schemas"]["Error"]["properties"]["Code"]["enum"]
    codes.remove("MethodNotAllowedError")
    codes.append("TeapotError")
    assert error_code_problems(changed, app_error_codes()) == [
        "error code MethodNotAllowedError: answered by the app, not listed in the OpenAPI document",
        "error code TeapotError: listed in the OpenAPI document, never answered by the app",
    ]


def test_an_explanation_without_a_link_to_the_reference_is_named(explanation: str) -> None:
    unlinked = explanation.replace("[`openapi.yaml`](openapi.yaml)", "`openapi.yaml`")
    assert unlinked != explanation
    assert reference_link_problems(unlinked) == [
        "docs/api.md does not link to openapi.yaml, the reference of every route"
    ]


def test_an_operation_or_schema_made_up_is_named(document: dict[str, Any], explanation: str) -> None:
    made_up = explanation + "\n`POST /notes/{noteId}/publish` publishes a note.\n"
    assert operation_problems(document, made_up) == [
        "POST /notes/{noteId}/publish: named in docs/api.md, not an operation of the OpenAPI document"
    ]
    renamed = explanation.replace("POST /trash/{noteId}/restore", "POST /trash/{noteId}/undelete")
    assert operation_problems(document, renamed) == [
        "POST /trash/{noteId}/undelete: named in docs/api.md, not an operation of the OpenAPI document"
    ]
    renamed = explanation.replace("reference's `TrashedNote`", "reference's `DeletedNote`").replace(
        "`UploadForm`,", "`UploadTicket`,"
    )
    assert schema_problems(document, renamed) == [
        "DeletedNote: named in docs/api.md as a schema, not a schema of the OpenAPI document",
        "UploadTicket: named in docs/api.md as a schema, not a schema of the OpenAPI document",
    ]


def test_a_bound_stated_wrongly_is_named(document: dict[str, Any], explanation: str) -> None:
    for right, wrong, field, bound in [
        ("at most 200 characters (Unicode", "at most 250 characters (Unicode", "title", "250"),
        ("at most 100,000 bytes", "at most 100,001 bytes", "content", "100,001"),
        ("each 1 to 50 characters", "each 1 to 60 characters", "tags", "60"),
        ("from 1 to 100 (20 unless given)", "from 1 to 1,000 (20 unless given)", "limit", "1,000"),
        ("`q` is 1 to 200 characters", "`q` is 1 to 300 characters", "q", "300"),
    ]:
        assert explanation.count(right) == 1, right
        found = limit_problems(document, explanation.replace(right, wrong))
        assert [problem.split(":")[0] for problem in found] == [f"`{field}`"], found
        assert found[0].startswith(f"`{field}`: docs/api.md gives the bound {bound}, "), found


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


# ---- the layout ---------------------------------------------------------------------------------

# The folders whose every module the layout names, one line each.
LAID_OUT = (
    "chalicelib",
    "contract",
    "local_stack",
    "local_stack/oauth",
    "infra",
    "infra/description",
    "infra/template",
    "notes_cli",
    "web",
    "bench",
    "bench/cases",
)
CODE = (".py", ".js", ".css", ".html")


def layout_paths(text: str) -> set[str]:
    """The paths the layout block of docs/architecture.md names: a name at the line's start, its
    folder the nearest less indented one ending in ``/``; ``a, b`` names both."""
    block = text[text.index("## Layout") :]
    block = block[block.index("```") + 3 :]
    block = block[: block.index("```")]
    folders: list[str] = []
    named: set[str] = set()
    for line in block.splitlines():
        found = re.match(r"^( {0,6})(\S.*?)(?: {2,}|$)", line)
        if not found:
            continue
        level = len(found[1]) // 2
        folders = folders[:level]
        for name in found[2].split(", "):
            named.add("".join(folders) + name.rstrip("/"))
        if found[2].endswith("/"):
            folders.append(found[2])
    return named


def layout_problems(named: set[str], files: set[str]) -> list[str]:
    problems = [
        f"{path}: in the layout, not in the repository"
        for path in sorted(named)
        if path not in files and not any(file.startswith(path + "/") for file in files)
    ]
    for folder in LAID_OUT:
        for file in sorted(files):
            inside = file.startswith(folder + "/") and "/" not in file[len(folder) + 1 :]
            if inside and file.endswith(CODE) and not file.endswith("__init__.py") and file not in named:
                problems.append(f"{file}: in the repository, not in the layout")
    return problems


def test_the_layout_names_every_module_and_only_modules_that_exist() -> None:
    named = layout_paths((ROOT / "docs" / "architecture.md").read_text(encoding="utf-8"))
    tops = {path.split("/")[0] for path in named}
    files = {
        str(path.relative_to(ROOT))
        for top in tops
        for path in ((ROOT / top).rglob("*") if (ROOT / top).is_dir() else [ROOT / top])
        if "__pycache__" not in path.parts
    }
    assert layout_problems(named, files) == []


def test_the_layout_check_finds_a_module_gone_and_one_unnamed() -> None:
    text = "## Layout\n\n```\nweb/\n  gone.js   said\n  app.js, style.css   both\n```\n"
    named = layout_paths(text)
    assert named == {"web", "web/gone.js", "web/app.js", "web/style.css"}
    files = {"web/app.js", "web/style.css", "web/new.js"}
    assert layout_problems(named, files) == [
        "web/gone.js: in the layout, not in the repository",
        "web/new.js: in the repository, not in the layout",
    ]
