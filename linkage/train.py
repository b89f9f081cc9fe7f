"""Estimate the model on the data (EM), and keep it as a versioned artefact in the lake zone.

Training, in Splink's recommended order:

1. the prior (probability that two random records match) from deterministic rules that admit almost no false
   positives (an identifier agrees, or full name and date of birth agree), with an assumed recall;
2. ``u`` probabilities by random sampling of record pairs (almost all random pairs are non-matches);
3. ``m`` probabilities by expectation maximisation in two sessions with different blocking rules: blocking on the
   date of birth estimates every comparison except the date of birth, blocking on the full name estimates the date
   of birth (and re-estimates the rest). EM needs no labelled data: the synthetic truth is never used to train.

Artefact: ``linkage/models/<version>.json`` in the lake zone (through the store, so it works on Azure too), with
``linkage/models/current.json`` naming the version routine runs use. A version is never overwritten. The artefact
holds Splink settings, parameters, blocking counts and training counts: no record, token or value from the data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

from linkage.blocking import DEFAULT_BUDGET, BlockingChoice, choose_blocking_rules
from linkage.model import HARD_IDENTIFIERS, IDENTIFIER_COMPARISONS, TF_COLUMNS, UNIQUE_ID, settings_dict
from linkage.records import columns_with_data

if TYPE_CHECKING:
    from linkage.engine import EngineSettings
    from storage import Store

log = logging.getLogger(__name__)

MODELS_FOLDER = "linkage/models"
CURRENT_POINTER = f"{MODELS_FOLDER}/current.json"
LAKE_ZONE = "lake"
DEFAULT_THRESHOLD = 0.95
"""Pairs at or above this match probability join a cluster (false merges cost more than missed links)."""
DETERMINISTIC_RECALL = 0.7
U_SAMPLE_PAIRS = 5e6
EM_MAX_PAIRS = 3e6
SEED = 20261101
MIN_IDENTIFIER_PAIRS = 50
M_FLOOR = 0.001
"""Smallest m probability of a level: an error EM never saw in training is rare, not impossible."""
"""Fewest identifier-sharing pairs worth an EM session of their own."""


class NoModelError(LookupError):
    """No trained model is saved in the lake yet: run the retrain job (or ``vrlake link --train``)."""


@dataclass(frozen=True)
class LinkageModel:
    """A trained model: Splink settings with parameters, the clustering threshold, and how it was made."""

    version: str
    settings: dict[str, Any]
    threshold: float = DEFAULT_THRESHOLD
    trained_at: str = ""
    training: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> str:
        return json.dumps(
            {
                "version": self.version,
                "threshold": self.threshold,
                "trained_at": self.trained_at,
                "training": self.training,
                "splink_settings": self.settings,
            },
            indent=2,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> LinkageModel:
        data = json.loads(text)
        return cls(
            version=data["version"],
            settings=data["splink_settings"],
            threshold=float(data["threshold"]),
            trained_at=data.get("trained_at", ""),
            training=data.get("training", {}),
        )

    @property
    def blocking_rules(self) -> list[str]:
        return [rule["blocking_rule"] for rule in self.settings["blocking_rules_to_generate_predictions"]]


def with_uid(records: pl.DataFrame, start: int = 0) -> pl.DataFrame:
    """``records`` with Splink's integer unique id (``uid``) first, numbered from ``start`` in row order."""
    return records.with_row_index(UNIQUE_ID, offset=start).with_columns(pl.col(UNIQUE_ID).cast(pl.Int64))


def train_model(
    records: pl.DataFrame,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    budget: int = DEFAULT_BUDGET,
    engine: EngineSettings | None = None,
    blocking: BlockingChoice | None = None,
) -> LinkageModel:
    """Estimate a model on ``records`` (``RECORD_SCHEMA`` rows). Deterministic for the same records (seeded).

    Raises ValueError when there are too few records or no name/date columns to learn from.
    """
    from splink import Linker

    from linkage.engine import duckdb_api, register

    if records.height < 10:
        raise ValueError(f"training needs at least 10 records, got {records.height}")
    present = columns_with_data(records)
    if not {"surname_token", "dob_token"} <= present:
        raise ValueError("training needs surnames and dates of birth (their tokens are all missing)")
    frame = with_uid(records) if UNIQUE_ID not in records.columns else records
    blocking = blocking or choose_blocking_rules(frame, budget=budget, engine=engine)
    # An identifier no two records share (a CRN: one probation record per case) says nothing EM could learn.
    chosen = set(blocking.rules)
    present = frozenset(
        c for c in present if c not in IDENTIFIER_COMPARISONS.values() or f"l.{c} = r.{c}" in chosen
    )
    settings = settings_dict(present, blocking.rules)
    em_sessions = _em_blocking_rules(present, blocking)
    with duckdb_api(engine) as db:
        table = register(db, frame.select(UNIQUE_ID, *sorted(present)), "records")
        linker = Linker(table, settings, log_level=None)
        linker.training.estimate_probability_two_random_records_match(
            _deterministic_rules(present), recall=DETERMINISTIC_RECALL
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=U_SAMPLE_PAIRS, seed=SEED)
        for rule in em_sessions:
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, max_pairs=EM_MAX_PAIRS if frame.height > 200_000 else None
            )
        trained = floor_m_probabilities(linker.misc.save_model_to_json())
    trained_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
    digest = hashlib.sha256(json.dumps(trained, sort_keys=True).encode()).hexdigest()[:8]
    version = f"{trained_at:%Y%m%dT%H%M%SZ}-{digest}"
    return LinkageModel(
        version=version,
        settings=trained,
        threshold=threshold,
        trained_at=trained_at.isoformat(),
        training={
            "records": frame.height,
            "records_per_feed": dict(frame.group_by("source_feed").len().sort("source_feed").iter_rows())
            if "source_feed" in frame.columns
            else {},
            "columns": sorted(present),
            "em_blocking_rules": em_sessions,
            "blocking": [c.as_dict() for c in blocking.counts],
            "blocked_comparisons": blocking.total_comparisons,
            "tf_columns": [c for c in TF_COLUMNS if c in present],
        },
    )


