"""How dbt models appear in Dagster: grouped by layer and partner, sources mapped to the bronze assets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject

# dbt model folder (first path element under models/) -> Dagster group. Staging models join their partner's group so
# each partner's group reads bronze -> staging, the shared layers have their own.
LAYER_GROUPS = {"intermediate": "conformed", "conformed": "conformed", "marts": "jsna_marts"}
PARTNER_FOLDERS = ("police", "probation", "education", "health")
SHARED_STAGING_GROUPS = {"reference": "reference", "ops": "operations", "linkage": "linkage"}


class VrlakeDbtTranslator(DagsterDbtTranslator):
    """Groups: `partner_<partner>` for staging/<partner>/, `conformed`, `jsna_marts`; eager automation for models."""

    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props["resource_type"] == "source":
            return spec
        return spec.replace_attributes(
            group_name=_group_for(props),
            automation_condition=dg.AutomationCondition.eager(),
            owners=["team:vru-analysts"],
            tags={**spec.tags, "tier": _tier_for(props)},
        )


def _folders(props: Mapping[str, Any]) -> list[str]:
    # fqn = [project, folder, subfolder, ..., model]
    return list(props.get("fqn", [])[1:-1])


def _group_for(props: Mapping[str, Any]) -> str:
    folders = _folders(props)
    if not folders:
        return "conformed"
    if folders[0] == "staging" and len(folders) > 1:
        if folders[1] in PARTNER_FOLDERS:
            return f"partner_{folders[1]}"
        return SHARED_STAGING_GROUPS.get(folders[1], "conformed")
    return LAYER_GROUPS.get(folders[0], folders[0])


def _tier_for(props: Mapping[str, Any]) -> str:
    folders = _folders(props)
    layer = folders[0] if folders else "conformed"
    return {"staging": "silver", "intermediate": "silver", "marts": "gold"}.get(layer, "silver")
