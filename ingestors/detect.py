"""Which feed a delivered file belongs to, and which of its columns are which.

Partners name files `<feed>_<period>.<ext>` (e.g. `police_occurrences_2026-10.csv`, documented in the data
dictionary). When a name does not follow the convention the header row decides, but only when exactly one of the
partner's feeds has all its required columns: a file that matches no feed, or more than one, is quarantined, never
guessed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from ingestors.contract import FeedContract, header_key
from ingestors.errors import FileRejected, QuarantineReason

FILE_NAME_PATTERN = re.compile(
    r"^(?P<stem>[a-z][a-z_]*?)_(?P<period>\d{4}-\d{2})(?:[_\-.][A-Za-z0-9_\-.]*)?\.[A-Za-z]+$", re.IGNORECASE
)
PERIOD_PATTERN = re.compile(r"(?P<period>20\d{2}-(0[1-9]|1[0-2]))")


@dataclass(frozen=True)
class FeedMatch:
    contract: FeedContract
    period: str | None
    matched_by: str  # "file name" or "header"


def feed_from_name(name: str, contracts: Mapping[str, FeedContract]) -> FeedMatch | None:
    """The feed named by the file-naming convention, or None when the name does not follow it."""
    match = FILE_NAME_PATTERN.match(name)
    if not match:
        return None
    stem = match.group("stem").lower()
    for contract in contracts.values():
        if contract.file_stem == stem:
            return FeedMatch(contract, match.group("period"), "file name")
    return None


def feed_from_headers(
    name: str, headers: list[str], partner: str, contracts: Mapping[str, FeedContract]
) -> FeedMatch:
    """The single feed of `partner` whose required columns all appear in `headers`, or raise `FileRejected`."""
    keys = {header_key(h) for h in headers}
    candidates = []
    for contract in contracts.values():
        if contract.partner != partner:
            continue
        required = [c for c in contract.columns if c.required]
        if all(any(k in keys for k in c.header_keys) for c in required):
            candidates.append(contract)
    period_match = PERIOD_PATTERN.search(name)
    period = period_match.group("period") if period_match else None
    if len(candidates) == 1:
        return FeedMatch(candidates[0], period, "header")
    feeds = sorted(c.file_stem for c in contracts.values() if c.partner == partner)
    if not candidates:
        raise FileRejected(
            QuarantineReason.UNKNOWN_FEED,
            f"'{name}' does not follow the naming convention <feed>_<YYYY-MM>.<ext> and its columns do not match "
            f"any {partner} feed. Name the file after its feed ({', '.join(feeds)}), e.g. '{feeds[0]}_2026-10.csv'.",
            details={"columns_in_file": len(headers)},
        )
    raise FileRejected(
        QuarantineReason.UNKNOWN_FEED,
        f"'{name}' could belong to more than one feed ({', '.join(c.feed for c in candidates)}); vrlake will not "
        "guess. Name the file after its feed, e.g. '<feed>_2026-10.csv'.",
    )


def map_headers(headers: list[str], contract: FeedContract) -> tuple[dict[str, str], list[str]]:
    """Map delivered headers to canonical column names.

    Returns (delivered header -> canonical name, unrecognised headers). Raises `FileRejected` when two headers map
    to the same column or a required column is missing.
    """
    by_key = {k: c.name for c in contract.columns for k in c.header_keys}
    mapping: dict[str, str] = {}
    unrecognised: list[str] = []
    for header in headers:
        canonical = by_key.get(header_key(header))
        if canonical is None:
            unrecognised.append(header)
        elif canonical in mapping.values():
            first = next(h for h, c in mapping.items() if c == canonical)
            raise FileRejected(
                QuarantineReason.DUPLICATE_COLUMNS,
                f"Columns '{first}' and '{header}' both look like {contract.title} field '{canonical}'. "
                "Keep one of them and send the file again.",
            )
        else:
            mapping[header] = canonical
    missing = [c for c in contract.required_columns if c not in mapping.values()]
    if missing:
        accepted = "; ".join(f"{m} (e.g. '{(contract.column(m).aliases or (m,))[0]}')" for m in missing)
        raise FileRejected(
            QuarantineReason.MISSING_REQUIRED_COLUMNS,
            f"The file has no column for required field(s): {accepted}. The minimum dataset for "
            f"{contract.title} needs them; see the data dictionary for the names vrlake accepts.",
            # Only recognised header names: a file without a header row would otherwise put a person's data here.
            details={"missing_columns": missing, "recognised_columns": sorted(mapping.values())},
        )
    return mapping, unrecognised
