"""Zone names and object-path rules: the contract every backend and caller relies on."""

from __future__ import annotations

import pytest

from storage import IDENTIFIABLE_ZONES, ZONES, check_path, check_zone, is_identifiable


def test_zone_names_are_the_agreed_ones() -> None:
    # Renaming a zone renames folders and containers in every deployment: this must be deliberate.
    assert ZONES == ("landing", "quarantine", "archive", "lake", "warehouse", "marts", "reports")
    assert IDENTIFIABLE_ZONES == ("landing", "archive")


def test_only_landing_and_archive_are_identifiable() -> None:
    assert [zone for zone in ZONES if is_identifiable(zone)] == ["landing", "archive"]


def test_unknown_zone_is_rejected_with_the_valid_names() -> None:
    with pytest.raises(ValueError, match="'lnding'.*landing, quarantine"):
        check_zone("lnding")


@pytest.mark.parametrize("path", ["a.csv", "police/2024/occurrences.csv", "a b/ü.csv", "x/.hidden"])
def test_valid_paths_are_returned_unchanged(path: str) -> None:
    assert check_path(path) == path


@pytest.mark.parametrize(
    "path", ["", "/abs.csv", "../escape.csv", "a/../../b", "a//b", "a/./b", "a\\b", "a/"]
)
def test_paths_that_could_escape_or_mean_two_things_are_rejected(path: str) -> None:
    with pytest.raises(ValueError):
        check_path(path)


@pytest.mark.parametrize("prefix", ["", "police/", "police/2024", "police/2024/"])
def test_list_prefixes_may_be_empty_or_end_with_a_slash(prefix: str) -> None:
    assert check_path(prefix, allow_empty=True) == prefix


@pytest.mark.parametrize("prefix", ["/", "../", "a//", "a/../"])
def test_list_prefixes_cannot_escape_either(prefix: str) -> None:
    with pytest.raises(ValueError):
        check_path(prefix, allow_empty=True)
