"""Partner files: names, formats and headers as each partner's system writes them, readable by ingestion."""

from __future__ import annotations

import codecs
import datetime as dt
import json
import re
from pathlib import Path

import fastexcel
import polars as pl
import pytest
from synth_helpers import landing_files

from ingestors.contract import load_contracts
from ingestors.detect import feed_from_name, map_headers
from ingestors.readers import read_delivery
from synth.generate import SynthResult
from synth.writers.common import render
from synth.writers.education import EXCLUSIONS, write_exclusions
from synth.writers.health import ATTENDANCES, write_attendances

FILE_NAME = re.compile(r"^(?P<stem>[a-z_]+)_(?P<period>\d{4}-\d{2})\.(?P<ext>csv|jsonl|xlsx)$")


def test_every_file_follows_the_naming_convention_and_sits_in_its_partners_folder(
    small_run: SynthResult,
) -> None:
    contracts = load_contracts()
    files = landing_files(small_run)
    assert files, "no landing files written"
    for path in files:
        match = FILE_NAME.match(path.name)
        assert match, path.name
        contract = next(c for c in contracts.values() if c.file_stem == match["stem"])
        assert path.parent.name == contract.partner
        assert match["ext"] in contract.formats
        assert match["period"] in small_run.manifest["window"]["periods"]


def test_every_file_parses_and_its_headers_are_the_first_contract_aliases(small_run: SynthResult) -> None:
    contracts = load_contracts()
    feeds_seen = set()
    for path in landing_files(small_run):
        match = feed_from_name(path.name, contracts)
        assert match is not None, path.name
        raw = read_delivery(path, path.name, [match.contract])
        assert raw.frame.height > 0
        _, unrecognised = map_headers(raw.headers, match.contract)
        assert unrecognised == []
        assert raw.headers == [c.aliases[0] for c in match.contract.columns], path.name
        assert raw.malformed_rows is None or raw.malformed_rows.height == 0
        feeds_seen.add(match.contract.feed)
    assert feeds_seen == set(contracts)


def test_row_counts_in_manifest_match_the_files(small_run: SynthResult) -> None:
    contracts = load_contracts()
    for name, rows in small_run.manifest["files"].items():
        path = small_run.out / name
        contract = feed_from_name(path.name, contracts).contract
        assert read_delivery(path, path.name, [contract]).frame.height == rows


def test_police_files_are_utf8_commas_with_uk_dates(small_run: SynthResult) -> None:
    path = next((small_run.out / "landing" / "police").glob("police_occurrences_*.csv"))
    text = path.read_bytes().decode("utf-8")
    assert not text.startswith("\ufeff")
    header, first = text.splitlines()[:2]
    assert header.startswith("OccurrenceRef,RecordedDate,OffenceFromDate")
    assert re.match(r"^\d{2}/\d{6}/\d{2},\d{2}/\d{2}/\d{4},", first)


def test_probation_is_json_lines_with_registers_as_arrays(small_run: SynthResult) -> None:
    path = next((small_run.out / "landing" / "probation").glob("*.jsonl"))
    records = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    assert records
    for record in records:
        assert isinstance(record["registers"], list)
        assert re.match(r"^\d{4}-\d{2}-\d{2}$", record["dateOfBirth"])
        assert record["roshLevel"] in (None, "LOW", "MEDIUM", "HIGH", "VERY_HIGH")
        assert isinstance(record["noFixedAbode"], bool)


def test_census_workbook_has_a_title_block_and_real_excel_dates(small_run: SynthResult) -> None:
    path = next((small_run.out / "landing" / "education").glob("education_census_*.xlsx"))
    workbook = fastexcel.read_excel(path)
    assert workbook.sheet_names == ["Census"]
    top = workbook.load_sheet("Census", header_row=None, n_rows=5).to_polars()
    first_column = top[:, 0].to_list()
    assert all(isinstance(v, str) and v for v in first_column[:3])  # three title lines
    assert first_column[3] == "UPN"
    data = workbook.load_sheet("Census", header_row=3).to_polars()
    assert data.schema["DOB"] in (
        pl.Date,
        pl.Datetime("ms"),
        pl.Datetime("us"),
        pl.Datetime("ns"),
    ) or isinstance(data.schema["DOB"], pl.Datetime)


def test_exclusions_are_semicolons_in_windows_1252(small_run: SynthResult) -> None:
    path = next((small_run.out / "landing" / "education").glob("education_exclusions_*.csv"))
    data = path.read_bytes()
    assert (
        data.split(b"\r\n")[0]
        == b"UPN;Surname;Forename;DateOfBirth;SchoolURN;Category;StartDate;Sessions;ReasonCode"
    )
    data.decode("cp1252")  # every byte is a Windows-1252 character


