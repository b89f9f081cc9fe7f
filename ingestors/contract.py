"""Feed contracts: the declarative, versioned minimum dataset each partner feed must meet.

A contract is a YAML file in `ingestors/contracts/`. It names every column the VRU accepts from a feed, its type,
whether it is required, the codes or pattern it must match, the header names partners really use, and its
privacy class (direct identifier, quasi-identifier or content). The data-sharing agreement (`privacy/agreements/`)
then says what happens to each column; the contract only says what a valid value looks like.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

CONTRACTS_PACKAGE = "ingestors.contracts"
CODE_LISTS_FILE = "code_lists.yaml"


class ColumnClass(StrEnum):
    """Privacy class of a column; the privacy layer builds on it."""

    DIRECT_IDENTIFIER = "direct_identifier"
    QUASI_IDENTIFIER = "quasi_identifier"
    CONTENT = "content"


class DeliverySemantics(StrEnum):
    """How a new delivery relates to earlier ones."""

    INCREMENTAL = "incremental"  # every delivery adds new rows
    PERIOD_SNAPSHOT = "period_snapshot"  # a delivery for a period replaces that period's rows


ColumnType = Literal["string", "integer", "decimal", "date", "time", "boolean"]
IdentifierKind = Literal["name", "nhs_number", "upn", "pnc_id", "crn", "reference", "date_of_birth", "postcode"]
CheckName = Literal["nhs_number", "upn", "pnc_id", "postcode", "lsoa"]
FileFormat = Literal["csv", "xlsx", "jsonl"]

DEFAULT_TRUE_VALUES = ("Y", "YES", "TRUE", "T", "1")
DEFAULT_FALSE_VALUES = ("N", "NO", "FALSE", "F", "0")


def header_key(header: str) -> str:
    """Canonical form used to match a partner's header to an alias: case, spaces and punctuation ignored."""
    return re.sub(r"[^a-z0-9]", "", header.lstrip("\ufeff").lower())


class ColumnSpec(BaseModel):
    """One column of a feed contract."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    name: str
    type: ColumnType
    required: bool
    column_class: ColumnClass = Field(alias="class")
    description: str
    aliases: tuple[str, ...] = ()
    identifier: IdentifierKind | None = None
    date_formats: tuple[str, ...] = ()
    time_formats: tuple[str, ...] = ()
    excel_serial: bool = False
    codes: tuple[str, ...] | None = None
    code_list: str | None = None
    code_map: dict[str, str] = Field(default_factory=dict)
    pattern: str | None = None
    check: CheckName | None = None
    min: float | None = None
    max: float | None = None
    free_text: bool = False
    list_separator: str | None = None
    true_values: tuple[str, ...] = DEFAULT_TRUE_VALUES
    false_values: tuple[str, ...] = DEFAULT_FALSE_VALUES

    @field_validator("code_map", mode="before")
    @classmethod
    def _stringify_code_map(cls, value: dict[object, object] | None) -> dict[str, str]:
        # YAML reads `'1': M` and `1: M` differently; partners send text, so compare as text.
        return {str(k): str(v) for k, v in (value or {}).items()}

    @model_validator(mode="after")
    def _type_needs_formats(self) -> ColumnSpec:
        if self.type == "date" and not self.date_formats:
            raise ValueError(f"date column {self.name!r} must declare date_formats (dates are never guessed)")
        if self.type == "time" and not self.time_formats:
            raise ValueError(f"time column {self.name!r} must declare time_formats")
        return self

    @property
    def header_keys(self) -> tuple[str, ...]:
        """Normalised header names this column is recognised by (its own name included)."""
        return tuple(dict.fromkeys(header_key(h) for h in (self.name, *self.aliases)))


class XlsxOptions(BaseModel):
    """Where to find the data in a partner's workbook."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sheet_names: tuple[str, ...] = ()
    header_search_rows: int = 10


class FeedContract(BaseModel):
    """The minimum-dataset contract of one partner feed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    feed: str
    version: int
    partner: Literal["police", "probation", "education", "health"]
    title: str
    description: str
    file_stem: str
    formats: tuple[FileFormat, ...]
    delivery: DeliverySemantics
    expected_every_days: int = Field(default=35, gt=0)  # a delivery later than this is flagged as late
    record_key: tuple[str, ...]
    event_date: str | None = None
    person_feed: bool = False
    xlsx: XlsxOptions = XlsxOptions()
    columns: tuple[ColumnSpec, ...]

    @model_validator(mode="after")
    def _consistent(self) -> FeedContract:
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.feed}: duplicate column names")
        for key in (*self.record_key, *([self.event_date] if self.event_date else [])):
            if key not in names:
                raise ValueError(f"{self.feed}: {key!r} is not a column")
        seen: dict[str, str] = {}
        for column in self.columns:
            for alias in column.header_keys:
                if alias in seen and seen[alias] != column.name:
                    raise ValueError(f"{self.feed}: header {alias!r} is claimed by {seen[alias]} and {column.name}")
                seen[alias] = column.name
        return self

    def column(self, name: str) -> ColumnSpec:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.feed} has no column {name!r}")

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)


@cache
def code_lists() -> dict[str, tuple[str, ...]]:
    """Shared code lists (e.g. Home Office offence codes), flattened to the accepted codes of each list."""
    raw = yaml.safe_load(resources.files(CONTRACTS_PACKAGE).joinpath(CODE_LISTS_FILE).read_text("utf-8"))
    flattened: dict[str, tuple[str, ...]] = {}
    for name, groups in raw.items():
        codes: list[str] = []
        for key, values in groups.items():
            if key != "description":
                codes.extend(str(v) for v in values)
        flattened[name] = tuple(codes)
    return flattened


def allowed_codes(column: ColumnSpec) -> tuple[str, ...] | None:
    """The codes a column accepts after code_map translation, or None when it has no code list."""
    if column.codes is not None:
        return column.codes
    if column.code_list is not None:
        return code_lists()[column.code_list]
    return None


@cache
def load_contracts() -> dict[str, FeedContract]:
    """Every feed contract shipped with vrlake, keyed by feed name. Fails loudly on an invalid contract."""
    contracts: dict[str, FeedContract] = {}
    for entry in sorted(resources.files(CONTRACTS_PACKAGE).iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml") or entry.name == CODE_LISTS_FILE:
            continue
        contract = FeedContract.model_validate(yaml.safe_load(entry.read_text("utf-8")))
        if f"{contract.feed}.yaml" != entry.name:
            raise ValueError(f"contract file {entry.name} declares feed {contract.feed!r}")
        contracts[contract.feed] = contract
    for contract in contracts.values():
        for column in contract.columns:
            if column.code_list is not None and column.code_list not in code_lists():
                raise ValueError(f"{contract.feed}.{column.name}: unknown code list {column.code_list!r}")
    return contracts


PARTNERS: tuple[str, ...] = ("police", "probation", "education", "health")
