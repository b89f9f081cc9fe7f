"""A corpus of deliberately bad partner deliveries. Each asserts the outcome a partner would see and that the books
balance: rows read = rows loaded + rows rejected, and the lake holds exactly the loaded rows."""

from __future__ import annotations

import codecs
import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest

from ingestors.accounting import accounting_problems
from ingestors.contract import load_contracts
from ingestors.errors import QuarantineReason
from ingestors.ledger import DeliveryStatus
from tests.ingestion_helpers import NOMINALS_HEADER, Lake, make_lake, nominals_csv, xlsx_bytes

NHS_VALID = "9991408916"
UPN_VALID = "E937103325261"
ED_HEADER = (
    "AttendanceID|ArrivalDate|ArrivalTime|NHSNumber|PatientForename|PatientSurname|PersonBirthDate|"
    "PersonStatedGenderCode|Postcode|InjuryDate|InjuryIntent|InjuryMechanism|PlaceOfInjury|"
    "AlcoholDrugInvolvement|SiteCode"
)


def ed_row(n: int, *, nhs: str = NHS_VALID, intent: str = "ASSAULT", dob: str = "2004-03-02") -> str:
    return f"A{n}|2026-10-0{1 + n % 9}|23:10:00|{nhs}|Amy|Jones|{dob}|2|LS2 7EW|2026-10-01|{intent}|SHARP|STREET|ALCOHOL|RXX01"


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    return make_lake(tmp_path)


def assert_books_balance(lake: Lake) -> None:
    for contract in load_contracts().values():
        assert accounting_problems(lake.store, contract) == []


def assert_quarantined(lake: Lake, outcome, reason: QuarantineReason) -> None:
    assert outcome.status is DeliveryStatus.QUARANTINED
    assert outcome.record.reason == reason.value
    quarantined = [o.path for o in lake.store.list("quarantine")]
    reason_files = [p for p in quarantined if p.endswith(".reason.json")]
    assert [p for p in quarantined if not p.endswith((".reason.json", ".reason.txt"))] == [], (
        "the identifiable original never sits in the quarantine zone"
    )
    payload = json.loads(lake.store.read_text("quarantine", reason_files[-1]))
    assert payload["reason"] == reason.value and payload["explanation"]
    zone, _, kept_at = payload["original_kept_at"].partition("/")
    assert zone == "archive" and lake.store.exists("archive", kept_at), "the original itself is kept"
    assert lake.store.list("landing") == [], "nothing left half-processed in the drop zone"
    assert_books_balance(lake)


# --- file-level failures: quarantined with an actionable reason ------------------------------------------------

def test_empty_file_is_quarantined(lake: Lake) -> None:
    outcome = lake.ingest("police", "police_nominals_2026-10.csv", b"")
    assert_quarantined(lake, outcome, QuarantineReason.EMPTY)
    assert "empty" in outcome.explanation


def test_header_only_file_is_quarantined(lake: Lake) -> None:
    outcome = lake.ingest("police", "police_nominals_2026-10.csv", NOMINALS_HEADER + "\n")
    assert_quarantined(lake, outcome, QuarantineReason.EMPTY)


def test_unknown_feed_is_quarantined_not_guessed(lake: Lake) -> None:
    outcome = lake.ingest("police", "export_final_v2.csv", "colour,size\nred,3\n")
    assert_quarantined(lake, outcome, QuarantineReason.UNKNOWN_FEED)
    assert "police_nominals" in outcome.explanation, "the message names the feeds the partner can use"


def test_file_in_another_partners_drop_zone_is_quarantined(lake: Lake) -> None:
    outcome = lake.ingest("health", "police_nominals_2026-10.csv", nominals_csv(2))
    assert_quarantined(lake, outcome, QuarantineReason.WRONG_DROP_ZONE)
    assert lake.bronze("police_nominals").height == 0


def test_missing_required_column_is_quarantined(lake: Lake) -> None:
    csv = nominals_csv(2).replace("Role,", "", 1).replace("Victim,", "")
    outcome = lake.ingest("police", "police_nominals_2026-10.csv", csv)
    assert_quarantined(lake, outcome, QuarantineReason.MISSING_REQUIRED_COLUMNS)
    assert "role" in outcome.explanation


def test_two_columns_for_one_field_are_quarantined(lake: Lake) -> None:
    csv = nominals_csv(1).replace("Sex,", "Sex,Gender,", 1).replace(",M,", ",M,M,")
    outcome = lake.ingest("police", "police_nominals_2026-10.csv", csv)
    assert_quarantined(lake, outcome, QuarantineReason.DUPLICATE_COLUMNS)


