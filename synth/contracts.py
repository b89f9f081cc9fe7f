"""The parts of the feed contracts the generator needs: columns in order, header names, formats, code maps.

Read straight from the contract YAML files shipped in `ingestors/contracts/`, so the synthetic partners always
write what the contracts describe. The header a partner's system writes is the column's first alias (the
partner's own name for it); dates use the first listed format.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

CONTRACTS_PACKAGE = "ingestors.contracts"
CODE_LISTS_FILE = "code_lists.yaml"


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool
    header: str
    date_format: str | None
    code_map: dict[str, str]
    codes: tuple[str, ...] | None


@dataclass(frozen=True)
class Contract:
    feed: str
    partner: str
    file_stem: str
    formats: tuple[str, ...]
    record_key: tuple[str, ...]
    columns: tuple[Column, ...]

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.feed} has no column {name!r}")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


@cache
def contract(feed: str) -> Contract:
    """The contract of `feed`. Raises FileNotFoundError for an unknown feed."""
    text = resources.files(CONTRACTS_PACKAGE).joinpath(f"{feed}.yaml").read_text("utf-8")
    raw = yaml.safe_load(text)
    columns = []
    for col in raw["columns"]:
        aliases = col.get("aliases") or [col["name"]]
        formats = col.get("date_formats") or []
        codes = col.get("codes")
        columns.append(
            Column(
                name=col["name"],
                type=col["type"],
                required=bool(col["required"]),
                header=str(aliases[0]),
                date_format=formats[0] if formats else None,
                code_map={str(k): str(v) for k, v in (col.get("code_map") or {}).items()},
                codes=tuple(str(c) for c in codes) if codes is not None else None,
            )
        )
    return Contract(
        feed=raw["feed"],
        partner=raw["partner"],
        file_stem=raw["file_stem"],
        formats=tuple(raw["formats"]),
        record_key=tuple(raw["record_key"]),
        columns=tuple(columns),
    )


@cache
def code_list(name: str) -> tuple[str, ...]:
    raw = yaml.safe_load(resources.files(CONTRACTS_PACKAGE).joinpath(CODE_LISTS_FILE).read_text("utf-8"))
    return tuple(str(v) for key, values in raw[name].items() if key != "description" for v in values)
