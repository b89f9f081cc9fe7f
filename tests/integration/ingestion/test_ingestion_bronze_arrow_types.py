"""Bronze as ingestion writes it can be filtered by delivery inside the Delta scan, as dbt's staging models do.

The incremental staging models (dbt_project/macros/incremental_bronze.sql) filter bronze by delivery id, and
DuckDB pushes that filter into the pyarrow dataset dbt-duckdb reads Delta through. pyarrow cannot compare Arrow
view types (string_view, binary_view) there, so a bronze file written with them would fail every delivery's dbt
build. This pins that ingestion's writes, first write, append and scoped replace alike, hold none.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow as pa
from deltalake import DeltaTable

from ingestors.lake import bronze_table
from tests.ingestion_helpers import Lake, make_lake, nominals_csv

VIEW_TYPES = (pa.string_view(), pa.binary_view())


def caseload(crns: list[str]) -> str:
    base = {"firstName": "Sam", "surname": "Lee", "dateOfBirth": "1999-01-02", "gender": "M",
            "sentenceType": "CO", "sentenceStartDate": "2026-01-01", "roshLevel": "LOW"}
    return "".join(json.dumps({**base, "crn": crn}) + "\n" for crn in crns)


def bronze_dataset(lake: Lake, feed: str) -> object:
    uri = lake.store.delta_uri(bronze_table(feed))
    return DeltaTable(uri, storage_options=lake.store.delta_storage_options() or None).to_pyarrow_dataset()


def test_bronze_files_hold_no_arrow_view_types_and_filter_by_delivery_in_the_scan(tmp_path: Path) -> None:
    lake = make_lake(tmp_path)
    lake.ingest("police", "police_nominals_2026-10.csv", nominals_csv(3))
    lake.ingest("police", "police_nominals_2026-11.csv", nominals_csv(2, start=10))
    lake.ingest("probation", "probation_caseload_2026-10.jsonl", caseload(["X000001", "X000002"]))
    lake.ingest("probation", "probation_caseload_2026-10_v2.jsonl", caseload(["X000001"]))

    for feed, expected_rows in (("police_nominals", 2), ("probation_caseload", 1)):
        dataset = bronze_dataset(lake, feed)
        for fragment in dataset.get_fragments():
            view_columns = [f.name for f in fragment.physical_schema if f.type in VIEW_TYPES]
            assert view_columns == [], f"{feed}: {fragment.path} stores {view_columns} as Arrow view types"

        latest = lake.bronze(feed).sort("_ingested_at").get_column("_delivery_id")[-1]
        connection = duckdb.connect()
        connection.register("bronze_df", dataset)
        rows = connection.sql(
            "select count(*) from bronze_df where cast(_delivery_id as varchar) in (?)", params=[latest]
        ).fetchone()
        assert rows == (expected_rows,)