def test_unsupported_format_is_quarantined(lake: Lake) -> None:
    outcome = lake.ingest("police", "police_nominals_2026-10.pdf", b"%PDF-1.7 not data")
    assert_quarantined(lake, outcome, QuarantineReason.UNSUPPORTED_FORMAT)


def test_truncated_csv_is_quarantined(lake: Lake) -> None:
    csv = nominals_csv(3)
    outcome = lake.ingest("police", "police_nominals_2026-10.csv", csv[: csv.rindex("Smith") + 3])
    assert_quarantined(lake, outcome, QuarantineReason.TRUNCATED)
    assert lake.bronze("police_nominals").height == 0, "no partial load of a cut-off file"


def test_unclosed_quote_is_quarantined(lake: Lake) -> None:
    csv = nominals_csv(2) + '43/123456/26,N9,Victim,"Smith,John,01/02/2005,M,LS1 4AP,,N\n'
    outcome = lake.ingest("police", "police_nominals_2026-10.csv", csv)
    assert outcome.status is DeliveryStatus.QUARANTINED
    assert outcome.record.reason in (QuarantineReason.UNREADABLE.value, QuarantineReason.TRUNCATED.value)


def test_undecodable_bytes_are_quarantined(lake: Lake) -> None:
    outcome = lake.ingest("police", "police_nominals_2026-10.csv", NOMINALS_HEADER.encode() + b"\n\x81\x8d\x8f\x90\x9d\n")
    assert_quarantined(lake, outcome, QuarantineReason.UNREADABLE)


def test_workbook_without_the_data_sheet_is_quarantined(lake: Lake) -> None:
    data = xlsx_bytes({"Notes": [["This extract was produced by the MIS"], ["Nothing else here"]]})
    outcome = lake.ingest("education", "education_census_2026-10.xlsx", data)
    assert_quarantined(lake, outcome, QuarantineReason.WRONG_SHEET)


def test_corrupt_workbook_is_quarantined(lake: Lake) -> None:
    outcome = lake.ingest("education", "education_census_2026-10.xlsx", b"PK\x03\x04 this is not a real zip")
    assert_quarantined(lake, outcome, QuarantineReason.UNREADABLE)


def test_json_lines_without_objects_are_quarantined(lake: Lake) -> None:
    outcome = lake.ingest("probation", "probation_caseload_2026-10.jsonl", "[1, 2]\n[3]\n")
    assert_quarantined(lake, outcome, QuarantineReason.UNREADABLE)


def test_expired_agreement_refuses_the_feed(tmp_path: Path) -> None:
    lake = make_lake(tmp_path, today=dt.date(2030, 1, 1))
    outcome = lake.ingest("police", "police_nominals_2026-10.csv", nominals_csv(2))
    assert_quarantined(lake, outcome, QuarantineReason.AGREEMENT_NOT_IN_FORCE)
    assert "expired" in outcome.explanation
    assert lake.bronze("police_nominals").height == 0


# --- row-level failures: rejected or cleaned with reasons; valid rows load --------------------------------------

def test_bad_optional_nhs_number_is_removed_but_the_attendance_loads(lake: Lake) -> None:
    data = ED_HEADER + "\n" + ed_row(1) + "\n" + ed_row(2, nhs="9991408917") + "\n"
    outcome = lake.ingest("health", "ed_attendances_2026-10.csv", data)
    assert (outcome.record.rows_read, outcome.record.rows_loaded, outcome.record.rows_rejected) == (2, 2, 0)
    bronze = lake.bronze("ed_attendances").sort("_row_number")
    assert bronze.get_column("nhs_number_token").null_count() == 1
    rejects = lake.table("ops/rejects")
    issue = rejects.filter(pl.col("column") == "nhs_number").row(0, named=True)
    assert issue["action"] == "value_removed" and issue["line_number"] == 3
    assert issue["raw_value"] == "[withheld: identifier]" and "9991408917" not in issue["message"]
    assert_books_balance(lake)


