"""Link a pseudonymised cohort list, within itself and against the lake's person index, without writing anything.

What ``vrlake link`` runs after ``cohort.pseudonymise_cohort``. With a person index in the lake, the cohort's
records are linked incrementally against the indexed records (each existing person is a fixed group, exactly as a
routine index update would do), so a cohort row that matches someone in the lake gets that person's
``person_key``: the key the marts use, which is what an evaluation needs. Rows matching nobody get a new key
(derived from the row's record token, never one of the lake's). Without an index, the list is linked within itself.

Read-only: the lake's index, events and models are never modified.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from linkage.index import link_records
from linkage.records import RECORD_KEY, RECORD_SCHEMA, SOURCE_FEED

if TYPE_CHECKING:
    from linkage.engine import EngineSettings
    from linkage.train import LinkageModel

OUTPUT_SCHEMA: dict[str, pl.DataType] = {
    "record_id": pl.String(),
    "person_key": pl.String(),
    "match_probability": pl.Float64(),
    "cluster_size": pl.Int64(),
    "cohort_records_with_key": pl.Int64(),
    "lake_records_with_key": pl.Int64(),
    "linked_to_lake": pl.Boolean(),
    "model_version": pl.String(),
}
"""The output: the list's own ``record_id``, the person key and match details. No identifier, token or name."""


@dataclass(frozen=True)
class CohortLinkResult:
    output: pl.DataFrame
    model_version: str
    lake_records: int
    edges_scored: int
    links_refused: int

    @property
    def linked_to_lake(self) -> int:
        return int(self.output.get_column("linked_to_lake").sum())


def link_cohort(
    cohort: pl.DataFrame,
    model: LinkageModel,
    *,
    lake_records: pl.DataFrame | None = None,
    lake_index: pl.DataFrame | None = None,
    engine: EngineSettings | None = None,
) -> CohortLinkResult:
    """Person keys for ``cohort`` (``cohort.COHORT_SCHEMA`` rows) in input order (see module docstring).

    ``lake_records`` (``RECORD_SCHEMA``) and ``lake_index`` (``index.read_index``) are the lake's; when either is
    missing or empty the cohort is linked within itself.
    """
    keys = [SOURCE_FEED, RECORD_KEY]
    records = cohort.select(list(RECORD_SCHEMA))
    previous = pl.DataFrame(schema={**{k: pl.String() for k in keys}, "person_key": pl.String(),
                                    "match_probability": pl.Float64(), "model_version": pl.String(),
                                    "linked_at": pl.Datetime("us", "UTC")})
    indexed = pl.DataFrame(schema=RECORD_SCHEMA)
    if lake_records is not None and lake_index is not None and lake_index.height and lake_records.height:
        previous = lake_index.select(previous.columns)
        indexed = lake_records.join(previous.select(keys), on=keys, how="semi")
        previous = previous.join(indexed.select(keys), on=keys, how="semi")
    update = link_records(pl.concat([indexed, records]), model, previous, engine=engine)
    index = update.index.rename({"_record_key": RECORD_KEY})
    lake_counts = index.join(indexed.select(keys), on=keys, how="semi").group_by("person_key").agg(
        pl.len().cast(pl.Int64).alias("lake_records_with_key")
    )
    cohort_rows = (
        cohort.select("record_id", *keys)
        .join(index.select(*keys, "person_key", "match_probability", "cluster_size", "model_version"), on=keys,
              how="left", maintain_order="left")
        .join(lake_counts, on="person_key", how="left")
        .with_columns(
            pl.len().over("person_key").cast(pl.Int64).alias("cohort_records_with_key"),
            pl.col("lake_records_with_key").fill_null(0),
        )
        .with_columns((pl.col("lake_records_with_key") > 0).alias("linked_to_lake"))
    )
    return CohortLinkResult(
        output=cohort_rows.select([pl.col(c).cast(t) for c, t in OUTPUT_SCHEMA.items()]),
        model_version=model.version,
        lake_records=indexed.height,
        edges_scored=update.edges_scored,
        links_refused=update.links_refused,
    )
