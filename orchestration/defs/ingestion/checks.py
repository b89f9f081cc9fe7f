"""Asset checks on bronze tables: the books balance (rows read = loaded + rejected, and the lake agrees)."""


import dagster as dg

from ingestors.accounting import accounting_problems
from ingestors.contract import FeedContract, load_contracts
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


row_accounting_checks = [build_row_accounting_check(c) for c in load_contracts().values()]
