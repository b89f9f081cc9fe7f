"""`vrlake prepare`: a partner-side prepared file carries no direct identifiers and ingests exactly like the raw
file; a file prepared with another key is refused."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from ingestors.ledger import DeliveryStatus
from privacy.keys import PseudonymisationKey
from privacy.leak_scan import needles_from_values, scan_paths
from privacy.prepare import prepare_file
from tests.conftest import TEST_KEY_HEX
from tests.ingestion_helpers import NOMINALS_HEADER, TEST_KEY, make_lake
from vrlake.cli import app

RAW = (
    NOMINALS_HEADER + ",CRONumber,Nickname\n"
    "43/123456/26,N1,Victim,Okonkwo,Chidinma,01/02/2005,F,LS1 4AP,2001/0123456Z,N,123/45,Chi\n"
    "43/123456/26,N2,Suspect,Featherstone-Haugh,Barnaby,31/13/2004,M,LS2 7EW,,Y,,\n"
    "43/123457/26,N3,Bystander,Jones,Amy,03/04/2006,F,,,N,,\n"
)
LINEAGE = ["_delivery_id", "_source_file", "_ingested_at", "_period"]


@pytest.fixture
def raw_file(tmp_path: Path) -> Path:
    path = tmp_path / "partner" / "police_nominals_2026-10.csv"
    path.parent.mkdir()
    path.write_text(RAW)
    return path


def test_prepared_file_has_no_direct_identifiers_and_reports_what_it_did(raw_file: Path, tmp_path: Path) -> None:
    summary = prepare_file(raw_file, tmp_path / "out", TEST_KEY)
    assert (summary.rows_read, summary.rows_prepared, summary.rows_rejected) == (3, 2, 1)
    assert summary.fields_dropped == ["Nickname", "cro_number"]
    assert summary.treatments["surname"].startswith("replaced by a keyed pseudonym")
    assert all("Bystander" not in str(r) or r["column"] == "role" for r in summary.rejects)
    needles = needles_from_values({
        "name": ["Okonkwo", "Chidinma", "Featherstone-Haugh", "Barnaby", "Chi"],
        "pnc_id": ["2001/0123456Z"],
        "postcode": ["LS1 4AP", "LS2 7EW"],
        "date_of_birth": ["01/02/2005"],
    })
    assert scan_paths([tmp_path / "out"], needles) == []


def test_prepared_file_ingests_exactly_like_the_raw_file(raw_file: Path, tmp_path: Path) -> None:
    raw_lake = make_lake(tmp_path / "raw")
    raw_lake.ingest("police", raw_file.name, raw_file.read_bytes())
    summary = prepare_file(raw_file, tmp_path / "out", TEST_KEY)
    prepared_lake = make_lake(tmp_path / "prepared")
    outcome = prepared_lake.ingest("police", summary.output_file, (tmp_path / "out" / summary.output_file).read_bytes())
    assert outcome.status is DeliveryStatus.LOADED, outcome.explanation
    from_raw = raw_lake.bronze("police_nominals").drop(LINEAGE).sort("_row_number")
    from_prepared = prepared_lake.bronze("police_nominals").drop(LINEAGE).sort("_row_number")
    assert from_prepared.height == 2
    assert from_prepared.equals(from_raw), "same tokens, encodings, coarsened values and LSOAs"
    assert from_prepared.get_column("postcode_lsoa").to_list() == ["E01000001", "E01000002"]


def test_file_prepared_with_another_key_is_quarantined(raw_file: Path, tmp_path: Path) -> None:
    other = PseudonymisationKey(bytes(range(32, 64)), source="another partner's guess")
    summary = prepare_file(raw_file, tmp_path / "out", other)
    lake = make_lake(tmp_path / "lake")
    outcome = lake.ingest("police", summary.output_file, (tmp_path / "out" / summary.output_file).read_bytes())
    assert outcome.status is DeliveryStatus.QUARANTINED and "different pseudonymisation key" in outcome.explanation


def test_prepare_command_prints_a_plain_summary(raw_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VRLAKE_PSEUDONYMISATION_KEY", TEST_KEY_HEX)
    result = CliRunner().invoke(app, ["prepare", str(raw_file), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert "1 held back" in output and "removed: not in the data-sharing agreement" in output
    assert list((tmp_path / "out").glob("*.prepared.parquet"))
    assert pl.read_parquet(next((tmp_path / "out").glob("*.parquet"))).height == 2


def test_prepare_without_a_key_refuses_with_instructions(raw_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("VRLAKE_PSEUDONYMISATION_KEY", "VRLAKE_KEYVAULT_URL", "VRLAKE_DEMO_MODE"):
        monkeypatch.delenv(variable, raising=False)
    result = CliRunner().invoke(app, ["prepare", str(raw_file)])
    assert result.exit_code == 2 and "refuses to ingest without a key" in " ".join(result.output.split())
