"""Bronze assets: one per partner feed, materialised by that partner's intake step.

A partner's files may be named after any of its feeds (or, failing the naming convention, recognised by header), so
one intake step per partner ingests the pending files of its drop zone and reports a materialisation for each feed
that received rows. A quarantined file fails the run with the plain-English reason, after the good files of the same
run have been recorded.
"""


from collections import defaultdict

import dagster as dg

from ingestors.contract import PARTNERS, FeedContract, load_contracts
from ingestors.ingest import DeliveryOutcome, ingest_files, pending_files
from ingestors.lake import bronze_table
from ingestors.ledger import DeliveryStatus
from orchestration.defs.resources import VrlakeResource

LAKE_WRITERS_POOL = "lake_writers"
TRANSIENT_STORAGE_RETRY = dg.RetryPolicy(max_retries=2, delay=5, backoff=dg.Backoff.EXPONENTIAL)


class IntakeConfig(dg.Config):
    """Which files to ingest. Empty means every file waiting in the partner's drop zone."""

    files: list[str] = []


def bronze_key(feed: str) -> dg.AssetKey:
    return dg.AssetKey(bronze_table(feed).split("/"))


def partner_group(partner: str) -> str:
    return f"partner_{partner}"


def _spec(contract: FeedContract) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=bronze_key(contract.feed),
        group_name=partner_group(contract.partner),
        description=f"{contract.title} (contract v{contract.version}, {contract.delivery.value}). {contract.description}",
        kinds={"delta", "polars"},
        owners=[f"team:{contract.partner}-data"],
        tags={"partner": contract.partner, "tier": "bronze", "feed": contract.feed},
        metadata={"contract_version": contract.version, "delivery_semantics": contract.delivery.value},
    )


def _outcome_metadata(outcomes: list[DeliveryOutcome]) -> dict[str, dg.MetadataValue]:
    rows = [o.record for o in outcomes]
    loaded = [r for r in rows if r.status is DeliveryStatus.LOADED]
    table = "\n".join(
        f"| {r.source_file} | {r.period} | {r.status.value} | {r.rows_read} | {r.rows_loaded} | {r.rows_rejected} |"
        for r in rows
    )
    quality = outcomes[-1].quality if outcomes and outcomes[-1].quality else {}
    completeness = quality.get("completeness", {}) if isinstance(quality, dict) else {}
    return {
        "new_deliveries": dg.MetadataValue.int(len(loaded)),
        "duplicates_ignored": dg.MetadataValue.int(sum(r.status is DeliveryStatus.DUPLICATE for r in rows)),
        "rows_read": dg.MetadataValue.int(sum(r.rows_read for r in rows)),
        "rows_loaded": dg.MetadataValue.int(sum(r.rows_loaded for r in rows)),
        "rows_rejected": dg.MetadataValue.int(sum(r.rows_rejected for r in rows)),
        "fields_dropped": dg.MetadataValue.text(", ".join(sorted({f for r in rows for f in r.fields_dropped})) or "none"),
        "delivery_ids": dg.MetadataValue.text(", ".join(r.delivery_id for r in rows)),
        "deliveries_table": dg.MetadataValue.md(
            "| file | period | status | read | loaded | rejected |\n|---|---|---|---|---|---|\n" + table
        ),
        "data_quality_completeness": dg.MetadataValue.json(completeness),
    }


def build_partner_intake(partner: str) -> dg.AssetsDefinition:
    contracts = [c for c in load_contracts().values() if c.partner == partner]

    @dg.multi_asset(
        name=f"{partner}_intake",
        specs=[_spec(c) for c in contracts],
        can_subset=True,
        pool=LAKE_WRITERS_POOL,
        retry_policy=TRANSIENT_STORAGE_RETRY,
        description=f"Ingest every file waiting in the {partner} drop zone (landing/{partner}/).",
    )
    def intake(context: dg.AssetExecutionContext, config: IntakeConfig, vrlake: VrlakeResource):
        ingest_context = vrlake.ingest_context(context)
        files = config.files or [o.path for o in pending_files(vrlake.store, partner)]
        by_feed: dict[str, list[DeliveryOutcome]] = defaultdict(list)
        failures: list[DeliveryOutcome] = []
        present: list[str] = []
        for path in files:
            if vrlake.store.exists("landing", path):
                present.append(path)
            else:
                context.log.info(f"{path} is no longer in the drop zone (already processed); skipping")

        def report(outcome: DeliveryOutcome) -> None:
            context.log.info(
                f"{outcome.record.source_file}: {outcome.status.value} "
                f"({outcome.record.rows_loaded} loaded, {outcome.record.rows_rejected} rejected)"
            )
            if outcome.status is DeliveryStatus.QUARANTINED:
                failures.append(outcome)
            elif outcome.record.feed:
                by_feed[outcome.record.feed].append(outcome)

        ingest_files(ingest_context, present, on_outcome=report)
        # Every selected feed reports, even with nothing new: a feed that has not delivered must not stop dbt
        # and publishing downstream in the same run (partners join over time).
        for contract in contracts:
            key = bronze_key(contract.feed)
            if key in context.selected_asset_keys:
                yield dg.MaterializeResult(asset_key=key, metadata=_outcome_metadata(by_feed.get(contract.feed, [])))
        if failures:
            explanation = "\n".join(f"- {o.record.source_file}: {o.explanation}" for o in failures)
            raise dg.Failure(
                description=f"{len(failures)} file(s) from {partner} were quarantined:\n{explanation}",
                metadata={"quarantined_files": dg.MetadataValue.text(", ".join(o.record.source_file for o in failures))},
                allow_retries=False,
            )

    return intake


partner_intakes = [build_partner_intake(p) for p in PARTNERS]