def test_unparseable_required_date_rejects_the_row(lake: Lake) -> None:
    data = ED_HEADER + "\n" + ed_row(1) + "\n" + ed_row(2).replace("|2026-10-03|23", "|03/10/2026|23") + "\n"
    outcome = lake.ingest("health", "ed_attendances_2026-10.csv", data)
    assert (outcome.record.rows_loaded, outcome.record.rows_rejected) == (1, 1)
    issue = lake.table("ops/rejects").row(0, named=True)
    assert issue["rule"] == "date" and issue["column"] == "arrival_date" and issue["raw_value"] == "03/10/2026"
    assert "yyyy-mm-dd" in issue["message"], "the message shows the agreed format"
    assert_books_balance(lake)


def test_unknown_code_rejects_the_row(lake: Lake) -> None:
    csv = nominals_csv(2) + "43/123456/26,N9,Bystander,Smith,John,01/02/2005,M,LS1 4AP,,N\n"
    outcome = lake.ingest("police", "police_nominals_2026-10.csv", csv)
    assert (outcome.record.rows_read, outcome.record.rows_loaded, outcome.record.rows_rejected) == (3, 2, 1)
    issue = lake.table("ops/rejects").row(0, named=True)
    assert issue["rule"] == "code" and issue["raw_value"] == "Bystander"
    assert_books_balance(lake)


def test_missing_required_value_rejects_the_row(lake: Lake) -> None:
    csv = nominals_csv(2) + "43/123456/26,N9,Victim,,John,01/02/2005,M,LS1 4AP,,N\n"
    outcome = lake.ingest("police", "police_nominals_2026-10.csv", csv)
    assert outcome.record.rows_rejected == 1
    assert lake.table("ops/rejects").row(0, named=True)["rule"] == "required"


def test_repeated_record_in_one_delivery_is_rejected_once(lake: Lake) -> None:
    csv = nominals_csv(2) + nominals_csv(1).split("\n", 1)[1]
    outcome = lake.ingest("police", "police_nominals_2026-10.csv", csv)
    assert (outcome.record.rows_read, outcome.record.rows_loaded, outcome.record.rows_rejected) == (3, 2, 1)
    assert lake.table("ops/rejects").row(0, named=True)["rule"] == "duplicate_record"
    assert_books_balance(lake)


def test_malformed_json_line_is_rejected_and_the_rest_loads(lake: Lake) -> None:
    good = {
        "crn": "X123456", "firstName": "Sam", "surname": "Lee", "dateOfBirth": "1999-01-02", "gender": "Male",
        "sentenceType": "CO", "sentenceStartDate": "2026-01-01", "roshLevel": "LOW", "registers": ["STRG"],
    }
    lines = [json.dumps(good), "{not json", json.dumps({**good, "crn": "X654321"})]
    outcome = lake.ingest("probation", "probation_caseload_2026-10.jsonl", "\n".join(lines) + "\n")
    assert (outcome.record.rows_read, outcome.record.rows_loaded, outcome.record.rows_rejected) == (3, 2, 1)
    assert lake.bronze("probation_caseload").get_column("registers").to_list() == ["STRG", "STRG"]
    assert_books_balance(lake)


def test_out_of_range_score_is_removed(lake: Lake) -> None:
    record = {"crn": "X123456", "firstName": "Sam", "surname": "Lee", "dateOfBirth": "1999-01-02", "gender": "M",
              "sentenceType": "LIC", "sentenceStartDate": "2026-01-01", "needDrugs": 3}
    outcome = lake.ingest("probation", "probation_caseload_2026-10.jsonl", json.dumps(record) + "\n")
    assert outcome.record.rows_loaded == 1 and outcome.record.values_removed == 1
    assert lake.bronze("probation_caseload").get_column("need_drugs").to_list() == [None]


# --- awkward but valid deliveries: accepted exactly ---------------------------------------------------------------

def test_semicolon_windows_1252_file_with_accents_loads(lake: Lake) -> None:
    text = (
        "UPN;Surname;Forename;DateOfBirth;SchoolURN;Category;StartDate;Sessions;ReasonCode\n"
        f"{UPN_VALID};Ó Súilleabháin;Chloé;02/03/2011;123456;SUSP;05/10/2026;2;PP\n"
    )
    outcome = lake.ingest("education", "education_exclusions_2026-10.csv", text.encode("cp1252"))
    assert outcome.status is DeliveryStatus.LOADED and outcome.record.rows_loaded == 1
    assert lake.bronze("education_exclusions").get_column("category").to_list() == ["suspension"]


