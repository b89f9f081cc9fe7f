"""Asset checks on bronze tables: the books balance (rows read = loaded + rejected, and the lake agrees)."""


import dagster as dg

from ingestors.accounting import accounting_problems
from ingestors.contract import FeedContract, load_contracts
from ingestors.lake import bronze_table, read_table
from ingestors.timeliness import feed_timeliness
from privacy.leak_scan import identifier_shaped_cells
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


def build_identifier_check(contract: FeedContract) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=bronze_key(contract.feed),
        name="no_identifiers",
        blocking=True,
        description="No text cell in the bronze table is an NHS number, UPN, PNC ID or full postcode.",
    )
    def no_identifiers(vrlake: VrlakeResource) -> dg.AssetCheckResult:
        found = identifier_shaped_cells(read_table(vrlake.store, bronze_table(contract.feed)))
        # Column names and counts only: the values themselves must not reach Dagster's event log.
        return dg.AssetCheckResult(passed=not found, metadata={"identifier_cells_by_column": dg.MetadataValue.json(found)})

    return no_identifiers


row_accounting_checks = [build_row_accounting_check(c) for c in load_contracts().values()]
identifier_checks = [build_identifier_check(c) for c in load_contracts().values()]
timeliness_checks = [build_delivery_timeliness_check(c) for c in load_contracts().values()]
