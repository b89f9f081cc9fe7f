"""The partner data dictionary, generated from the feed contracts and sharing agreements (never kept by hand).

For each feed: how to name and format the file, what each column means, the header names accepted, the type,
whether it is required, the accepted codes or format, its privacy class, and what vrlake does with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import jinja2

from ingestors.contract import ColumnSpec, FeedContract, allowed_codes, load_contracts
from privacy.agreement import SharingAgreement, load_agreements

TEMPLATES = "ingestors.templates"
DICTIONARY_MARKDOWN = "data_dictionary.md"
DICTIONARY_HTML = "data_dictionary.html"


@dataclass(frozen=True)
class ColumnEntry:
    name: str
    description: str
    headers: str
    type: str
    required: str
    accepted: str
    privacy_class: str
    treatment: str


def _accepted(column: ColumnSpec) -> str:
    parts: list[str] = []
    codes = allowed_codes(column)
    if codes is not None:
        shown = ", ".join(codes[:20]) + (" ..." if len(codes) > 20 else "")
        parts.append(f"codes: {shown}")
        if column.code_map:
            parts.append("also accepted: " + ", ".join(f"{k}→{v}" for k, v in list(column.code_map.items())[:8]))
    if column.date_formats:
        readable = [f.replace("%d", "dd").replace("%m", "mm").replace("%Y", "yyyy") for f in column.date_formats]
        parts.append("dates as " + " or ".join(readable) + (" or an Excel date" if column.excel_serial else ""))
    if column.time_formats:
        parts.append("times as " + " or ".join(f.replace("%H", "hh").replace("%M", "mm").replace("%S", "ss") for f in column.time_formats))
    if column.type == "boolean":
        parts.append("yes/no: " + "/".join(column.true_values[:3]) + " or " + "/".join(column.false_values[:3]))
    if column.check:
        parts.append({"nhs_number": "valid NHS number (modulus 11)", "upn": "valid UPN (check letter)",
                      "pnc_id": "valid PNC ID (check character)", "postcode": "UK postcode",
                      "lsoa": "ONS LSOA code"}[column.check])
    if column.pattern:
        parts.append(f"pattern {column.pattern}")
    if column.min is not None or column.max is not None:
        parts.append(f"between {column.min:g} and {column.max:g}")
    if column.list_separator:
        parts.append(f"several values separated by '{column.list_separator}'")
    return "; ".join(parts) or "text"


def _treatment(column: ColumnSpec, agreement: SharingAgreement) -> str:
    rule = agreement.fields.get(column.name)
    if rule is None:
        return "not shared: removed on arrival"
    text = {
        "keep": "kept",
        "pseudonymise": "replaced by a keyed pseudonym" + (" and a keyed name encoding" if column.identifier == "name" else ""),
        "coarsen": {"year_month": "reduced to year and month", "lsoa": "reduced to the LSOA (area)"}.get(rule.to or "", "coarsened"),
        "drop": "not kept: removed on arrival",
    }[rule.treatment.value]
    if rule.why:
        text += f" ({rule.why.rstrip('.')})"
    return text


def feed_entries(contract: FeedContract, agreement: SharingAgreement) -> list[ColumnEntry]:
    return [
        ColumnEntry(
            name=c.name,
            description=c.description,
            headers=", ".join(dict.fromkeys((c.name, *c.aliases))),
            type=c.type,
            required="required" if c.required else "optional",
            accepted=_accepted(c),
            privacy_class=c.column_class.value.replace("_", " "),
            treatment=_treatment(c, agreement),
        )
        for c in contract.columns
    ]


def render_dictionary() -> dict[str, str]:
    """{file name: content} for the markdown and HTML dictionaries."""
    contracts, agreements = load_contracts(), load_agreements()
    feeds = [
        {"contract": c, "agreement": agreements[c.feed], "columns": feed_entries(c, agreements[c.feed])}
        for c in sorted(contracts.values(), key=lambda c: (c.partner, c.feed))
    ]
    environment = jinja2.Environment(
        loader=jinja2.FunctionLoader(lambda name: resources.files(TEMPLATES).joinpath(name).read_text("utf-8")),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return {
        DICTIONARY_MARKDOWN: environment.get_template("data_dictionary.md.j2").render(feeds=feeds),
        DICTIONARY_HTML: environment.get_template("data_dictionary.html").render(feeds=feeds),
    }
