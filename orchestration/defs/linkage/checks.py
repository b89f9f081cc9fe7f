"""Asset check on the person index: no implausible cluster (too large, or two national identifiers in one person)."""

import os

import dagster as dg

from orchestration.defs.linkage.assets import PERSON_INDEX_KEY
from orchestration.defs.resources import VrlakeResource

MAX_CLUSTER_ENV = "VRLAKE_LINKAGE_MAX_CLUSTER_SIZE"


@dg.asset_check(
    asset=PERSON_INDEX_KEY,
    name="clusters_plausible",
    blocking=True,
    description=(
        "Fails when a person has more records than is plausible (VRLAKE_LINKAGE_MAX_CLUSTER_SIZE, default 250) "
        "or holds two different NHS numbers or PNC IDs, or two school-census pupils: each means people were merged."
    ),
)
def clusters_plausible(vrlake: VrlakeResource) -> dg.AssetCheckResult:
    from linkage.plausibility import DEFAULT_MAX_CLUSTER_SIZE, check_lake

    bound = int(os.environ.get(MAX_CLUSTER_ENV, "").strip() or DEFAULT_MAX_CLUSTER_SIZE)
    report = check_lake(vrlake.store, max_cluster_size=bound)
    return dg.AssetCheckResult(
        passed=report.passed,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "people": dg.MetadataValue.int(report.people),
            "records": dg.MetadataValue.int(report.records),
            "largest_cluster": dg.MetadataValue.int(report.largest_cluster),
            "max_cluster_size": dg.MetadataValue.int(report.max_cluster_size),
            "oversized_clusters": dg.MetadataValue.int(report.oversized_clusters),
            "clusters_with_conflicting_identifiers": dg.MetadataValue.json(report.conflicting_clusters),
            "records_not_in_index": dg.MetadataValue.int(report.unindexed_records),
            "example_person_keys": dg.MetadataValue.text(", ".join(report.examples) or "none"),
        },
    )


linkage_checks = [clusters_plausible]
