"""The person index: every person record in bronze -> a stable person key, linked on pseudonymised data.

Thin wiring over the pure ``linkage`` package: the asset gathers the records, loads the saved model (training one
on first use, or when the retraining job asks), links incrementally and attaches what happened as metadata, plus
linkage quality against a synthetic truth when ``VRLAKE_SYNTH_TRUTH`` names one. Splink is imported only inside
the step, so loading the code location stays fast.
"""

import os
from pathlib import Path
from typing import Any

import dagster as dg

from orchestration.defs.ingestion.assets import LAKE_WRITERS_POOL, bronze_key
from orchestration.defs.resources import VrlakeResource

LINKAGE_GROUP = "linkage"
PERSON_INDEX_KEY = dg.AssetKey(["linkage", "person_index"])
PERSON_FEEDS: tuple[str, ...] = (
    "police_nominals",
    "probation_caseload",
    "education_census",
    "education_exclusions",
    "ed_attendances",
)
"""Mirrors ``linkage.records.PERSON_FEEDS`` (not imported, to keep the code location's import light; a test
checks they agree)."""
TRUTH_ENV = "VRLAKE_SYNTH_TRUTH"
U_PAIRS_ENV = "VRLAKE_LINKAGE_U_PAIRS"


class PersonIndexConfig(dg.Config):
    """Routine runs use neither option. The retrain_linkage_model job sets ``retrain``."""

    retrain: bool = False
    """Estimate a new model version on the lake's records (EM), save it, and relink everything with it."""
    full_relink: bool = False
    """Score every record again with the current model instead of only the new ones (keys are reconciled)."""


@dg.asset(
    key=PERSON_INDEX_KEY,
    group_name=LINKAGE_GROUP,
    deps=[bronze_key(feed) for feed in PERSON_FEEDS],
    kinds={"delta", "splink", "duckdb"},
    owners=["team:vru-analysts"],
    tags={"tier": "silver"},
    pool=LAKE_WRITERS_POOL,
    automation_condition=dg.AutomationCondition.eager(),
    description=(
        "Source record -> person_key, from cross-agency linkage on pseudonymised data (keyed tokens and Bloom "
        "filters only). New records are linked incrementally with the saved model; existing people keep their "
        "key; merges and splits are recorded in linkage/key_events."
    ),
)
def person_index(
    context: dg.AssetExecutionContext, config: PersonIndexConfig, vrlake: VrlakeResource
) -> dg.MaterializeResult:
    from linkage.engine import EngineSettings
    from linkage.index import update_person_index
    from linkage.model import compared_columns
    from linkage.records import LINKAGE_COLUMNS, columns_with_data, gather_records
    from linkage.train import U_SAMPLE_PAIRS, NoModelError, load_model, save_model, train_model

    store = vrlake.store
    engine = EngineSettings.from_env(os.environ)
    records = gather_records(store)
    if records.height < 2:
        context.log.info("fewer than two person records in bronze: nothing to link yet")
        return dg.MaterializeResult(metadata={"records": dg.MetadataValue.int(records.height)})
    trained = False
    model = None
    if not config.retrain:
        try:
            model = load_model(store)
        except NoModelError:
            context.log.info("no saved linkage model yet: training one on the lake's records")
    if model is None:
        u_pairs = float(os.environ.get(U_PAIRS_ENV, "").strip() or U_SAMPLE_PAIRS)
        try:
            model = train_model(records, engine=engine, u_pairs=u_pairs)
        except ValueError as error:
            # Too little data to estimate anything yet (a first small delivery): not a failure of the run;
            # the index is built once there is enough.
            context.log.warning(f"linkage model not trained: {error}")
            return dg.MaterializeResult(
                metadata={"records": dg.MetadataValue.int(records.height), "not_linked": dg.MetadataValue.text(str(error))}
            )
        path = save_model(store, model)
        trained = True
        context.log.info(f"trained linkage model {model.version}, saved as lake/{path}")
    update = update_person_index(
        store, records, model, full_relink=config.full_relink or (trained and config.retrain), engine=engine,
        run_id=context.run_id,
    )
    metadata = _metadata(update.summary(), model.training, trained)
    # Data the saved model cannot use yet (a feed that started delivering after training): retraining would.
    unused = sorted((columns_with_data(records) & set(LINKAGE_COLUMNS)) - compared_columns(model.settings)
                    - {"birth_year_month", "postcode_lsoa"})
    metadata["columns_not_in_model"] = dg.MetadataValue.text(", ".join(unused) or "none")
    truth = os.environ.get(TRUTH_ENV, "").strip()
    if truth:
        metadata |= _quality_metadata(store, records, Path(truth), context)
    return dg.MaterializeResult(metadata=metadata)


def _metadata(summary: dict[str, Any], training: dict[str, Any], trained: bool) -> dict[str, dg.MetadataValue]:
    blocking = training.get("blocking", [])
    table = "\n".join(
        f"| `{row['name']}` | {row['marginal_comparisons']:,} | {'yes' if row['chosen'] else 'no'} | {row['note']} |"
        for row in blocking
    )
    return {
        "mode": dg.MetadataValue.text(summary["mode"]),
        "model_version": dg.MetadataValue.text(summary["model_version"]),
        "model_trained_in_this_run": dg.MetadataValue.bool(trained),
        "records": dg.MetadataValue.int(summary["records"]),
        "new_records": dg.MetadataValue.int(summary["new_records"]),
        "removed_records": dg.MetadataValue.int(summary["removed_records"]),
        "people": dg.MetadataValue.int(summary["people"]),
        "largest_cluster": dg.MetadataValue.int(summary["largest_cluster"]),
        "pairs_scored": dg.MetadataValue.int(summary["edges_scored"]),
        "links_refused_by_identifier_conflict": dg.MetadataValue.int(summary["links_refused_by_identifier_conflict"]),
        "key_events": dg.MetadataValue.json(summary["key_events"]),
        "seconds": dg.MetadataValue.json(summary["seconds"]),
        "blocking_rules": dg.MetadataValue.md(
            "| rule | comparisons (when trained) | chosen | note |\n|---|---:|---|---|\n" + table
        ),
    }


def _quality_metadata(store: Any, records: Any, truth: Path, context: dg.AssetExecutionContext) -> dict[str, dg.MetadataValue]:
    from linkage.index import read_index
    from linkage.quality import evaluate, read_truth, truth_for_records

    if not truth.is_file():
        context.log.warning(f"{TRUTH_ENV} is set but {truth} is not a file: linkage quality not measured")
        return {}
    quality = evaluate(read_index(store), truth_for_records(records, read_truth(truth)))
    context.log.info(f"linkage quality against the synthetic truth: {quality.summary()}")
    return {
        "quality_f1": dg.MetadataValue.float(quality.f1),
        "quality_precision": dg.MetadataValue.float(quality.precision),
        "quality_recall": dg.MetadataValue.float(quality.recall),
        "quality_false_merges": dg.MetadataValue.int(quality.false_merge_clusters),
        "quality_split_people": dg.MetadataValue.int(quality.split_people),
        "quality_largest_cluster": dg.MetadataValue.int(quality.largest_cluster),
        "quality": dg.MetadataValue.json(quality.as_dict()),
    }


linkage_assets = [person_index]
