"""A cohort list (e.g. intervention participants) pseudonymised exactly as ingestion pseudonymises a partner file.

The list is a CSV with one row per record:

=================  ========  =================================================================================
column             needed    content
=================  ========  =================================================================================
``record_id``      yes       the list's own id for the row: a value is required, unique in the list
``source``         yes       where the row comes from (e.g. ``navigator``)
``forenames``      yes       given name(s)
``surname``        yes       family name
``date_of_birth``  yes       ISO ``YYYY-MM-DD``
``sex``            yes       ``M``/``F``/``U`` (or Male/Female/Unknown, 1/2/9)
``postcode``       yes       home postcode
``nhs_number``     optional  10 digits with a valid check digit (invalid values are ignored, as in ingestion)
``upn``            optional  Unique Pupil Number
``pnc_id``         optional  Police National Computer ID
``crn``            optional  probation case reference number
``other_id``       optional  any other identifier shared by rows of the list (kept as a keyed token only)
=================  ========  =================================================================================

"yes" means the header must be present; apart from ``record_id`` a value may be blank (a row with fewer values
links less well). A value that fails its check (a date that is not ISO, an NHS number with a wrong check digit) is
ignored for that row and reported, as ingestion does for optional fields. Header names are matched ignoring case, spaces and punctuation. Any
subset of the optional columns may be present. Other columns are ignored (and never read into the result).

"Exactly as ingestion" is meant literally: the rows go through ``ingestors.validate.validate`` (the same checks,
trimming and code translation) and ``privacy.protect.protect`` (the same normalisers, token kinds, Bloom encodings,
date-of-birth tokens and postcode coarsening, with keys derived from the same master key), against a contract and
a sharing agreement declared here. Cleartext exists only in memory, inside ``read_cohort``'s frame, which the caller
discards; ``pseudonymise_cohort`` returns tokens and encodings only.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ingestors.contract import ColumnSpec, DeliverySemantics, FeedContract, header_key
from ingestors.readers import ROW_NUMBER
from linkage.records import RECORD_SCHEMA, conform_records
from privacy.agreement import SharingAgreement
from privacy.keys import PseudonymisationKey

COHORT_FEED = "cohort"
REQUIRED_HEADERS: tuple[str, ...] = ("record_id", "source", "forenames", "surname", "date_of_birth", "sex", "postcode")
OPTIONAL_HEADERS: tuple[str, ...] = ("nhs_number", "upn", "pnc_id", "crn", "other_id")
COHORT_SCHEMA: dict[str, pl.DataType] = {**RECORD_SCHEMA, "record_id": pl.String(), "source": pl.String()}
"""A pseudonymised cohort record: the linkage record plus the list's own ``record_id`` and ``source``."""
MAX_PROBLEMS_SHOWN = 20


class CohortFileError(ValueError):
    """The file cannot be used as a cohort list. The message says what to fix, without identifier values."""


def _column(name: str, description: str, *, required: bool = False, identifier: str | None = None,
            column_class: str = "direct_identifier", check: str | None = None, **extra: object) -> ColumnSpec:
    return ColumnSpec.model_validate(
        {"name": name, "type": extra.pop("type", "string"), "required": required, "class": column_class,
         "description": description, "identifier": identifier, "check": check, **extra}
    )


COHORT_COLUMNS: tuple[ColumnSpec, ...] = (
    _column("record_id", "The list's own id for the row.", required=True, identifier="reference"),
    _column("source", "Where the row comes from.", column_class="content"),
    _column("forenames", "Given names.", identifier="name"),
    _column("surname", "Family name.", identifier="name"),
    _column("date_of_birth", "Date of birth, ISO.", identifier="date_of_birth",
            column_class="quasi_identifier", type="date", date_formats=("%Y-%m-%d",)),
    _column("sex", "Sex.", column_class="quasi_identifier", codes=("M", "F", "U"),
            code_map={"Male": "M", "Female": "F", "Unknown": "U", "1": "M", "2": "F", "9": "U", "0": "U", "X": "U"}),
    _column("postcode", "Home postcode.", identifier="postcode", column_class="quasi_identifier", check="postcode"),
    _column("nhs_number", "NHS number.", identifier="nhs_number", check="nhs_number"),
    _column("upn", "Unique Pupil Number.", identifier="upn", check="upn"),
    _column("pnc_id", "PNC ID.", identifier="pnc_id", check="pnc_id"),
    _column("crn", "Probation case reference number.", identifier="crn"),
    _column("other_id", "Another identifier shared by rows of the list.", identifier="reference"),
)

