"""Incremental linking over several deliveries with a trained model gives exactly the index of linking every new
record against every existing one and re-clustering everyone (the update before it was narrowed)."""

from __future__ import annotations

import polars as pl

from linkage.index import link_records
from linkage.predict import score_new
from linkage.records import gather_records
from linkage.train import load_model, with_uid
from tests.integration.linkage.conftest import TrainedLake
from tests.unit.linkage.test_linkage_incremental import full_recluster

KEYS = ["source_feed", "record_key"]
INCREMENTAL_FEEDS = ("police_nominals", "ed_attendances", "education_exclusions")


def test_two_deliveries_give_the_keys_and_events_of_relinking_everyone(trained_lake: TrainedLake) -> None:
    records = gather_records(trained_lake.store)
    model = load_model(trained_lake.store)
    month = pl.col("source_file").str.extract(r"(\d{4}-\d{2})")
    last_two = sorted(records.select(month).to_series().drop_nulls().unique().to_list())[-2:]
    later = [records.filter(month.is_in(last_two[i:]) & pl.col("source_feed").is_in(INCREMENTAL_FEEDS))
             for i in range(2)]
    empty = pl.DataFrame(schema={"source_feed": pl.String, "record_key": pl.String, "person_key": pl.String,
                                 "match_probability": pl.Float64, "model_version": pl.String,
                                 "linked_at": pl.Datetime("us", "UTC")})
    previous = link_records(records.join(later[0], on=KEYS, how="anti"), model, empty).index
    for step in range(2):
        delivered = records.join(later[step + 1], on=KEYS, how="anti") if step == 0 else records
        known = previous.rename({"_record_key": "record_key"}).drop("cluster_size")
        update = link_records(delivered, model, known)
        assert update.mode.value == "incremental" and update.new_records > 50

        kept = delivered.join(known.select(KEYS), on=KEYS, how="semi")
        new = delivered.join(known.select(KEYS), on=KEYS, how="anti")
        ordered = with_uid(pl.concat([kept, new]))
        edges = score_new(ordered.head(kept.height), ordered.tail(new.height), model)
        expected, events, refused = full_recluster(ordered, edges, known, set(known.get_column("person_key")), model)

        assert update.edges_scored == edges.height and update.links_refused == refused
        assert update.index.drop("linked_at").equals(expected.drop("linked_at"))
        assert update.events.select("event", "person_key", "related_person_key", "records").to_dicts() == events
        untouched = known.join(update.index.rename({"_record_key": "record_key"}), on=KEYS, suffix="_after").filter(
            pl.col("person_key") == pl.col("person_key_after")
        )
        assert (untouched.get_column("linked_at") == untouched.get_column("linked_at_after")).all()
        previous = update.index
