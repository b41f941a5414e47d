"""Finding notes through the test client: GET /notes with q, tag and sort.

The test client delivers the notes table's stream to the indexer after each request, so these
tests see the index as it is once the stream caught up; tests/local_stack/test_search_http.py
checks the delay over HTTP on the real stack.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest

import app as notes_app
from chalicelib import words
from chalicelib.dynamodb_calls import client_of
from chalicelib.search import note_entries
from local_stack.streams import StreamFeeder
from tests.chalicelib.test_attachments import attached
from tests.conftest import ApiUser
from tests.paging import walked_ids

# Tags as PynamoDB's list attribute types them.
TREES: Any = ["trees"]
COMMON: Any = ["common"]


def search(user: ApiUser, **params: Any) -> dict[str, Any]:
    response = user.get("/notes?" + urlencode(params))
    assert response.status_code == 200, response.body
    found: dict[str, Any] = response.json_body
    return found


def ids(user: ApiUser, **params: Any) -> list[str]:
    return [note["noteId"] for note in search(user, **params)["notes"]]


def walk(user: ApiUser, **params: Any) -> list[str]:
    """Every page to the end, checking the paging rules on the way: the ids in order."""
    return walked_ids(lambda more: search(user, **params, **more))


def refusal(user: ApiUser, query: str) -> str:
    response = user.get("/notes?" + query)
    assert response.status_code == 400, response.body
    message: str = response.json_body["Message"]
    return message


# ---- what matches ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("Groceries for the week", "gro"),
        ("groceries", "GROCERIES"),
        ("Café au lait", "cafe"),
        ("CAFE", "café"),
        ("Die Straße ist lang", "STRASSE"),
        ("Ｆｕｌｌｗｉｄｔｈ letters", "fullwidth"),
        ("Αθήνα το καλοκαίρι", "αθη"),
        ("Встреча в Москве", "моск"),
        ("東京タワーの写真", "東京"),
        ("हिन्दी में नोट", "हिन्दी"),
        ("مرحبا بالعالم", "مرح"),
        ("report-2024 final", "2024"),
        ("naïve coöperation", "cooperation"),
    ],
)
def test_a_word_is_found_by_its_start_ignoring_case_and_accents_in_any_script(
    alice: ApiUser, text: str, query: str
) -> None:
    note = alice.create(content=text)
    alice.create(content="nothing to see here")
    assert ids(alice, q=query) == [note["noteId"]]


def test_every_word_of_the_query_must_start_a_word_of_the_note(alice: ApiUser) -> None:
    both = alice.create(title="Groceries", content="milk and eggs")
    alice.create(title="Groceries", content="bread only")
    alice.create(title="Dairy", content="milk")
    assert ids(alice, q="gro milk") == [both["noteId"]]
    assert ids(alice, q="milk gro") == [both["noteId"]]
    assert ids(alice, q="gro  milk!!  gro") == [both["noteId"]]
    # The start of a word, not any part of it.
    assert ids(alice, q="roceries") == []
    assert ids(alice, q="ilk") == []


def test_title_tags_and_the_file_name_are_searched_too(alice: ApiUser) -> None:
    by_title = alice.create(title="Lighthouse keeper", content="x")
    by_tag = alice.create(content="y", tags=["Holidays 2025"])
    with_file = attached(alice, b"%PDF-1.4 fake", name="Receipt-March.pdf")
    assert ids(alice, q="lighthouse") == [by_title["noteId"]]
    assert ids(alice, q="holi 2025") == [by_tag["noteId"]]
    assert ids(alice, q="receipt march") == [with_file["noteId"]]
    assert ids(alice, q="pdf") == [with_file["noteId"]]


def test_a_long_word_is_found_by_any_start_and_only_by_its_own(alice: ApiUser) -> None:
    long_word = "a" * 70 + "zeta" + "b" * 30
    note = alice.create(content=f"see {long_word} here")
    other = alice.create(content="a" * 70 + "omega" + "b" * 30)
    assert set(ids(alice, q=long_word[:20])) == {note["noteId"], other["noteId"]}
    assert ids(alice, q=long_word[:74]) == [note["noteId"]]
    assert ids(alice, q=long_word) == [note["noteId"]]
    assert ids(alice, q=long_word + "c") == []


def test_a_word_at_the_end_of_a_note_at_the_size_limit_is_found(alice: ApiUser) -> None:
    filler = " ".join(f"word{n}" for n in range(11_000))
    content = (filler + " finaltoken")[-99_000:]
    note = alice.create(content=content)
    assert ids(alice, q="finaltoken") == [note["noteId"]]
    [found] = search(alice, q="finaltoken")["notes"]
    assert found["snippet"].endswith("finaltoken")
    assert len(found["snippet"]) <= words.SNIPPET_CHARS


# ---- the snippet -----------------------------------------------------------------------------


def test_the_snippet_is_the_content_around_the_first_match(alice: ApiUser) -> None:
    before = " ".join(["lorem"] * 60)
    alice.create(title="Plan", content=f"{before} the MEETING is at noon\nbring   notes {before}")
    [found] = search(alice, q="meet")["notes"]
    snippet = found["snippet"]
    assert "the MEETING is at noon bring notes" in snippet
    assert snippet.startswith("…") and snippet.endswith("…")
    assert len(snippet) <= words.SNIPPET_CHARS
    assert snippet.index("MEETING") < 80


def test_the_snippet_is_the_title_when_only_the_title_matched(alice: ApiUser) -> None:
    alice.create(title="Quarterly budget", content="numbers follow")
    [found] = search(alice, q="quarter")["notes"]
    assert found["snippet"] == "Quarterly budget"


def test_the_snippet_is_plain_text_as_written(alice: ApiUser) -> None:
    alice.create(content='<img src=x onerror="alert(1)"> <b>bold</b> marker')
    [found] = search(alice, q="marker")["notes"]
    assert found["snippet"] == '<img src=x onerror="alert(1)"> <b>bold</b> marker'


def test_only_a_search_carries_a_snippet(alice: ApiUser) -> None:
    alice.create(content="plain", tags=["t"])
    assert "snippet" not in search(alice)["notes"][0]
    assert "snippet" not in search(alice, tag="t")["notes"][0]
    assert "snippet" not in search(alice, sort="updated")["notes"][0]
    assert "snippet" in search(alice, q="plain")["notes"][0]


# ---- tags and order --------------------------------------------------------------------------


def test_a_tag_filter_ignores_case_and_matches_the_whole_tag(alice: ApiUser) -> None:
    work = alice.create(content="a", tags=["Work"])
    alice.create(content="b", tags=["workshop"])
    sharp = alice.create(content="c", tags=["c#"])
    alice.create(content="d", tags=["c"])
    percent = alice.create(content="e", tags=["100%"])
    assert ids(alice, tag="work") == [work["noteId"]]
    assert ids(alice, tag="WORK") == [work["noteId"]]
    assert ids(alice, tag="c#") == [sharp["noteId"]]
    assert ids(alice, tag="100%") == [percent["noteId"]]
    assert ids(alice, tag="wor") == []


def test_sort_updated_puts_the_last_changed_first(alice: ApiUser) -> None:
    first, second, third = (alice.create(content=f"n{n}") for n in range(3))
    assert alice.patch(f"/notes/{first['noteId']}", {"title": "changed"}).status_code == 200
    assert ids(alice, sort="updated") == [first["noteId"], third["noteId"], second["noteId"]]
    assert ids(alice, sort="created") == [third["noteId"], second["noteId"], first["noteId"]]
    assert ids(alice) == ids(alice, sort="created")


def test_q_tag_and_sort_combine(alice: ApiUser) -> None:
    notes = [alice.create(content=f"walnut {n}", tags=["nuts"] if n % 2 else ["tree"]) for n in range(6)]
    alice.create(content="almond", tags=["nuts"])
    assert alice.patch(f"/notes/{notes[1]['noteId']}", {"content": "walnut again"}).status_code == 200
    nuts = [n["noteId"] for n in notes if "nuts" in n["tags"]]
    assert ids(alice, q="walnut", tag="NUTS") == nuts[::-1]
    assert ids(alice, q="walnut", tag="nuts", sort="updated") == [nuts[0], nuts[2], nuts[1]]


@pytest.mark.parametrize(
    "params",
    [
        {"q": "walnut"},
        {"tag": "nuts"},
        {"sort": "updated"},
        {"q": "walnut", "sort": "updated"},
        {"q": "walnut", "tag": "nuts"},
        {"tag": "nuts", "sort": "updated"},
        {"q": "walnut", "tag": "nuts", "sort": "updated"},
    ],
)
@pytest.mark.parametrize("limit", [1, 2, 5])
def test_every_combination_pages_to_the_end_each_match_once_in_order(
    alice: ApiUser, params: dict[str, str], limit: int
) -> None:
    made = [alice.create(content=f"walnut {n}" if n % 3 else f"other {n}", tags=["nuts"]) for n in range(9)]
    for note in made[::4]:
        assert alice.patch(f"/notes/{note['noteId']}", {"title": "touched"}).status_code == 200
    everything = search(alice, **params, limit=100)["notes"]
    assert search(alice, **params, limit=100)["nextCursor"] is None
    expected = [note["noteId"] for note in everything]
    assert walk(alice, **params, limit=limit) == expected
    key = "updatedAt" if params.get("sort") == "updated" else "noteId"
    assert [note[key] for note in everything] == sorted((note[key] for note in everything), reverse=True)
    if "q" in params:
        assert all("walnut" in note["content"] for note in everything)
        assert len(everything) == 6


# ---- correct: only what the owner could GET now ----------------------------------------------


def test_another_users_notes_are_never_found(alice: ApiUser, bob: ApiUser) -> None:
    alice.create(content="zeppelin secret", tags=["private"])
    assert ids(bob, q="zeppelin") == []
    assert ids(bob, tag="private") == []
    assert ids(bob, sort="updated") == []


def test_an_entry_naming_another_users_note_finds_nothing(alice: ApiUser, bob: ApiUser) -> None:
    secret = bob.create(content="bobs diary")
    # An index entry under alice pointing at bob's note (as a bug or a hand-made entry would):
    # every note is read under the caller's own key, so there is nothing there to show.
    notes_app.services.search_model(alice.sub, f"w#diary#{secret['noteId']}").save()
    notes_app.services.search_model(alice.sub, f"u#9999-12-31T00:00:00.000Z#{secret['noteId']}").save()
    assert ids(alice, q="diary") == []
    assert ids(alice, sort="updated") == []


def test_a_deleted_note_is_never_found_even_by_entries_left_behind(alice: ApiUser) -> None:
    note = alice.create(content="quince jam", tags=["kitchen"])
    entries = note_entries(notes_app.services.note_model.get(alice.sub, note["noteId"]))
    assert alice.delete(f"/notes/{note['noteId']}").status_code == 204
    assert ids(alice, q="quince") == []
    # Had the indexer not run yet, the entries would still be there: the answer is the same.
    for entry in entries:
        notes_app.services.search_model(alice.sub, entry).save()
    assert ids(alice, q="quince") == []
    assert ids(alice, tag="kitchen") == []
    assert ids(alice, sort="updated") == []


def test_an_edited_note_is_found_by_its_new_words_and_not_its_old_ones(alice: ApiUser) -> None:
    note = alice.create(content="old harbour", tags=["before"])
    old_entries = note_entries(notes_app.services.note_model.get(alice.sub, note["noteId"]))
    changed = alice.put(
        f"/notes/{note['noteId']}", {"title": "", "content": "new lighthouse", "tags": ["after"]}
    )
    assert changed.status_code == 200
    assert ids(alice, q="lighthouse") == [note["noteId"]]
    assert ids(alice, tag="after") == [note["noteId"]]
    for entry in old_entries:  # as if the indexer lagged: the old words still find nothing
        notes_app.services.search_model(alice.sub, entry).save()
    assert ids(alice, q="harbour") == []
    assert ids(alice, tag="before") == []
    assert ids(alice, sort="updated") == [note["noteId"]]


# ---- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("q=", "'q' must be 1 to 200 characters"),
        ("q=" + "a" * 201, "'q' must be 1 to 200 characters"),
        ("q=...%20!!", "'q' must hold at least one word"),
        ("q=a&q=b", "'q' is given more than once"),
        ("tag=", "'tag' must be 1 to 50 characters"),
        ("tag=" + "t" * 51, "'tag' must be 1 to 50 characters"),
        ("sort=name", "'sort' must be one of created, updated"),
        ("sort=updated&sort=created", "'sort' is given more than once"),
        ("order=updated", "unknown query parameter 'order'"),
    ],
)
def test_bad_parameters_are_400_naming_what_is_wrong(alice: ApiUser, query: str, named: str) -> None:
    assert named in refusal(alice, query)


def test_a_cursor_is_bound_to_its_user_and_its_parameters(alice: ApiUser, bob: ApiUser) -> None:
    for n in range(3):
        alice.create(content=f"walnut {n}", tags=["nuts"])
        bob.create(content=f"walnut {n}", tags=["nuts"])
    cursors = {
        "q=walnut": search(alice, q="walnut", limit=1)["nextCursor"],
        "tag=nuts": search(alice, tag="nuts", limit=1)["nextCursor"],
        "sort=updated": search(alice, sort="updated", limit=1)["nextCursor"],
        "": search(alice, limit=1)["nextCursor"],
    }
    assert all(cursors.values())
    for made_for, cursor in cursors.items():
        for used_with in ("q=walnut", "q=Walnut", "tag=nuts", "sort=updated", "", "q=walnut&sort=updated"):
            query = "&".join(part for part in (used_with, f"cursor={cursor}", "limit=1") if part)
            if used_with == made_for:
                assert alice.get("/notes?" + query).status_code == 200
            else:
                assert "cursor" in refusal(alice, query), (made_for, used_with)
        assert "cursor" in refusal(bob, "&".join(p for p in (made_for, f"cursor={cursor}") if p))
    # The plain listing's cursor is the same with sort=created as without it.
    assert alice.get(f"/notes?sort=created&limit=1&cursor={cursors['']}").status_code == 200


# ---- the index: rebuilt the same, and a cost that does not grow with other notes -----------


def test_a_rebuilt_index_answers_the_same(alice: ApiUser, bob: ApiUser) -> None:
    for user in (alice, bob):
        for n in range(8):
            user.create(title=f"Note {n}", content=f"walnut {n} café", tags=["nuts"] if n % 2 else ["x"])
    gone = alice.create(content="walnut to delete")
    assert alice.delete(f"/notes/{gone['noteId']}").status_code == 204
    queries = [
        {"q": "walnut"},
        {"q": "cafe note"},
        {"tag": "nuts"},
        {"sort": "updated"},
        {"q": "wal", "tag": "x"},
    ]
    before = {str(q): (walk(alice, **q, limit=3), walk(bob, **q, limit=3)) for q in queries}
    entries = {item.entry for item in notes_app.services.search_model.scan()}
    # Lose the index, leave a stale entry in it, and rebuild: the same answers, the same entries.
    with notes_app.services.search_model.batch_write() as batch:
        for item in list(notes_app.services.search_model.scan()):
            batch.delete(item)
    notes_app.services.search_model(alice.sub, f"w#stale#{gone['noteId']}").save()
    assert ids(alice, q="walnut") == []
    report = notes_app.services.search_index.rebuild()
    assert (report.notes, report.deleted) == (16, 1)
    assert {item.entry for item in notes_app.services.search_model.scan()} == entries
    assert {str(q): (walk(alice, **q, limit=3), walk(bob, **q, limit=3)) for q in queries} == before
    assert notes_app.services.search_index.rebuild().put == 0  # nothing left to do


def test_a_batch_given_again_leaves_the_index_as_the_note_says(alice: ApiUser) -> None:
    note = alice.create(content="walnut", tags=["nuts"])
    stored = notes_app.services.note_model.get(alice.sub, note["noteId"])
    stored.update(
        actions=[
            notes_app.services.note_model.content.set("hazel"),
            notes_app.services.note_model.tags.set(TREES),
        ]
    )
    events: list[dict[str, Any]] = []
    StreamFeeder(notes_app.settings.table_name, notes_app.settings.region, events.append).deliver()
    assert len(events) == 1
    for event in events * 2:  # Lambda gives a failed batch again: the second time changes nothing
        notes_app.index_notes(event, None)
    current = notes_app.services.note_model.get(alice.sub, note["noteId"])
    assert set(notes_app.services.search_index.entries_of(alice.sub)) == note_entries(current)
    assert ids(alice, q="hazel") == [note["noteId"]]
    assert ids(alice, q="walnut") == []
    assert ids(alice, tag="nuts") == []


def reads_of(user: ApiUser, **params: Any) -> tuple[int, int]:
    """The DynamoDB requests one search makes, and the items they read."""
    counted = {"requests": 0, "items": 0}

    def count(parsed: dict[str, Any], model: Any, **_: Any) -> None:
        counted["requests"] += 1
        if model.name == "Query":
            counted["items"] += int(parsed.get("ScannedCount", 0))
        elif model.name == "BatchGetItem":
            counted["items"] += sum(len(items) for items in parsed.get("Responses", {}).values())

    clients = {id(client_of(m)): m for m in (notes_app.services.note_model, notes_app.services.search_model)}
    for model in clients.values():
        client_of(model).meta.events.register("after-call.dynamodb", count)
    try:
        ids(user, **params)
    finally:
        for model in clients.values():
            client_of(model).meta.events.unregister("after-call.dynamodb", count)
    return counted["requests"], counted["items"]


def test_a_searchs_reads_do_not_grow_with_the_notes_that_do_not_match(alice: ApiUser, feeder: Any) -> None:
    for n in range(3):
        alice.create(content=f"zephyrine quillwort {n}", tags=["rare"])
    searches = [{"q": "zephyrine quillwort"}, {"q": "quill"}, {"tag": "rare"}, {"q": "zephyr", "tag": "rare"}]
    few = [reads_of(alice, **params) for params in searches]
    with notes_app.services.note_model.batch_write() as batch:  # 300 more notes, none matching
        for n in range(300):
            note = notes_app.services.note_model(
                alice.sub, f"01000000-0000-7000-8000-{n:012d}", content=f"common words {n}"
            )
            note.createdAt = note.updatedAt = "2020-01-01T00:00:00.000Z"
            note.tags = COMMON
            batch.save(note)
    assert feeder.deliver() == 300  # indexed as the stream says
    many = [reads_of(alice, **params) for params in searches]
    assert many == few
    assert all(items <= 2 * 3 + 3 for _, items in many), many


@pytest.mark.parametrize(
    ("text", "prefix", "at"),
    [
        ("ß-Straße-weg", "weg", 9),  # ß folds to two letters: the offset is the original text's
        ("(Ünïcode)-ünïque", "uniq", 10),
        ("x " + "-".join(["ab"] * 20_000) + "-target", "target", 60_002),  # one long chunk, read once
    ],
)
def test_the_first_match_is_found_where_the_original_text_has_it(text: str, prefix: str, at: int) -> None:
    assert words.first_match(text, (prefix,)) == at


def seeded(user: ApiUser, feeder: Any, count: int, content: str, first: int = 0, year: int = 2021) -> None:
    """``count`` more notes of ``content`` (and their number), changed a second apart in ``year``,
    indexed."""
    with notes_app.services.note_model.batch_write() as batch:
        for n in range(first, first + count):
            note = notes_app.services.note_model(
                user.sub, f"01000000-0000-7000-8000-{n:012d}", content=f"{content} {n}"
            )
            note.createdAt = "2020-01-01T00:00:00.000Z"
            note.updatedAt = f"{year}-01-01T{n // 60 // 60:02d}:{n // 60 % 60:02d}:{n % 60:02d}.000Z"
            batch.save(note)
    assert feeder.deliver() == count


def test_a_page_by_last_change_reads_no_more_however_many_notes_match(alice: ApiUser, feeder: Any) -> None:
    # Ten words starting "wal" in each note: the notes of the first seeding alone hold more
    # entries of "wal" than one read of them takes.
    common = " ".join(f"wal{n}" for n in range(10))
    seeded(alice, feeder, 120, common)
    first = search(alice, q="wal", sort="updated", limit=5)
    few = reads_of(alice, q="wal", sort="updated", limit=5)
    seeded(alice, feeder, 300, common, first=1000, year=2020)  # 300 more matches, changed before
    assert search(alice, q="wal", sort="updated", limit=5) == first
    assert reads_of(alice, q="wal", sort="updated", limit=5) == few
    # The page itself: the five last changed, and the rest after its cursor.
    assert [note["content"].rsplit(" ", 1)[1] for note in first["notes"]] == [
        "119",
        "118",
        "117",
        "116",
        "115",
    ]
    assert len(walk(alice, q="wal", sort="updated", limit=50)) == 420


@pytest.mark.parametrize("sort", ["updated", "created"])
def test_many_common_words_and_one_no_note_holds_read_little_of_the_common_ones(
    alice: ApiUser, feeder: Any, sort: str
) -> None:
    twelve = "apple banana cherry date elder fig grape hazel ice juniper kiwi lemon"
    query = " ".join("abcdefghijkl") + " x"  # 13 one-letter words; no note has a word starting x
    seeded(alice, feeder, 160, twelve)
    few = reads_of(alice, q=query, sort=sort)
    seeded(alice, feeder, 400, twelve, first=1000)
    assert search(alice, q=query, sort=sort) == {"notes": [], "nextCursor": None}
    assert reads_of(alice, q=query, sort=sort) == few
