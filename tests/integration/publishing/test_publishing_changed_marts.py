"""Publishing rewrites a mart's files only when its content changed, and its manifest always tells the truth.

A delivery that changes two marts out of eleven must not rewrite (and re-send to commissioners' sync tools) the
nine that did not change; a mart that did change must be rewritten in every format.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from deltalake import DeltaTable

from publishing.export import MARTS_ZONE, content_fingerprint, publish_mart
from storage import Store
from tests.integration.publishing.synthetic_pipeline import open_home

MART = "mart_violence_by_area_month"
FILES = (f"{MART}.csv", f"{MART}.xlsx")


def _mart(events: int = 10) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "area_code": ["E01000001", "E01000002", "VRU"],
            "month_start": [dt.date(2026, 1, 1)] * 3,
            "events": [events, None, 20],
            "events_display": [str(events), "*", "20"],
            "events_per_1000": [6.7, None, 7.4],
        }
    )


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return open_home(tmp_path / "home")


def _state(store: Store) -> dict[str, Any]:
    """What a commissioner's sync tool would see change: each file's etag and the Delta table's version."""
    uri = store.delta_uri(MART, zone=MARTS_ZONE)
    return {
        **{name: store.info(MARTS_ZONE, name).etag for name in FILES},
        "delta_version": DeltaTable(uri, storage_options=store.delta_storage_options() or None).version(),
    }


def _manifest(store: Store) -> dict[str, Any]:
    return json.loads(store.read_text(MARTS_ZONE, f"{MART}.manifest.json"))


def test_fingerprint_ignores_row_order_but_not_a_changed_cell_or_type() -> None:
    mart = _mart()
    assert content_fingerprint(mart) == content_fingerprint(mart.reverse())
    assert content_fingerprint(mart) != content_fingerprint(_mart(events=15))
    assert content_fingerprint(mart) != content_fingerprint(mart.with_columns(pl.col("events").cast(pl.Float64)))


def test_unchanged_mart_keeps_its_files_and_gets_a_fresh_manifest(store: Store) -> None:
    first = publish_mart(store, MART, _mart())
    assert first.rewritten
    before, manifest_before = _state(store), _manifest(store)

    again = publish_mart(store, MART, _mart().reverse())  # same content; dbt gives no row order

    assert not again.rewritten
    assert _state(store) == before
    manifest = _manifest(store)
    assert manifest["content_sha256"] == manifest_before["content_sha256"] == again.fingerprint
    assert manifest["published_at"] == manifest_before["published_at"] == first.published_at.isoformat()
    assert manifest["checked_at"] > manifest_before["checked_at"]


def test_changed_mart_is_rewritten_in_every_format(store: Store) -> None:
    publish_mart(store, MART, _mart())
    before, manifest_before = _state(store), _manifest(store)

    changed = publish_mart(store, MART, _mart(events=15))

    assert changed.rewritten
    after = _state(store)
    assert all(after[key] != before[key] for key in before), (before, after)
    manifest = _manifest(store)
    assert manifest["content_sha256"] != manifest_before["content_sha256"]
    assert manifest["published_at"] > manifest_before["published_at"]
    csv = pl.read_csv(store.read_bytes(MARTS_ZONE, f"{MART}.csv"))
    assert csv.filter(pl.col("area_code") == "E01000001")["events"].to_list() == [15]
    delta = pl.read_delta(store.delta_uri(MART, zone=MARTS_ZONE))
    assert delta.filter(pl.col("area_code") == "E01000001")["events"].to_list() == [15]


def test_missing_file_is_restored_even_when_the_content_is_unchanged(store: Store) -> None:
    publish_mart(store, MART, _mart())
    store.delete(MARTS_ZONE, f"{MART}.xlsx")

    assert publish_mart(store, MART, _mart()).rewritten
    assert store.exists(MARTS_ZONE, f"{MART}.xlsx")


def test_force_rewrites_unchanged_content(store: Store) -> None:
    publish_mart(store, MART, _mart())
    before = _state(store)

    assert publish_mart(store, MART, _mart(), force=True).rewritten
    assert _state(store)["delta_version"] == before["delta_version"] + 1


def test_a_mart_longer_than_an_excel_sheet_continues_on_further_sheets(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import publishing.export as export

    monkeypatch.setattr(export, "EXCEL_DATA_ROWS", 2)  # as if Excel held two rows a sheet
    mart = pl.concat([_mart(10), _mart(15)])
    publish_mart(store, MART, mart, max_workbook_rows=10)
    local = tmp_path / "mart.xlsx"
    local.write_bytes(store.read_bytes(MARTS_ZONE, f"{MART}.xlsx"))
    sheets = pl.read_excel(local, sheet_id=0, infer_schema_length=0)
    assert list(sheets) == [f"{MART[:27]} ({i})" for i in (1, 2, 3)]
    assert [frame.height for frame in sheets.values()] == [2, 2, 2]
    read_back = pl.concat(sheets.values()).get_column("events_display").to_list()
    assert read_back == mart.get_column("events_display").to_list()


def test_worksheet_names_fit_excels_limit() -> None:
    from publishing.export import EXCEL_DATA_ROWS, worksheet_names

    long_name = "mart_factor_prevalence_by_area_age_sex"
    assert worksheet_names(long_name, 10) == [long_name[:31]]
    names = worksheet_names(long_name, 12 * EXCEL_DATA_ROWS + 1)
    assert len(names) == 13 and len(set(names)) == 13 and all(len(n) <= 31 for n in names)


def test_a_mart_longer_than_the_workbook_limit_is_published_without_a_stale_workbook(store: Store) -> None:
    publish_mart(store, MART, _mart(), max_workbook_rows=3)
    assert store.exists(MARTS_ZONE, f"{MART}.xlsx") and "xlsx" in _manifest(store)["files"]

    longer = pl.concat([_mart(), _mart(15)])
    published = publish_mart(store, MART, longer, max_workbook_rows=3)

    # The workbook of the shorter content must not survive beside the new CSV and Delta table.
    assert published.rewritten and "xlsx" not in published.paths
    assert not store.exists(MARTS_ZONE, f"{MART}.xlsx")
    manifest = _manifest(store)
    assert set(manifest["files"]) == {"delta", "csv"}
    assert "6 rows" in manifest["no_workbook"] and "VRLAKE_XLSX_MAX_ROWS=3" in manifest["no_workbook"]
    assert pl.read_csv(store.read_bytes(MARTS_ZONE, f"{MART}.csv")).height == 6
    # Unchanged content is still recognised: nothing is rewritten on the next refresh.
    assert not publish_mart(store, MART, longer, max_workbook_rows=3).rewritten
    # Shorter again: the workbook comes back.
    assert publish_mart(store, MART, _mart(), max_workbook_rows=3).rewritten
    assert store.exists(MARTS_ZONE, f"{MART}.xlsx") and "no_workbook" not in _manifest(store)


@pytest.mark.parametrize(("setting", "expected"), [("", 100_000), ("0", 0), ("2,000,000", 2_000_000)])
def test_workbook_limit_comes_from_the_environment(setting: str, expected: int) -> None:
    from publishing.export import xlsx_max_rows

    assert xlsx_max_rows({"VRLAKE_XLSX_MAX_ROWS": setting}) == expected


def test_a_bad_workbook_limit_is_a_clear_error() -> None:
    from publishing.export import xlsx_max_rows

    with pytest.raises(ValueError, match="VRLAKE_XLSX_MAX_ROWS must be a whole number of rows"):
        xlsx_max_rows({"VRLAKE_XLSX_MAX_ROWS": "lots"})
