"""Estimate the model on the data (EM), and keep it as a versioned artefact in the lake zone.

Training, in Splink's recommended order:

1. the prior (probability that two random records match) from deterministic rules that admit almost no false
   positives (an identifier agrees, or full name and date of birth agree), with an assumed recall;
2. ``u`` probabilities by random sampling of record pairs (almost all random pairs are non-matches);
3. ``m`` probabilities by expectation maximisation in two sessions with different blocking rules (``EM_SESSIONS``):
   the date of birth, then the full name within one birth year; each estimates what it does not block on. EM needs
   no labelled data: the synthetic truth is never used to train;
4. floors under every ``m`` and ``u`` (``floor_probabilities``), so what training never saw is rare, not
   impossible; and a forename/surname swap counted once, with its ``u`` counted exactly (``count_swap_once``).

Artefact: ``linkage/models/<version>.json`` in the lake zone (through the store, so it works on Azure too), with
``linkage/models/current.json`` naming the version routine runs use. A version is never overwritten. The artefact
holds Splink settings, parameters, blocking counts and training counts: no record, token or value from the data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

from linkage.blocking import DEFAULT_BUDGET, BlockingChoice, choose_blocking_rules, count_comparisons
from linkage.model import (
    DOB_FAR_LABEL,
    DOB_FAR_M,
    HARD_IDENTIFIERS,
    IDENTIFIER_COMPARISONS,
    SWAP_LABEL,
    TF_COLUMNS,
    UNIQUE_ID,
    NameComparison,
    settings_dict,
    splink_frame,
)
from linkage.records import RECORD_KEY, SOURCE_FEED, columns_with_data

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
U_SAMPLE_PAIRS = 2e6
EM_MAX_PAIRS = 3e6
SEED = 20261101
# Estimates are kept to this many significant digits (see `reproducible`): coarser than the run-to-run noise of
# parallel sums (up to about 1e-12, relatively), far finer than what EM can estimate.
PROBABILITY_DIGITS = 8
MIN_IDENTIFIER_PAIRS = 50
M_FLOOR = 0.001
"""Smallest m probability of a level: an error EM never saw in training is rare, not impossible."""
MIN_EM_PAIRS = 20
"""An EM session needs pairs to learn from; with fewer, its levels keep Splink's defaults (then floored)."""
RARE_ERROR_M_FLOORS: dict[str, float] = {DOB_FAR_LABEL: DOB_FAR_M}
"""Floors for errors far rarer than ``M_FLOOR``: a date of birth wrong in year, month and day by more than a
year is almost never a recording error of one person, and is typical of a namesake parent or sibling."""
U_FLOOR = 1e-6
"""Smallest u probability of a level (lowered to half a sampled pair when more pairs are sampled)."""
"""Fewest identifier-sharing pairs worth an EM session of their own."""


