"""The data-sharing register: who shares what, why, how it is protected, and which outputs it flows into.

Rendered from the same agreement and contract files that ingestion enforces, so the register an information-
governance lead signs is exactly the rule set the code applies.
"""

from __future__ import annotations

import datetime as dt
from importlib import resources

import jinja2

from ingestors.contract import ColumnClass, load_contracts
from privacy.agreement import Treatment, load_agreements

TEMPLATES = "privacy.templates"
REGISTER_MARKDOWN = "data_sharing_register.md"
REGISTER_HTML = "data_sharing_register.html"
TIER_MEANING = {
    "L1": "strategic aggregates (area and above), disclosure-controlled",
    "L2": "area and problem profiles, disclosure-controlled",
    "L3": "person-level pseudonymised extracts for approved analysts, per-release pseudonyms, audited",
}
PROTECTION = {
    Treatment.KEEP: "kept as delivered",
    Treatment.PSEUDONYMISE: "keyed pseudonym (HMAC-SHA256); names also as keyed Bloom-filter encodings",
    Treatment.COARSEN: "coarsened",
    Treatment.DROP: "dropped on arrival, never stored",
}


def register_rows(today: dt.date) -> list[dict[str, object]]:
    contracts, agreements = load_contracts(), load_agreements()
    rows = []
    for feed, agreement in sorted(agreements.items(), key=lambda item: (contracts[item[0]].partner, item[0])):
        contract = contracts[feed]
        fields = []
        for column in contract.columns:
            rule = agreement.fields.get(column.name)
            treatment = rule.treatment if rule else Treatment.DROP
            protection = PROTECTION[treatment]
            if rule and treatment is Treatment.COARSEN:
                protection = {"year_month": "year and month only", "lsoa": "LSOA (area) only"}[rule.to or "lsoa"]
                if rule.link_token or rule.link_tokens:
                    protection += "; keyed tokens for linkage"
            fields.append(
                {
                    "name": column.name,
                    "class": column.column_class.value.replace("_", " "),
                    "identifying": column.column_class is not ColumnClass.CONTENT,
                    "treatment": treatment.value,
                    "protection": protection,
                    "why": (rule.why if rule and rule.why else ""),
                }
            )
        rows.append(
            {
                "agreement": agreement,
                "contract": contract,
                "fields": fields,
                "status": "in force" if agreement.is_in_force(today) else "NOT IN FORCE",
                "review_due": agreement.review_date <= today,
                "tiers": [(t, TIER_MEANING[t]) for t in agreement.output_tiers],
            }
        )
    return rows


def render_register(today: dt.date | None = None) -> dict[str, str]:
    """{file name: content} for the markdown and HTML register."""
    today = today or dt.date.today()
    environment = jinja2.Environment(
        loader=jinja2.FunctionLoader(lambda name: resources.files(TEMPLATES).joinpath(name).read_text("utf-8")),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    context = {"rows": register_rows(today), "today": today}
    return {
        REGISTER_MARKDOWN: environment.get_template("register.md.j2").render(**context),
        REGISTER_HTML: environment.get_template("register.html").render(**context),
    }
