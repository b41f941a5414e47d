"""The names of an export's entries: every part unpacks on Linux, macOS and Windows, and no two
entries are the same name for a system that ignores case."""

from __future__ import annotations

import unicodedata

import pytest

from chalicelib.zip_names import EntryNames, fits, safe_part

WINDOWS_REFUSED = set('<>:"/\\|?*')
DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"COM{n}" for n in range(10)), *(f"LPT{n}" for n in range(10))}


def unpacks_everywhere(part: str) -> bool:
    """What the systems ask of one part of a path: Linux's and macOS's 255 bytes, Windows's
    characters, ending and device names."""
    return (
        0 < len(part.encode()) <= 255
        and len(unicodedata.normalize("NFD", part).encode("utf-16-le")) <= 2 * 255
        and not any(char in WINDOWS_REFUSED or unicodedata.category(char) == "Cc" for char in part)
        and not part.endswith((".", " "))
        and part.split(".", 1)[0].rstrip(" ").upper() not in DEVICES
        and part not in (".", "..")
    )


@pytest.mark.parametrize(
    ("part", "unpacks"),
    [
        ("receipt.pdf", True),
        ("x" * 255, True),
        ("x" * 256, False),  # Linux and macOS: 255 bytes
        ("é" * 127, True),
        ("é" * 128, False),  # 256 bytes
        ("\u01d5" * 85, True),  # 170 bytes; 255 UTF-16 units once decomposed
        ("\u01d5" * 86, False),  # 258 UTF-16 units once decomposed, as HFS+ keeps it
        ("a:b", False),
        ("a?b", False),
        ("tab\there", False),
        ("ends with a dot.", False),
        ("ends with a space ", False),
        ("CON", False),
        ("com1.txt", False),
        ("nul .txt", False),
        ("console", True),
        ("_CON", True),
        ("", False),
        (".", False),
        ("..", False),
    ],
)
def test_what_every_system_unpacks_is_told_apart(part: str, unpacks: bool) -> None:
    # The check the tests below hold the made names to, checked itself.
    assert unpacks_everywhere(part) is unpacks


@pytest.mark.parametrize(
    ("name", "made"),
    [
        ("receipt.pdf", "receipt.pdf"),
        ("C:evil.txt", "C_evil.txt"),
        ('a<b>c"d|e?f*g.txt', "a_b_c_d_e_f_g.txt"),
        ("tab\there", "tab_here"),
        ("CON", "_CON"),
        ("nul", "_nul"),
        ("com1.txt", "_com1.txt"),
        ("Lpt9.tar.gz", "_Lpt9.tar.gz"),
        ("nul .txt", "_nul .txt"),
        ("console", "console"),
        ("ends with a dot.", "ends with a dot"),
        ("ends with a space ", "ends with a space"),
        ("...", "_"),
        ("..", "_"),
        (".", "_"),
        (".profile", ".profile"),
    ],
)
def test_a_name_windows_refuses_is_made_safe(name: str, made: str) -> None:
    assert safe_part(name) == made
    assert unpacks_everywhere(made)


@pytest.mark.parametrize(
    "name",
    [
        "é" * 255,  # 510 bytes
        "𝄞" * 255,  # 1,020 bytes
        "x" * 300 + ".txt",
        "ü" * 200 + ".tar.gz",
        "e\u0301" * 127 + ".md",  # a letter and its accent: never parted
        "\u01d5" * 200,  # grows to three code points each once decomposed, as HFS+ keeps it
        "a" * 250 + "." + "b" * 40,  # no extension worth keeping
    ],
)
def test_a_long_name_is_cut_on_a_character_boundary_keeping_its_extension(name: str) -> None:
    made = safe_part(name)
    assert unpacks_everywhere(made) and fits(made)
    stem, _, extension = name.rpartition(".")
    if stem and len(extension) <= 16:
        assert made.endswith("." + extension)
        kept = made.removesuffix("." + extension)
    else:
        stem, kept = name, made
    assert stem.startswith(kept) and len(kept) < len(stem)
    # Cut before a character, never between a letter and its accent.
    assert not unicodedata.combining(stem[len(kept)])


def test_names_made_equal_are_numbered_and_never_collide() -> None:
    names = EntryNames()
    folder = "0193a1e4-7c2b-7d41-9a8e-3f1c2b4d5e6f/"
    given = [
        names.name(folder, name)
        for name in (
            "a:b.txt",
            "a_b.txt",
            "A_B.TXT",
            "a?b.txt",
            "CON",
            "_con",
            "x" * 300 + "1.txt",
            "x" * 300 + "2.txt",
            "caf\u00e9",
            "cafe\u0301",
            "name.",
            "name",
        )
    ]
    assert given[:6] == [
        f"{folder}a_b.txt",
        f"{folder}a_b (2).txt",
        f"{folder}A_B (3).TXT",
        f"{folder}a_b (4).txt",
        f"{folder}_CON",
        f"{folder}_con (2)",
    ]
    folded = {unicodedata.normalize("NFC", name.casefold()) for name in given}
    assert len(folded) == len(given)
    for entry in given:
        assert all(unpacks_everywhere(part) for part in entry.split("/"))
    assert given[7].endswith(" (2).txt")


def test_a_file_never_takes_the_name_of_a_folder() -> None:
    names = EntryNames()
    assert names.name("trash/", "0193a1e4-7c2b-7d41-9a8e-3f1c2b4d5e6f.md") == (
        "trash/0193a1e4-7c2b-7d41-9a8e-3f1c2b4d5e6f.md"
    )
    assert names.name("", "Trash") == "Trash (2)"