NO_MODEL_ADVICE = (
    "run the retrain_linkage_model job (or materialise linkage/person_index, which trains one on first use)"
)


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
    u_pairs: float = U_SAMPLE_PAIRS,
    name_comparison: NameComparison | None = None,
    string_columns: Iterable[str] = (),
) -> LinkageModel:
    """Estimate a model on ``records`` (``RECORD_SCHEMA`` rows). Deterministic for the same records (seeded).

    ``u_pairs`` random pairs estimate the ``u`` probabilities (more is more precise and slower; about 4 s per
    million here). ``name_comparison`` and ``string_columns`` (columns it reads as text, see
    ``model.splink_frame``) exist for the benchmark's cleartext baseline. Raises ValueError when there are too few
    records or no name/date columns to learn from.
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
    # Everything below reads one encoded frame (see model.splink_frame): counts and Splink see the same codes.
    present -= {SOURCE_FEED, RECORD_KEY}
    encoded = splink_frame(frame, present | set(TF_COLUMNS), keep_strings=string_columns)
    # An identifier no two records share (a CRN: one probation record per case) says nothing EM could learn.
    unshared = {
        column
        for column in IDENTIFIER_COMPARISONS.values()
        if column in present
        and int(count_comparisons(encoded, [f"l.{column} = r.{column}"], engine)[0]["marginal_comparison_count"])
        == 0
    }
    present = present - unshared
    settings = settings_dict(present, blocking.rules, name_comparison=name_comparison)
    em_sessions: list[str] = []
    skipped: list[str] = []
    with duckdb_api(engine) as db:
        table = register(db, encoded, "records")
        linker = Linker(table, settings, log_level=None)
        try:
            linker.training.estimate_probability_two_random_records_match(
                _deterministic_rules(present), recall=DETERMINISTIC_RECALL
            )
        except ValueError as error:  # more deterministic matches than the assumed recall allows
            log.warning("prior not estimated (%s); keeping %s", error, settings["probability_two_random_records_match"])
        linker.training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=SEED, num_chunks=1)
        for rule in EM_SESSIONS:
            if int(count_comparisons(encoded, [rule], engine)[0]["marginal_comparison_count"]) < MIN_EM_PAIRS:
                # Too few records share the blocking key (a lake's first small delivery): the levels keep
                # Splink's default m values, and the training record says so.
                skipped.append(rule)
                continue
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, max_pairs=EM_MAX_PAIRS if frame.height > 200_000 else None
            )
            em_sessions.append(rule)
        trained = floor_probabilities(linker.misc.save_model_to_json(), u_floor=min(U_FLOOR, 0.5 / u_pairs))
    if {"forenames_token", "surname_token"} <= present:
        swapped = count_comparisons(encoded, [SWAP_RULE], engine)[0]["marginal_comparison_count"]
        total = max(frame.height * (frame.height - 1) // 2, 1)
        trained = count_swap_once(trained, max(int(swapped) / total, min(U_FLOOR, 0.5 / u_pairs)))
    prior = trained.get("probability_two_random_records_match") or 0.0
    if not 0.0 < prior < 1.0:
        # No deterministic match at all: a prior of zero would make every match probability zero.
        trained["probability_two_random_records_match"] = 1.0 / max(frame.height, 2)
    trained = reproducible(trained)
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
            "em_sessions_skipped_for_lack_of_pairs": skipped,
            "blocking": [c.as_dict() for c in blocking.counts],
            "blocked_comparisons": blocking.total_comparisons,
            "tf_columns": [c for c in TF_COLUMNS if c in present],
            "string_columns": sorted(string_columns),
        },
    )


def reproducible(settings: dict[str, Any], digits: int = PROBABILITY_DIGITS) -> dict[str, Any]:
    """Settings with every estimated probability rounded to ``digits`` significant digits and no random linker id.

    DuckDB sums in parallel in whatever order its threads finish, so two trainings on the same records differ in
    the last digits of their estimates (up to about 1e-12, relatively). Scores then differ too, which can reorder
    near-tied links and so change who is clustered with whom. Rounded, the same records give the same model (and
    model version digest) unless an estimate happens to sit within that noise of a rounding boundary, a chance of
    about 1 in 10,000 per estimate.
    """
    result = json.loads(json.dumps(settings))
    result.pop("linker_uid", None)

    def rounded(value: Any) -> Any:
        return float(f"{value:.{digits}g}") if isinstance(value, float) else value

    result["probability_two_random_records_match"] = rounded(result.get("probability_two_random_records_match"))
    for comparison in result["comparisons"]:
        for level in comparison["comparison_levels"]:
            for name in ("m_probability", "u_probability"):
                if name in level:
                    level[name] = rounded(level[name])
    return result


def floor_probabilities(
    settings: dict[str, Any], *, m_floor: float = M_FLOOR, u_floor: float = U_FLOOR
) -> dict[str, Any]:
    """Settings whose non-null levels all have ``m >= m_floor`` and ``u >= u_floor`` (renormalised to sum to 1
    per comparison).

    EM gives ``m = 0`` (or leaves ``m`` unset) for a level it never observed among matches, e.g. a completely
    different date of birth in a data set whose only date errors are day/month swaps; random sampling gives
    ``u = 0`` for a level no sampled non-match reached (a forename/surname swap). Either makes a weight infinite:
    one disagreement would veto a link however strong the rest of the evidence (a shared NHS number), or one rare
    agreement would force it. Flooring keeps that evidence very strong but finite. The "different" level of a hard
    identifier keeps its estimated ``m``: clustering never joins two different values of those anyway. Levels in
    ``RARE_ERROR_M_FLOORS`` get their own (smaller) floor.
    """
    hard = {c.removesuffix("_token") for c in HARD_IDENTIFIERS}
    result = json.loads(json.dumps(settings))
    for comparison in result["comparisons"]:
        levels = [level for level in comparison["comparison_levels"] if not level.get("is_null_level")]
        keep_zero = comparison["output_column_name"] in hard
        for name, floor in (("m_probability", m_floor), ("u_probability", u_floor)):
            for level in levels:
                value = level.get(name)
                if name == "m_probability" and keep_zero and level["sql_condition"] == "ELSE" and value is not None:
                    continue
                level_floor = RARE_ERROR_M_FLOORS.get(level["label_for_charts"], floor) if name == "m_probability" else floor
                if value is None or value < level_floor:
                    level[name] = level_floor
            total = sum(level[name] for level in levels)
            for level in levels:
                level[name] = level[name] / total
    return result


SWAP_RULE = "l.forenames_token = r.surname_token AND l.surname_token = r.forenames_token"


def count_swap_once(settings: dict[str, Any], swap_u: float) -> dict[str, Any]:
    """Settings in which a forename/surname swap is evidence once, with a measured ``u``.

    Both name comparisons have a swap level (so a swapped pair is not scored as two disagreeing names), but a swap
    in one implies the swap in the other: scored twice it was worth two exact names, and records of different
    people with swapped common names (James Lewis, Lewis James) linked. So the surname's swap level is made neutral
    (``u = m``), and the forenames' swap level gets ``u = swap_u``: the share of all record pairs that are swaps
    of each other, counted exactly (random sampling almost never draws one, so its estimate was the floor).
    Other levels' ``u`` are rescaled so each comparison's ``u`` still sums to 1.
    """
    result = json.loads(json.dumps(settings))
    for comparison in result["comparisons"]:
        name = comparison["output_column_name"]
        levels = [level for level in comparison["comparison_levels"] if not level.get("is_null_level")]
        swap = next((level for level in levels if level["label_for_charts"] == SWAP_LABEL), None)
        if swap is None or name not in ("forenames", "surname"):
            continue
        swap["u_probability"] = swap_u if name == "forenames" else swap["m_probability"]
        others = [level for level in levels if level is not swap]
        scale = (1.0 - swap["u_probability"]) / sum(level["u_probability"] for level in others)
        for level in others:
            level["u_probability"] *= scale
    return result


def _deterministic_rules(present: frozenset[str]) -> list[str]:
    rules = [f"l.{c} = r.{c}" for c in ("nhs_number_token", "pnc_id_token", "upn_token") if c in present]
    rules.append(
        "l.forenames_token = r.forenames_token AND l.surname_token = r.surname_token AND l.dob_token = r.dob_token"
    )
    return rules


EM_SESSIONS: tuple[str, ...] = (
    "l.dob_token = r.dob_token",
    "l.forenames_token = r.forenames_token AND l.surname_token = r.surname_token",
)
"""The EM sessions' blocking rules. The first (same date of birth) estimates names, identifiers, postcode and sex;
the second (same full name) estimates the date of birth's error rates. Namesakes of another generation (a father
and son called John Smith at one address) enter the second session too; the date-of-birth level that tells them
apart (born more than a year apart) has a fixed prior m (``model.DOB_FAR_M``), so EM sees them as non-matches
instead of learning that a completely different date of birth is a common error. A rule may not mention a
date-of-birth column, or Splink would not estimate the date of birth in that session."""


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
    from storage import ZoneNotFound

    try:
        store.exists(LAKE_ZONE, CURRENT_POINTER)
    except ZoneNotFound:
        raise NoModelError(f"the lake has not been set up yet ({store.describe()}): {NO_MODEL_ADVICE}") from None
    if version is None:
        if not store.exists(LAKE_ZONE, CURRENT_POINTER):
            raise NoModelError(f"no linkage model has been trained yet: {NO_MODEL_ADVICE}")
        version = json.loads(store.read_text(LAKE_ZONE, CURRENT_POINTER))["version"]
    path = f"{MODELS_FOLDER}/{version}.json"
    if not store.exists(LAKE_ZONE, path):
        raise NoModelError(f"linkage model version {version!r} is not in {LAKE_ZONE}/{MODELS_FOLDER}/")
    return LinkageModel.from_json(store.read_text(LAKE_ZONE, path))


def list_models(store: Store) -> list[str]:
    """Saved model versions, oldest first (versions sort by training time)."""
    names = [o.name for o in store.list(LAKE_ZONE, f"{MODELS_FOLDER}/")]
    return sorted(n.removesuffix(".json") for n in names if n.endswith(".json") and n != "current.json")
