"""The explicit retraining job: estimate a new linkage model version and relink everything with it.

Routine runs (sensors, automation, the nightly refresh) reuse the saved model; only this job trains one (apart from
the very first run, when no model exists). Keys are reconciled, never renumbered: see linkage/key_events.
"""

import dagster as dg

from orchestration.defs.linkage.assets import PERSON_INDEX_KEY

RETRAIN_JOB = "retrain_linkage_model"
PERSON_INDEX_OP = "linkage__person_index"

retrain_linkage_model = dg.define_asset_job(
    RETRAIN_JOB,
    selection=dg.AssetSelection.assets(PERSON_INDEX_KEY),
    config={"ops": {PERSON_INDEX_OP: {"config": {"retrain": True, "full_relink": True}}}},
    description="Estimate a new linkage model (EM) on the lake's records, save it as a new version, relink everyone.",
    tags={"vrlake/kind": "retrain"},
)

linkage_jobs = [retrain_linkage_model]