# FeedContract.partner names the four partner organisations; a cohort list comes from the VRU itself, so the
# contract is constructed without that validation (its columns above are validated).
COHORT_CONTRACT = FeedContract.model_construct(
    feed=COHORT_FEED,
    version=1,
    partner="vru",
    title="Cohort list for linkage",
    description="A VRU analyst's list of people to link (e.g. intervention participants).",
    file_stem=COHORT_FEED,
    formats=("csv",),
    delivery=DeliverySemantics.INCREMENTAL,
    record_key=("source", "record_id"),
    event_date=None,
    person_feed=True,
    columns=COHORT_COLUMNS,
)

COHORT_AGREEMENT = SharingAgreement.model_validate(
    {
        "agreement_id": "VRU-COHORT",
        "feed": COHORT_FEED,
        "version": 1,
        "title": "Cohort list linked by the VRU on pseudonymised data",
        "parties": {
            "provider": {"name": "Violence Reduction Unit", "role": "controller", "contact": "vru-data@example"},
            "recipient": {"name": "Violence Reduction Unit", "role": "controller", "contact": "vru-data@example"},
        },
        "purpose": "Link a cohort list to the person index for an evaluation, on pseudonymised data only.",
        "lawful_basis": ["UK GDPR Art 6(1)(e) public task"],
        "valid_from": "2026-01-01",
        "review_date": "2099-12-31",
        "expires": "2099-12-31",
        "retention": {"identifiable_originals_days": 1},
        "output_tiers": ["L3"],
        "fields": {
            # record_id stays the analyst's own id; inside the linkage it is only part of the record key token.
            "record_id": {"treatment": "drop"},
            "source": {"treatment": "keep"},
            "forenames": {"treatment": "pseudonymise"},
            "surname": {"treatment": "pseudonymise"},
            "date_of_birth": {"treatment": "coarsen", "to": "year_month", "link_tokens": True},
            "sex": {"treatment": "keep"},
            "postcode": {"treatment": "coarsen", "to": "lsoa", "link_token": True},
            "nhs_number": {"treatment": "pseudonymise"},
            "upn": {"treatment": "pseudonymise"},
            "pnc_id": {"treatment": "pseudonymise"},
            "crn": {"treatment": "pseudonymise"},
            "other_id": {"treatment": "pseudonymise"},
        },
    }
)


@dataclass(frozen=True)
class CohortFile:
    """A read cohort list: canonical text columns plus ``_row_number`` (cleartext: keep in memory only), and
    the optional identifier columns it had."""

    frame: pl.DataFrame
    optional_columns: tuple[str, ...]
    ignored_columns: tuple[str, ...]


@dataclass(frozen=True)
class PseudonymisedCohort:
    """``records``: ``COHORT_SCHEMA`` rows, in file order, for the rows that passed validation.
    ``problems``: plain-English row problems (line numbers and rules, never values)."""

    records: pl.DataFrame
    rows_read: int
    rows_rejected: int
    values_removed: int
    problems: tuple[str, ...]


