"""Asset checks on bronze tables: the books balance (rows read = loaded + rejected, and the lake agrees)."""


import dagster as dg

from ingestors.accounting import accounting_problems
from ingestors.contract import FeedContract, load_contracts
from ingestors.timeliness import feed_timeliness
from orchestration.defs.ingestion.assets import bronze_key
from orchestration.defs.resources import VrlakeResource


def build_row_accounting_check(contract: FeedContract) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=bronze_key(contract.feed),
        name="row_accounting",
        blocking=True,
        description="Every delivered row is loaded or rejected, and the lake holds exactly the rows the ledger says.",
    )
    def row_accounting(vrlake: VrlakeResource) -> dg.AssetCheckResult:
        problems = accounting_problems(vrlake.store, contract)
        return dg.AssetCheckResult(
            passed=not problems,
            metadata={"problems": dg.MetadataValue.md("\n".join(f"- {p}" for p in problems) or "none")},
        )

    return row_accounting


def build_delivery_timeliness_check(contract: FeedContract) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=bronze_key(contract.feed),
        name="delivery_on_time",
        description=f"Warns when {contract.title} has not delivered within {contract.expected_every_days} days.",
    )
    def delivery_on_time(vrlake: VrlakeResource) -> dg.AssetCheckResult:
        timeliness = feed_timeliness(vrlake.store, contract)
        return dg.AssetCheckResult(
            passed=not timeliness.late,
            severity=dg.AssetCheckSeverity.WARN,
            description=timeliness.explain(),
            metadata={
                "days_since_last_delivery": dg.MetadataValue.int(timeliness.days_since or -1),
                "expected_every_days": dg.MetadataValue.int(contract.expected_every_days),
            },
        )

    return delivery_on_time


row_accounting_checks = [build_row_accounting_check(c) for c in load_contracts().values()]
timeliness_checks = [build_delivery_timeliness_check(c) for c in load_contracts().values()]
