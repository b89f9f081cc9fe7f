"""Shared helpers for ingestion tests: a lake on a temp folder, a test key, and partner files built in code."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import xlsxwriter

from ingestors.context import POSTCODE_LOOKUP_SCHEMA
from ingestors.ingest import DeliveryOutcome, IngestContext, ingest_file
from ingestors.lake import bronze_table, read_table
from ingestors.lake_init import initialise_lake
from privacy.keys import PseudonymisationKey
from privacy.tokens import tokenise
from storage import StorageSettings, Store, open_store

TEST_KEY = PseudonymisationKey(b"vrlake-test-key-not-secret-0123456789", source="tests")
POSTCODES = tokenise(
    pl.DataFrame({"postcode": ["LS1 4AP", "LS2 7EW", "LS6 3QN"], "lsoa_code": ["E01000001", "E01000002", "E01000003"]}),
    {"postcode": "postcode"},
    TEST_KEY,
).select(list(POSTCODE_LOOKUP_SCHEMA))
TODAY = dt.date(2026, 11, 1)

NOMINALS_HEADER = "OccurrenceRef,NominalID,Role,Surname,Forenames,DOB,Sex,HomePostcode,PNCID,GangMarker"
GOOD_NOMINAL = "43/123456/26,N{n},Victim,Smith,John,01/02/2005,M,LS1 4AP,,N"


@dataclass
class Lake:
    store: Store
    context: IngestContext

    def drop(self, partner: str, name: str, data: bytes | str) -> str:
        path = f"{partner}/{name}"
        payload = data.encode("utf-8") if isinstance(data, str) else data
        self.store.write_bytes("landing", path, payload)
        return path

    def ingest(self, partner: str, name: str, data: bytes | str) -> DeliveryOutcome:
        return ingest_file(self.context, self.drop(partner, name, data))

    def bronze(self, feed: str) -> pl.DataFrame:
        return read_table(self.store, bronze_table(feed))

    def table(self, table: str) -> pl.DataFrame:
        return read_table(self.store, table)


def make_lake(home: Path, *, today: dt.date = TODAY, settings: StorageSettings | None = None) -> Lake:
    store = open_store(settings or StorageSettings(home=home))
    initialise_lake(store)
    context = IngestContext(store=store, keys=TEST_KEY, postcode_lookup=POSTCODES, today=today, run_id="test-run")
    return Lake(store=store, context=context)


def nominals_csv(rows: int, *, start: int = 1) -> str:
    return NOMINALS_HEADER + "\n" + "\n".join(GOOD_NOMINAL.format(n=i) for i in range(start, start + rows)) + "\n"


def xlsx_bytes(sheets: dict[str, list[list[object]]], *, date_cells: bool = True) -> bytes:
    """A workbook with the given sheets; `datetime.date` cells are written as real Excel dates."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    date_format = workbook.add_format({"num_format": "dd/mm/yyyy"})
    for name, rows in sheets.items():
        sheet = workbook.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, dt.date) and date_cells:
                    sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_format)
                elif value is not None:
                    sheet.write(r, c, value)
    workbook.close()
    return buffer.getvalue()