def read_cohort(path: Path) -> CohortFile:
    """Read a cohort CSV (UTF-8, with or without BOM) as text. Raises ``CohortFileError`` with what to fix."""
    if not path.is_file():
        raise CohortFileError(f"{path} does not exist or is not a file")
    raw = path.read_bytes()
    if not raw.strip():
        raise CohortFileError(f"{path} is empty: expected a CSV with a header row ({', '.join(REQUIRED_HEADERS)})")
    try:
        frame = pl.read_csv(io.BytesIO(raw), infer_schema=False, encoding="utf8-lossy", truncate_ragged_lines=False)
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError) as error:
        raise CohortFileError(f"{path} is not a readable CSV file: {str(error).splitlines()[0]}") from None
    wanted = {header_key(name): name for name in (*REQUIRED_HEADERS, *OPTIONAL_HEADERS)}
    mapping: dict[str, str] = {}
    ignored: list[str] = []
    for header in frame.columns:
        canonical = wanted.get(header_key(header))
        if canonical is None or canonical in mapping.values():
            ignored.append(header)
        else:
            mapping[header] = canonical
    missing = [name for name in REQUIRED_HEADERS if name not in mapping.values()]
    if missing:
        raise CohortFileError(
            f"{path.name} lacks the column(s) {', '.join(missing)}. A cohort list needs the columns "
            f"{', '.join(REQUIRED_HEADERS)}, and may add any of {', '.join(OPTIONAL_HEADERS)}."
        )
    if frame.height == 0:
        raise CohortFileError(f"{path.name} has a header but no rows")
    canonical = frame.select([pl.col(h).alias(c) for h, c in mapping.items()]).with_row_index(ROW_NUMBER, offset=1)
    canonical = canonical.with_columns(pl.col(ROW_NUMBER).cast(pl.Int64))
    optional = tuple(name for name in OPTIONAL_HEADERS if name in mapping.values())
    return CohortFile(frame=canonical, optional_columns=optional, ignored_columns=tuple(ignored))


def pseudonymise_cohort(
    cohort: CohortFile, key: PseudonymisationKey, postcode_lookup: pl.DataFrame | None = None
) -> PseudonymisedCohort:
    """Validate and pseudonymise a cohort list as ingestion would (see module docstring).

    ``postcode_lookup``: the lake's token-keyed postcode-to-LSOA lookup (``ingestors.context``); without it the
    LSOA is null but the postcode token is still made. Rows failing a required check are left out and reported;
    an invalid optional identifier is removed from its row and reported. Raises ``CohortFileError`` when no row
    is usable or a ``record_id`` repeats.
    """
    from ingestors.context import POSTCODE_LOOKUP_SCHEMA
    from ingestors.validate import validate
    from privacy.protect import protect

    frame = cohort.frame
    repeated = frame.filter(pl.col("record_id").is_duplicated() & pl.col("record_id").is_not_null())
    if repeated.height:
        lines = ", ".join(str(n + 1) for n in repeated.get_column(ROW_NUMBER).head(MAX_PROBLEMS_SHOWN).to_list())
        raise CohortFileError(f"record_id must be unique: repeated on line(s) {lines}")
    result = validate(frame, COHORT_CONTRACT)
    problems = tuple(
        f"line {row + 1}, {column}: {message}" + (" (row left out)" if action == "row_rejected" else " (value ignored)")
        for row, column, message, action in result.issues.select(ROW_NUMBER, "column", "message", "action").iter_rows()
    )
    if result.valid.height == 0:
        shown = "\n".join(problems[:MAX_PROBLEMS_SHOWN])
        raise CohortFileError(f"no row of the list can be linked:\n{shown}")
    lookup = postcode_lookup if postcode_lookup is not None else pl.DataFrame(schema=POSTCODE_LOOKUP_SCHEMA)
    lineage = {
        "_delivery_id": "cohort",
        "_source_file": "cohort",
        "_period": None,
        "_ingested_at": dt.datetime.now(dt.UTC),
        "_contract_version": COHORT_CONTRACT.version,
        "_agreement_version": COHORT_AGREEMENT.version,
    }
    valid = result.valid
    # Every optional identifier column exists for protect (as nulls when the list lacks it).
    for column in COHORT_COLUMNS:
        if column.name not in valid.columns:
            valid = valid.with_columns(pl.lit(None, dtype=pl.String).alias(column.name))
    protected = protect(valid, COHORT_CONTRACT, COHORT_AGREEMENT, key, lookup, lineage)
    ids = result.valid.select(ROW_NUMBER, "record_id")
    records = conform_records(protected, source_feed=COHORT_FEED).with_columns(
        protected.get_column("source").alias("source"), protected.get_column(ROW_NUMBER).alias("_line")
    )
    records = records.join(ids.rename({ROW_NUMBER: "_line"}), on="_line", how="left", maintain_order="left")
    return PseudonymisedCohort(
        records=records.select(list(COHORT_SCHEMA)),
        rows_read=frame.height,
        rows_rejected=result.rows_rejected,
        values_removed=result.issues.filter(pl.col("action") == "value_removed").height,
        problems=problems,
    )
