"""Apply a data-sharing agreement to validated rows: the only road from a partner's file into the lake.

Treatments, per agreed field (fields outside the agreement were already dropped by ingestion):
- keep: the typed value;
- pseudonymise: `<field>_token` (keyed HMAC of the normalised value); names also get `<field>_bloom` (keyed Bloom
  filter of bigrams, for fuzzy linkage). Forenames and surnames share one token/encoding kind, so a
  forename/surname swap can still be matched by comparing across the two columns;
- coarsen `to: year_month` (date of birth): `birth_year_month`, plus keyed component tokens `dob_token`,
  `dob_swapped_token`, `dob_year_month_token`, `dob_month_day_token` when the agreement allows `link_tokens`;
- coarsen `to: lsoa` (postcode): `<field>_lsoa` through the postcode lookup, plus `<field>_token` when the agreement
  allows `link_token`.

Guarantee: the returned frame contains no column holding a direct identifier or a full date of birth or postcode:
`protect` fails (rather than writing) if any identifying source column survives.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping

import polars as pl

from ingestors.contract import ColumnClass, FeedContract
from privacy.agreement import SharingAgreement, Treatment
from privacy.bloom import bloom_encode
from privacy.dob import dob_columns, dob_tokens
from privacy.keys import PseudonymisationKey
from privacy.tokens import POSTCODE, tokenise

KeyRing = PseudonymisationKey  # the master key; purpose keys are derived from it inside each encoder
NAME_KIND = "name"
RECORD_KEY_KIND = "record_key"
RECORD_KEY = "_record_key"
ROW_NUMBER = "_row_number"
BIRTH_YEAR_MONTH = "birth_year_month"
LINEAGE_SCHEMA: dict[str, pl.DataType] = {
    RECORD_KEY: pl.String(),
    "_delivery_id": pl.String(),
    "_source_file": pl.String(),
    ROW_NUMBER: pl.Int64(),
    "_period": pl.String(),
    "_ingested_at": pl.Datetime("us", "UTC"),
    "_contract_version": pl.Int32(),
    "_agreement_version": pl.Int32(),
}


class IdentifierLeak(RuntimeError):
    """An identifying column would have reached the lake. Raised instead of writing."""


def protect(
    valid: pl.DataFrame,
    contract: FeedContract,
    agreement: SharingAgreement,
    key: PseudonymisationKey,
    postcode_lookup: pl.DataFrame | None,
    lineage: Mapping[str, object],
) -> pl.DataFrame:
    """The lake-ready frame for validated rows: treatments applied, record key and lineage columns added.

    With `postcode_lookup=None` (a partner preparing a file with `vrlake prepare`, who has no lookup) postcodes are
    left as their keyed tokens `<field>_token`; `coarsen_postcode_tokens` finishes the job at the VRU.
    """
    frame = valid.with_columns(_record_key_source(contract).alias(RECORD_KEY))
    frame = tokenise(frame, {RECORD_KEY: RECORD_KEY_KIND}, key, null_invalid=False).rename(
        {f"{RECORD_KEY}_token": RECORD_KEY}
    )
    for name, rule in agreement.fields.items():
        if name not in frame.columns:
            continue
        column = contract.column(name)
        if rule.treatment is Treatment.PSEUDONYMISE:
            if column.identifier == NAME_KIND:
                frame = bloom_encode(frame, {name: NAME_KIND}, key, drop_source=False)
                frame = tokenise(frame, {name: NAME_KIND}, key)
            else:
                frame = tokenise(frame, {name: column.identifier or "reference"}, key)
        elif rule.treatment is Treatment.COARSEN and rule.to == "year_month":
            frame = _coarsen_date_of_birth(frame, name, key, with_tokens=rule.link_tokens)
        elif rule.treatment is Treatment.COARSEN and rule.to == "lsoa":
            frame = tokenise(frame, {name: POSTCODE}, key)
            if postcode_lookup is not None:
                frame = _lsoa_from_token(frame, name, postcode_lookup, keep_token=rule.link_token)
        elif rule.treatment is Treatment.DROP:
            frame = frame.drop(name)
    _refuse_identifiers(frame, contract)
    stamped = frame.with_columns(
        pl.lit(value, dtype=LINEAGE_SCHEMA[column]).alias(column) for column, value in lineage.items()
    )
    ordered = [c for c in LINEAGE_SCHEMA if c in stamped.columns]
    return stamped.select(*ordered, *[c for c in stamped.columns if c not in LINEAGE_SCHEMA])


_SCHEMAS: dict[tuple[str, int, str, int], dict[str, pl.DataType]] = {}


def bronze_schema(contract: FeedContract, agreement: SharingAgreement) -> dict[str, pl.DataType]:
    """The bronze table schema for a feed, derived by protecting an empty frame (so it cannot drift).

    Cached per (feed, contract version, agreement, agreement version): both are immutable once versioned.
    """
    cache_key = (contract.feed, contract.version, agreement.agreement_id, agreement.version)
    if cache_key not in _SCHEMAS:
        _SCHEMAS[cache_key] = _derive_bronze_schema(contract, agreement)
    return dict(_SCHEMAS[cache_key])


def _derive_bronze_schema(contract: FeedContract, agreement: SharingAgreement) -> dict[str, pl.DataType]:
    from ingestors.validate import typed_empty_frame  # the contract's typed columns

    throwaway = PseudonymisationKey(secrets.token_bytes(32), source="schema derivation (no data)")
    empty = typed_empty_frame(contract).select(
        ROW_NUMBER, *[c for c in agreement.shared_fields if c in {col.name for col in contract.columns}]
    )
    lineage = {c: None for c in LINEAGE_SCHEMA if c not in (RECORD_KEY, ROW_NUMBER)}
    lookup = pl.DataFrame(schema={"postcode_token": pl.String, "lsoa_code": pl.String})
    return dict(protect(empty, contract, agreement, throwaway, lookup, lineage).schema)


def _record_key_source(contract: FeedContract) -> pl.Expr:
    # The feed name is part of the message so equal natural keys in two feeds get different record keys.
    parts = [pl.lit(contract.feed)] + [pl.col(k).cast(pl.String).fill_null("") for k in contract.record_key]
    return pl.concat_str(parts, separator="|")


def coarsen_postcode_tokens(
    frame: pl.DataFrame, contract: FeedContract, agreement: SharingAgreement, lookup: pl.DataFrame
) -> pl.DataFrame:
    """Finish a prepared file: postcode tokens -> `<field>_lsoa` (tokens kept only where the agreement says)."""
    for name, rule in agreement.fields.items():
        if rule.treatment is Treatment.COARSEN and rule.to == "lsoa" and f"{name}_token" in frame.columns:
            frame = _lsoa_from_token(frame, name, lookup, keep_token=rule.link_token)
    return frame


def _lsoa_from_token(frame: pl.DataFrame, name: str, lookup: pl.DataFrame, *, keep_token: bool) -> pl.DataFrame:
    """`<name>_lsoa` by joining the postcode's keyed token to the token-keyed lookup (no postcode in the lake)."""
    token = f"{name}_token"
    areas = lookup.select(pl.col("postcode_token").alias(token), pl.col("lsoa_code").alias(f"{name}_lsoa"))
    frame = frame.join(areas.unique(token), on=token, how="left", maintain_order="left")
    return frame if keep_token else frame.drop(token)


def _coarsen_date_of_birth(frame: pl.DataFrame, name: str, key: PseudonymisationKey, *, with_tokens: bool) -> pl.DataFrame:
    if with_tokens:
        names = dob_columns("dob")
        return dob_tokens(frame, name, key, prefix="dob").rename({names["year_month"]: BIRTH_YEAR_MONTH})
    return frame.with_columns(pl.col(name).dt.strftime("%Y-%m").alias(BIRTH_YEAR_MONTH)).drop(name)


def _refuse_identifiers(frame: pl.DataFrame, contract: FeedContract) -> None:
    identifying = {
        c.name
        for c in contract.columns
        if c.column_class is ColumnClass.DIRECT_IDENTIFIER or c.identifier in ("date_of_birth", "postcode", "name")
    }
    leaked = sorted(identifying & set(frame.columns))
    if leaked:
        raise IdentifierLeak(
            f"{contract.feed}: column(s) {', '.join(leaked)} would reach the lake in clear; the agreement must "
            "pseudonymise, coarsen or drop them"
        )