def test_accented_names_round_trip_through_windows_1252(tmp_path: Path) -> None:
    names = ["Zoë", "Chloé", "Seán", "Siobhán", "Anaïs", "O'Brien"]
    frame = pl.DataFrame(
        {
            "upn": ["B801200005001"] * 6,
            "surname": names,
            "forenames": names,
            "date_of_birth": [dt.date(2012, 1, 2)] * 6,
            "school_urn": ["912345"] * 6,
            "category": ["suspension"] * 6,
            "start_date": [dt.date(2026, 3, 2)] * 6,
            "sessions": [2] * 6,
            "reason_code": ["DB"] * 6,
        }
    )
    path = tmp_path / "education_exclusions_2026-03.csv"
    write_exclusions(frame, path)
    assert "Zoë".encode("cp1252") in path.read_bytes()  # a single byte per accented letter, not UTF-8
    raw = read_delivery(path, path.name, [load_contracts()["education_exclusions"]])
    assert raw.encoding == "windows-1252"
    assert raw.frame["Forename"].to_list() == names


def test_istv_extract_has_a_byte_order_mark(small_run: SynthResult) -> None:
    path = next((small_run.out / "landing" / "health").glob("ed_assaults_*.csv"))
    data = path.read_bytes()
    assert data.startswith(codecs.BOM_UTF8)
    assert data[3:].split(b"\r\n")[0].startswith(b"ISTVRef,SiteCode,ArrivalDate")


def test_ed_attendances_are_pipe_delimited_and_survive_a_line_break_in_a_field(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {
            "attendance_id": ["RX9012601010001", "RX9012601010002"],
            "arrival_date": ["2026-01-01"] * 2,
            "arrival_time": ["01:02:03"] * 2,
            "nhs_number": ["9434765919", None],
            "forenames": ["Mary\nAnne", "Bob"],
            "surname": ["Smith", "Jones"],
            "date_of_birth": ["1990-01-01"] * 2,
            "sex": ["F", "M"],
            "postcode": ["AW1 0AB", None],
            "injury_date": ["2026-01-01"] * 2,
            "injury_intent": ["assault"] * 2,
            "injury_mechanism": ["body_part"] * 2,
            "place_of_injury": ["street"] * 2,
            "alcohol_drug_involvement": ["alcohol"] * 2,
            "site_code": ["RX901"] * 2,
        }
    ).with_columns(pl.col("arrival_date", "date_of_birth", "injury_date").str.to_date())
    path = tmp_path / "ed_attendances_2026-01.csv"
    write_attendances(frame, path)
    assert b'"Mary\nAnne"' in path.read_bytes()
    raw = read_delivery(path, path.name, [load_contracts()["ed_attendances"]])
    assert raw.delimiter == "|"
    assert raw.frame.height == 2
    assert raw.frame["PatientForename"].to_list() == ["Mary\nAnne", "Bob"]
    assert raw.frame["PersonStatedGenderCode"].to_list() == ["2", "1"]
    assert render(frame, ATTENDANCES)["injury_intent"].to_list() == ["ASSAULT", "ASSAULT"]


@pytest.mark.parametrize("style", [ATTENDANCES, EXCLUSIONS])
def test_partner_code_variants_translate_back_to_contract_codes(style: object) -> None:
    contract = load_contracts()[style.feed]  # type: ignore[attr-defined]
    for column_name, variants in style.variants.items():  # type: ignore[attr-defined]
        column = contract.column(column_name)
        for canonical, partner_code in variants.items():
            assert column.code_map.get(partner_code, partner_code) in (column.codes or ()), (
                column_name,
                canonical,
            )


def test_every_partner_variant_is_understood_by_its_contract() -> None:
    from synth.writers import education, health, police, probation

    contracts = load_contracts()
    styles = [
        police.OCCURRENCES,
        police.NOMINALS,
        probation.CASELOAD,
        education.CENSUS,
        education.EXCLUSIONS,
        health.ATTENDANCES,
        health.ASSAULTS,
    ]
    for style in styles:
        contract = contracts[style.feed]
        for column_name, variants in style.variants.items():
            column = contract.column(column_name)
            for canonical, partner_code in variants.items():
                translated = column.code_map.get(partner_code, partner_code)
                assert translated in (column.codes or ()), (style.feed, column_name, canonical, partner_code)
        for column_name, bogus in style.unknown_codes.items():
            column = contract.column(column_name)
            allowed = set(column.codes or ()) | set(column.code_map)
            if column.code_list:
                from ingestors.contract import code_lists

                allowed |= set(code_lists()[column.code_list])
            assert bogus not in allowed, (style.feed, column_name)


def test_every_embedded_name_fits_windows_1252() -> None:
    """The exclusions export is Windows-1252: a name outside it would make the writer fail."""
    from synth import names

    tables = (names.MALE_BRITISH, names.FEMALE_BRITISH, names.MALE_OTHER, names.FEMALE_OTHER, names.SURNAMES)
    every = [n for table in tables for parsed in table.values() for n in parsed[0]]
    every += [n for key, variants in names.NICKNAMES.items() for n in (key, *variants)]
    assert {"Zoë", "Chloé", "Seán"} <= set(every)
    for name in every:
        assert name.encode("cp1252").decode("cp1252") == name