def test_tab_delimited_utf8_with_bom_and_quoted_newline_loads(lake: Lake) -> None:
    header = ED_HEADER.replace("|", "\t")
    row = ed_row(1).replace("|", "\t").replace("\tAmy\t", '\t"Amy\nMay"\t')
    outcome = lake.ingest("health", "ed_attendances_2026-10.tsv", codecs.BOM_UTF8 + f"{header}\n{row}\n".encode())
    assert outcome.status is DeliveryStatus.LOADED and outcome.record.rows_loaded == 1


def test_workbook_with_title_block_and_excel_dates_loads(lake: Lake) -> None:
    header = ["UPN", "Surname", "Forename", "DOB", "Gender", "Postcode", "SchoolURN", "PossibleSessions",
              "SessionsMissed", "SENProvision", "FSMEligible", "CIN", "CPP", "LAC"]
    rows = [["Autumn census 2026"], ["Produced by the MIS"], [], header,
            [UPN_VALID, "Khan", "Aisha", dt.date(2012, 4, 5), "F", "LS6 3QN", "123456", 140, 20, "K", "TRUE", "N", "N", "N"],
            ["N937811703779", "Brown", "Leo", 40000, "M", "", "123456", 140, 70, "E", "FALSE", "Y", "N", "Y"]]
    outcome = lake.ingest("education", "education_census_2026-10.xlsx", xlsx_bytes({"Census": rows}))
    assert outcome.status is DeliveryStatus.LOADED, outcome.explanation
    bronze = lake.bronze("education_census").sort("_row_number")
    assert bronze.get_column("birth_year_month").to_list() == ["2012-04", "2009-07"], "Excel date and serial"
    assert bronze.get_column("postcode_lsoa").to_list() == ["E01000003", None]


def test_workbook_with_header_on_its_first_row_is_parsed_once(lake: Lake, monkeypatch: pytest.MonkeyPatch) -> None:
    # calamine parses a whole sheet for any read, a preview included: a second parse doubled a census file's cost.
    import fastexcel

    parses: list[object] = []
    real_load = fastexcel.ExcelReader.load_sheet
    monkeypatch.setattr(
        fastexcel.ExcelReader, "load_sheet", lambda self, *a, **k: parses.append(k) or real_load(self, *a, **k)
    )
    header = ["UPN", "Surname", "Forename", "DOB", "Gender", "Postcode", "SchoolURN", "PossibleSessions",
              "SessionsMissed", "SENProvision", "FSMEligible", "CIN", "CPP", "LAC"]
    rows = [header, [UPN_VALID, "Khan", "Aisha", dt.date(2012, 4, 5), "F", "LS6 3QN", "123456", 140, 20, "K",
                     "TRUE", "N", "N", "N"]]
    outcome = lake.ingest("education", "education_census_2026-10.xlsx", xlsx_bytes({"Census": rows}))
    assert outcome.status is DeliveryStatus.LOADED, outcome.explanation
    assert len(parses) == 1
    assert lake.bronze("education_census").get_column("birth_year_month").to_list() == ["2012-04"]


def test_misnamed_file_is_recognised_by_its_header(lake: Lake) -> None:
    outcome = lake.ingest("police", "Nominals export OCT.csv", nominals_csv(2))
    assert outcome.status is DeliveryStatus.LOADED
    assert outcome.record.feed == "police_nominals"


def test_unagreed_column_is_dropped_and_reported(lake: Lake) -> None:
    csv = nominals_csv(1).replace("GangMarker", "GangMarker,Nickname,CRONumber", 1).replace(",N\n", ",N,Jonno,123/45\n")
    outcome = lake.ingest("police", "police_nominals_2026-10.csv", csv)
    assert outcome.record.fields_dropped == ["Nickname", "cro_number"]
    bronze = lake.bronze("police_nominals")
    assert "cro_number" not in bronze.columns and "Nickname" not in bronze.columns
    feedback = [o.path for o in lake.store.list("reports", "feedback/police/")]
    assert "`Nickname`" in lake.store.read_text("reports", feedback[0])


def test_headerless_file_is_quarantined_without_copying_its_first_row_anywhere(lake: Lake) -> None:
    first_row_is_a_person = nominals_csv(3).split("\n", 1)[1]
    outcome = lake.ingest("police", "police_nominals_2026-10.csv", first_row_is_a_person)
    assert_quarantined(lake, outcome, QuarantineReason.MISSING_REQUIRED_COLUMNS)
    for info in lake.store.list("quarantine"):
        assert "Smith" not in lake.store.read_text("quarantine", info.path)
    assert "Smith" not in str(lake.table("ops/deliveries").to_dicts()) + str(lake.table("ops/audit").to_dicts())
