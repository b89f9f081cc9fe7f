"""Blocking rules, chosen by counting the comparisons each would generate on the records at hand.

A linkage job's cost is its number of record comparisons, not its number of records. Every candidate rule is an
equality on keyed tokens (tokens only match exactly, which is what blocking needs). Candidates are tried in order;
a rule whose *marginal* comparisons (pairs no earlier rule already generated) exceed ``budget`` is replaced by its
tighter variant, and dropped (with the reason recorded) if that is still over budget. A rule that generates no
comparison at all is dropped too. The counts are returned so they can be reported (Dagster metadata, the
benchmark), because they are what decides whether a linkage fits the machine.

Why these rules: together they leave a true pair unblocked only when it disagrees on every identifier, on the exact
date of birth, on at least one exact name, and on postcode-plus-birthday; each rule targets one kind of error the
others miss (a typo in a name, a wrong or swapped date of birth, a swap of forename and surname).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    from linkage.engine import EngineSettings

DEFAULT_BUDGET = 25_000_000
"""Marginal comparisons allowed per rule: ~20M per rule is comfortable on a laptop-class machine."""
EXACT_COUNT_LIMIT = 300_000
"""Up to this many records comparisons are counted exactly; above it, from a sample (Splink scales it up)."""


@dataclass(frozen=True)
class CandidateRule:
    """A blocking rule, the columns it needs, and a tighter variant to fall back to when it is too loose."""

    name: str
    sql: str
    columns: tuple[str, ...]
    tighter: CandidateRule | None = None


def _equal(*columns: str) -> str:
    return " AND ".join(f"l.{c} = r.{c}" for c in columns)


def _rule(name: str, *columns: str, tighter: CandidateRule | None = None) -> CandidateRule:
    return CandidateRule(name, _equal(*columns), columns, tighter)


CANDIDATE_RULES: tuple[CandidateRule, ...] = (
    _rule("nhs_number", "nhs_number_token"),
    _rule("pnc_id", "pnc_id_token"),
    _rule("upn", "upn_token"),
    _rule("crn", "crn_token"),
    _rule("other_id", "other_id_token"),
    _rule(
        "date_of_birth",
        "dob_token",
        tighter=_rule("date_of_birth_and_sex", "dob_token", "sex", tighter=_rule(
            "date_of_birth_and_lsoa", "dob_token", "postcode_lsoa")),
    ),
    _rule("full_name", "forenames_token", "surname_token"),
    CandidateRule(
        "names_swapped",
        "l.forenames_token = r.surname_token AND l.surname_token = r.forenames_token",
        ("forenames_token", "surname_token"),
    ),
    CandidateRule(
        "date_of_birth_swapped",
        "l.dob_swapped_token = r.dob_token",
        ("dob_swapped_token", "dob_token"),
        tighter=CandidateRule(
            "date_of_birth_swapped_and_surname",
            "l.dob_swapped_token = r.dob_token AND l.surname_token = r.surname_token",
            ("dob_swapped_token", "dob_token", "surname_token"),
        ),
    ),
    _rule("surname_and_birth_month", "surname_token", "dob_year_month_token"),
    _rule("forenames_and_birth_month", "forenames_token", "dob_year_month_token"),
    _rule("postcode_and_birthday", "postcode_token", "dob_month_day_token"),
    _rule("surname_and_postcode", "surname_token", "postcode_token"),
    _rule("forenames_and_postcode", "forenames_token", "postcode_token"),
)


@dataclass(frozen=True)
class RuleCount:
    """How many comparisons a rule generates on the counted records, and whether it was chosen."""

    name: str
    sql: str
    marginal_comparisons: int
    cumulative_comparisons: int
    chosen: bool
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class BlockingChoice:
    """The chosen rules (SQL, in order) and every count behind the choice."""

    rules: tuple[str, ...]
    counts: tuple[RuleCount, ...]
    records: int
    total_possible_comparisons: int

    @property
    def total_comparisons(self) -> int:
        chosen = [c for c in self.counts if c.chosen]
        return chosen[-1].cumulative_comparisons if chosen else 0

    def as_markdown(self) -> str:
        lines = ["| rule | marginal comparisons | cumulative | chosen | note |", "|---|---:|---:|---|---|"]
        lines += [
            f"| `{c.name}` | {c.marginal_comparisons:,} | {c.cumulative_comparisons:,} | "
            f"{'yes' if c.chosen else 'no'} | {c.note} |"
            for c in self.counts
        ]
        return "\n".join(lines)


def count_comparisons(
    frame: pl.DataFrame, rules: list[str], settings: EngineSettings | None = None
) -> list[dict[str, Any]]:
    """Splink's per-rule comparison counts for ``rules`` on ``frame`` (with ``uid``), exact up to
    ``EXACT_COUNT_LIMIT`` records and estimated from a sample above it."""
    from splink.blocking_analysis import count_comparisons_from_blocking_rules

    from linkage.engine import duckdb_api, register
    from linkage.model import UNIQUE_ID

    proportion = 1.0 if frame.height <= EXACT_COUNT_LIMIT else max(0.05, EXACT_COUNT_LIMIT / frame.height)
    with duckdb_api(settings) as db:
        table = register(db, frame, "records_for_blocking_analysis")
        return list(
            count_comparisons_from_blocking_rules(
                table,
                blocking_rules=rules,
                link_type="dedupe_only",
                unique_id_column_name=UNIQUE_ID,
                record_sample_proportion=proportion,
            )
        )


def choose_blocking_rules(
    records: pl.DataFrame,
    *,
    budget: int = DEFAULT_BUDGET,
    candidates: tuple[CandidateRule, ...] = CANDIDATE_RULES,
    engine: EngineSettings | None = None,
) -> BlockingChoice:
    """Choose blocking rules for ``records`` (``RECORD_SCHEMA`` rows with a ``uid`` column) by counted comparisons.

    All rules are counted together (each rule's marginal count excludes pairs of the rules before it); the first
    rule over ``budget`` is replaced by its tighter variant or dropped, and the list is counted again, until every
    rule fits. Rules on columns with no data are skipped without counting.
    Deterministic for the same records.
    """
    from linkage.model import splink_frame
    from linkage.records import columns_with_data

    present = columns_with_data(records)
    frame = splink_frame(records, {c for rule in _all(candidates) for c in rule.columns} & present)
    notes: list[RuleCount] = []
    rules: list[CandidateRule] = []
    for candidate in candidates:
        if set(candidate.columns) <= present:
            rules.append(candidate)
        else:
            notes.append(RuleCount(candidate.name, candidate.sql, 0, 0, False, "no data in its columns"))
    while True:
        results = count_comparisons(frame, [r.sql for r in rules], engine) if rules else []
        over = next(
            (i for i, result in enumerate(results) if int(result["marginal_comparison_count"]) > budget), None
        )
        if over is None:
            break
        rule, marginal = rules[over], int(results[over]["marginal_comparison_count"])
        tighter = rule.tighter if rule.tighter and set(rule.tighter.columns) <= present else None
        action = f"; replaced by `{tighter.name}`" if tighter else "; dropped"
        notes.append(RuleCount(rule.name, rule.sql, marginal, 0, False, f"over the budget of {budget:,}{action}"))
        rules[over : over + 1] = [tighter] if tighter else []
    counts: list[RuleCount] = []
    chosen: list[str] = []
    for rule, result in zip(rules, results, strict=True):
        marginal = int(result["marginal_comparison_count"])
        cumulative = int(result["cumulative_comparison_count"])
        # A rule adding nothing today costs nothing and may matter for later deliveries (the model is reused).
        note = "adds no comparison on these records (kept for later deliveries)" if marginal == 0 else ""
        counts.append(RuleCount(rule.name, rule.sql, marginal, cumulative, True, note))
        chosen.append(rule.sql)
    return BlockingChoice(
        rules=tuple(chosen),
        counts=tuple(counts + notes),
        records=records.height,
        total_possible_comparisons=records.height * (records.height - 1) // 2,
    )


def _all(candidates: tuple[CandidateRule, ...]) -> list[CandidateRule]:
    out = []
    for candidate in candidates:
        rule: CandidateRule | None = candidate
        while rule is not None:
            out.append(rule)
            rule = rule.tighter
    return out
