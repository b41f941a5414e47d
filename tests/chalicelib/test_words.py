"""Words as search sees them (chalicelib.words), each function on chosen inputs: folding, the
words of a text, the query's words, the index's keys, prefix matching and the snippet."""

from __future__ import annotations

import pytest

from chalicelib.words import (
    MAX_KEY_CHARS,
    SNIPPET_CHARS,
    Vocabulary,
    first_match,
    fold,
    index_keys,
    lookup_key,
    query_words,
    snippet,
    words,
)


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Hello World", "hello world"),
        ("Café", "cafe"),
        ("cafe\u0301", "cafe"),  # the accent as a combining mark of its own
        ("Straße", "strasse"),
        ("ÀÉÎÕÜ", "aeiou"),
        ("\ufb01ne", "fine"),  # the ligature fi
        ("ＡＢＣ１２３", "abc123"),  # full-width letters and digits
        ("Ωμέγα", "ωμεγα"),
        ("", ""),
    ],
)
def test_fold_decomposes_drops_marks_and_ignores_case(text: str, folded: str) -> None:
    assert fold(text) == folded


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Hello, wörld! 42", ["hello", "world", "42"]),
        ("snake_case and kebab-case", ["snake", "case", "and", "kebab", "case"]),
        ("  \n\t ", []),
        ("e-mail: a.b@example.com", ["e", "mail", "a", "b", "example", "com"]),
        # Devanagari's virama and vowel sign are marks: dropped, and the word stays one.
        ("नमस्ते दुनिया", ["नमसत", "दनय"]),
        ("日本語のテキスト", ["日本語のテキスト"]),
    ],
)
def test_words_are_runs_of_letters_and_digits_after_folding(text: str, found: list[str]) -> None:
    assert words(text) == found


@pytest.mark.parametrize(
    ("query", "asked"),
    [
        ("gro groceries", ("groceries",)),
        ("Cat cat CAT", ("cat",)),
        ("b a ab", ("ab", "b")),
        ("Crème brûlée", ("brulee", "creme")),
        ("  ", ()),
        ("milk, eggs; milk", ("eggs", "milk")),
    ],
)
def test_query_words_are_distinct_sorted_and_drop_a_start_of_another(
    query: str, asked: tuple[str, ...]
) -> None:
    assert query_words(query) == asked


def test_index_keys_are_each_distinct_word_cut_to_the_key_length() -> None:
    assert MAX_KEY_CHARS == 64
    long_word = "x" * 70
    assert index_keys(["Café bar", f"BAR {long_word}", ""]) == {"cafe", "bar", "x" * 64}
    assert index_keys([]) == set()
    assert lookup_key("y" * 80) == "y" * 64
    assert lookup_key("short") == "short"


def test_the_vocabulary_holds_each_word_by_its_start() -> None:
    vocabulary = Vocabulary(["Grocery list", "Bread & Café"])
    assert vocabulary.has_start("gro")
    assert vocabulary.has_start("grocery")
    assert vocabulary.has_start("caf")
    assert vocabulary.has_start("list")
    assert not vocabulary.has_start("lists")
    assert not vocabulary.has_start("rocery")  # inside a word, not its start
    assert not vocabulary.has_start("zzz")  # after every word
    assert vocabulary.has_all(("gro", "bre"))
    assert not vocabulary.has_all(("gro", "milk"))
    assert vocabulary.has_all(())
    assert not Vocabulary([]).has_start("a")


@pytest.mark.parametrize(
    ("text", "prefixes", "at"),
    [
        ("Un café noir", ("cafe",), 3),
        ("Un café noir", ("noir", "un"), 0),
        ("Un café noir", ("thé",), None),
        ("(Café) au lait", ("caf",), 1),  # in a chunk, after a character that is no word's
        ("x\ufb01-café", ("caf",), 3),  # the ligature folds to two characters, counted as one
        ("cafe\u0301-bar", ("bar",), 6),  # the combining accent folds to nothing, counted as one
        ("", ("a",), None),
    ],
)
def test_first_match_is_where_the_first_matching_word_begins_in_the_text_as_written(
    text: str, prefixes: tuple[str, ...], at: int | None
) -> None:
    assert first_match(text, prefixes) == at


def test_a_snippet_of_a_short_note_is_its_content_on_one_line() -> None:
    assert snippet("Title", "buy\n\nmilk  and   eggs", ("milk",)) == "buy milk and eggs"


def test_a_snippet_starts_at_a_word_some_way_before_the_first_match() -> None:
    content = "word " * 100 + "target here"  # the match at 500; 60 before it is inside a word
    assert snippet("Title", content, ("target",)) == "…" + "word " * 11 + "target here"


def test_a_snippet_is_cut_to_its_length_with_an_ellipsis() -> None:
    assert SNIPPET_CHARS == 200
    content = "start " + "y" * 300
    made = snippet("Title", content, ("start",))
    assert made == "start " + "y" * 193 + "…"
    assert len(made) == SNIPPET_CHARS
    middle = "a " * 100 + "needle " + "z" * 400
    cut = snippet("", middle, ("needle",))
    assert cut == "…" + "a " * 29 + "needle " + "z" * 133 + "…"
    assert len(cut) == SNIPPET_CHARS


def test_a_snippet_is_the_title_when_only_the_title_matches_or_there_is_no_content() -> None:
    assert snippet("Groceries  for\tSunday", "milk and eggs", ("gro",)) == "Groceries for Sunday"
    assert snippet("Empty  note", "  \n ", ("zzz",)) == "Empty note"


def test_a_snippet_is_the_contents_start_when_nothing_matches() -> None:
    assert snippet("Title", "a   b\n\nc", ("zzz",)) == "a b c"
    assert snippet("Title", "z" * 500, ("qqq",)) == "z" * 199 + "…"
