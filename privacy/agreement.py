"""Data-sharing agreements as code.

One YAML file per partner feed in `privacy/agreements/`: the parties, purpose, lawful basis, the fields that may be
shared and how each is treated, retention of identifiable originals, the output tiers the feed may flow into, and
its review and expiry dates. Ingestion enforces it (`enforce_agreement`); `vrlake governance` renders it for the
information-governance leads who sign it. The agreement is the only thing that lets a field into the lake.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

AGREEMENTS_PACKAGE = "privacy.agreements"
OutputTier = Literal["L1", "L2", "L3"]


class Treatment(StrEnum):
    """What happens to a shared field before it reaches the lake."""

    KEEP = "keep"  # stored as delivered (typed and validated)
    PSEUDONYMISE = "pseudonymise"  # replaced by keyed tokens (and Bloom encodings for names)
    COARSEN = "coarsen"  # replaced by a coarser value (date of birth -> year-month, postcode -> LSOA)
    DROP = "drop"  # never stored


class FieldRule(BaseModel):
    """How one field is treated, and why (the reason is shown to partners and IG leads)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    treatment: Treatment
    to: Literal["year_month", "lsoa"] | None = None
    link_token: bool = False  # keep a keyed token of the full value, for linkage only
    link_tokens: bool = False  # date of birth: keep keyed component tokens for linkage only
    why: str | None = None

    @model_validator(mode="after")
    def _coarsen_needs_target(self) -> FieldRule:
        if self.treatment is Treatment.COARSEN and self.to is None:
            raise ValueError("coarsen needs 'to: year_month' or 'to: lsoa'")
        return self


class Party(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    role: str
    contact: str


class Parties(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    provider: Party
    recipient: Party


class Retention(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    identifiable_originals_days: int = Field(gt=0)


class SharingAgreement(BaseModel):
    """A data-sharing agreement for one feed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    agreement_id: str
    feed: str
    version: int
    title: str
    parties: Parties
    purpose: str
    lawful_basis: tuple[str, ...]
    valid_from: dt.date
    review_date: dt.date
    expires: dt.date
    retention: Retention
    output_tiers: tuple[OutputTier, ...]
    fields: dict[str, FieldRule]

    def is_in_force(self, on: dt.date) -> bool:
        return self.valid_from <= on <= self.expires

    def refusal_reason(self, on: dt.date) -> str | None:
        """A plain-English reason to refuse a delivery on `on`, or None when the agreement is in force."""
        if on < self.valid_from:
            return (
                f"The data-sharing agreement {self.agreement_id} v{self.version} for {self.feed} only starts on "
                f"{self.valid_from:%d %B %Y}. Nothing can be loaded before it is in force."
            )
        if on > self.expires:
            return (
                f"The data-sharing agreement {self.agreement_id} v{self.version} for {self.feed} expired on "
                f"{self.expires:%d %B %Y}. Nothing can be loaded until the partners renew it; the file was kept "
                "in quarantine and can be reprocessed once a renewed agreement is committed."
            )
        return None

    @property
    def shared_fields(self) -> tuple[str, ...]:
        """Fields that reach the lake in some form (everything except `drop`)."""
        return tuple(name for name, rule in self.fields.items() if rule.treatment is not Treatment.DROP)


@cache
def load_agreements() -> dict[str, SharingAgreement]:
    """Every agreement shipped with vrlake, keyed by feed."""
    agreements: dict[str, SharingAgreement] = {}
    for entry in sorted(resources.files(AGREEMENTS_PACKAGE).iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            agreement = SharingAgreement.model_validate(yaml.safe_load(entry.read_text("utf-8")))
            if f"{agreement.feed}.yaml" != entry.name:
                raise ValueError(f"agreement file {entry.name} declares feed {agreement.feed!r}")
            agreements[agreement.feed] = agreement
    return agreements
