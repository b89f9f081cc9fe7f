"""Publishing assets: each JSNA mart exported for commissioners (Delta, CSV, XLSX and a manifest).

Each asset materialises on every refresh (so the report downstream refreshes too), but rewrites its files only
when the mart's content changed since the last publication (`publishing.export.publish_mart`).
"""


import json
import os
from dataclasses import dataclass

import dagster as dg

from orchestration.defs.dbt.assets import DBT_PROJECT
from orchestration.defs.resources import VrlakeResource
from orchestration.lib.translator import VrlakeDbtTranslator
from publishing.export import publish_mart, read_mart, xlsx_max_rows
from vrlake.warehouse import WAREHOUSE_POOL

PUBLISHED_GROUP = "published"


@dataclass(frozen=True)
class MartModel:
    name: str
    key: dg.AssetKey
    schema: str
    relation: str


def mart_models() -> list[MartModel]:
    """Models under `models/marts/` in the prepared manifest (read, never parsed, at import)."""
    manifest = json.loads(DBT_PROJECT.manifest_path.read_text("utf-8"))
    translator = VrlakeDbtTranslator()
    return [
        MartModel(
            name=node["name"],
            key=translator.get_asset_spec(manifest, unique_id, DBT_PROJECT).key,
            schema=node["schema"],
            relation=node.get("alias") or node["name"],
        )
        for unique_id, node in sorted(manifest["nodes"].items())
        if node["resource_type"] == "model" and node["fqn"][1:2] == ["marts"]
    ]


def build_publish_asset(model: MartModel) -> dg.AssetsDefinition:
    mart = model.name

    @dg.asset(
        key=["published", mart],
        deps=[model.key],
        group_name=PUBLISHED_GROUP,
        kinds={"delta", "csv", "xlsx"},
        owners=["team:vru-analysts"],
        tags={"tier": "published"},
        pool=WAREHOUSE_POOL,
        automation_condition=dg.AutomationCondition.eager(),
        description=f"{mart} as published for commissioners in the marts zone.",
    )
    def publish(vrlake: VrlakeResource) -> dg.MaterializeResult:
        frame = read_mart(vrlake.store, model.relation, model.schema)
        # Files are rewritten only when the mart's content changed; the manifest is refreshed either way.
        published = publish_mart(vrlake.store, mart, frame, max_workbook_rows=xlsx_max_rows(os.environ))
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": dg.MetadataValue.int(published.rows),
                "paths": dg.MetadataValue.json(published.paths),
                "fed_by_deliveries": dg.MetadataValue.int(published.deliveries),
                "content_changed": dg.MetadataValue.bool(published.rewritten),
                "content_sha256": dg.MetadataValue.text(published.fingerprint),
                "content_published_at": dg.MetadataValue.timestamp(published.published_at),
                "preview": dg.MetadataValue.md(published.preview_markdown(frame)),
            }
        )

    return publish


publish_assets = [build_publish_asset(model) for model in mart_models()]