def floor_m_probabilities(settings: dict[str, Any], floor: float = M_FLOOR) -> dict[str, Any]:
    """Settings whose non-null levels all have ``m >= floor`` (renormalised to sum to 1 per comparison).

    EM gives ``m = 0`` (or leaves ``m`` unset) for a level it never observed among matches, e.g. a completely
    different date of birth in a data set whose only date errors are day/month swaps. A zero ``m`` is an infinite
    negative weight: one such disagreement would veto a link however strong the rest of the evidence, including a
    shared NHS number. Flooring keeps that evidence very strong but finite. The "different" level of a hard
    identifier is left as estimated: clustering never joins two different values of those anyway.
    """
    hard = {c.removesuffix("_token") for c in HARD_IDENTIFIERS}
    result = json.loads(json.dumps(settings))
    for comparison in result["comparisons"]:
        levels = [level for level in comparison["comparison_levels"] if not level.get("is_null_level")]
        keep_zero = comparison["output_column_name"] in hard
        for level in levels:
            m = level.get("m_probability")
            if keep_zero and level["sql_condition"] == "ELSE" and m is not None:
                continue
            if m is None or m < floor:
                level["m_probability"] = floor
        total = sum(level["m_probability"] for level in levels)
        for level in levels:
            level["m_probability"] = level["m_probability"] / total
    return result


def _deterministic_rules(present: frozenset[str]) -> list[str]:
    rules = [f"l.{c} = r.{c}" for c in ("nhs_number_token", "pnc_id_token", "upn_token") if c in present]
    rules.append(
        "l.forenames_token = r.forenames_token AND l.surname_token = r.surname_token AND l.dob_token = r.dob_token"
    )
    return rules


def _em_blocking_rules(present: frozenset[str], blocking: BlockingChoice) -> list[str]:
    """Two EM sessions: records sharing a date of birth (estimates names, identifiers, postcode, sex), then
    records sharing the most common national identifier (estimates the date of birth's error rates).

    Why an identifier for the second session: blocking on the full name instead lets namesakes at one address
    (a father and son called John Smith) into the "match" class, which teaches the model that a completely
    different date of birth is a common error, and then such pairs link. Pairs that share an NHS number, PNC ID or
    UPN are almost all true matches, so the date-of-birth errors they show are real recording errors. Without any
    identifier in the data the full name is the fallback.
    """
    sessions = ["l.dob_token = r.dob_token"]
    by_rule = {count.sql: count.marginal_comparisons for count in blocking.counts if count.chosen}
    identifier_rules = [
        (by_rule.get(f"l.{column} = r.{column}", 0), f"l.{column} = r.{column}")
        for column in ("nhs_number_token", "pnc_id_token", "upn_token")
        if column in present
    ]
    pairs, rule = max(identifier_rules, default=(0, ""))
    if pairs >= MIN_IDENTIFIER_PAIRS:
        sessions.append(rule)
    else:
        sessions.append("l.forenames_token = r.forenames_token AND l.surname_token = r.surname_token")
    return sessions


def save_model(store: Store, model: LinkageModel, *, make_current: bool = True) -> str:
    """Write ``linkage/models/<version>.json`` (never overwriting a version) and, by default, point
    ``current.json`` at it. Returns the artefact's path in the lake zone."""
    path = f"{MODELS_FOLDER}/{model.version}.json"
    store.write_text(LAKE_ZONE, path, model.as_json(), overwrite=False)
    if make_current:
        pointer = {"version": model.version, "path": path, "set_at": dt.datetime.now(dt.UTC).isoformat()}
        store.write_text(LAKE_ZONE, CURRENT_POINTER, json.dumps(pointer, indent=2))
    return path


def load_model(store: Store, version: str | None = None) -> LinkageModel:
    """The model ``version``, or the current one. Raises ``NoModelError`` when none is saved."""
    if version is None:
        if not store.exists(LAKE_ZONE, CURRENT_POINTER):
            raise NoModelError(
                "no linkage model has been trained yet: run the retrain_linkage_model job "
                "(or materialise linkage/person_index, which trains one on first use)"
            )
        version = json.loads(store.read_text(LAKE_ZONE, CURRENT_POINTER))["version"]
    path = f"{MODELS_FOLDER}/{version}.json"
    if not store.exists(LAKE_ZONE, path):
        raise NoModelError(f"linkage model version {version!r} is not in {LAKE_ZONE}/{MODELS_FOLDER}/")
    return LinkageModel.from_json(store.read_text(LAKE_ZONE, path))


def list_models(store: Store) -> list[str]:
    """Saved model versions, oldest first (versions sort by training time)."""
    names = [o.name for o in store.list(LAKE_ZONE, f"{MODELS_FOLDER}/")]
    return sorted(n.removesuffix(".json") for n in names if n.endswith(".json") and n != "current.json")
