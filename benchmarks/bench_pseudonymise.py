"""Benchmark the pseudonymisation primitives on synthetic rows.

Generates N rows (default 5,000,000) of NHS number, surname, forenames, date of birth (text, dd/mm/yyyy)
and postcode with realistic formatting noise, then times each stage of what ingestion does:

1. parse dates of birth (explicit format)
2. tokenise NHS number and postcode (normalise + validate + keyed HMAC, once per distinct value)
3. Bloom-encode surname and forenames
4. date-of-birth component tokens

and prints seconds and rows/s per stage, the total, and memory (RSS now and peak). A random key is generated
per run, so no configuration is needed and nothing secret is printed.

    uv run python benchmarks/bench_pseudonymise.py --rows 1000000
"""

from __future__ import annotations

import argparse
import resource
import secrets
import time
from collections.abc import Callable

import numpy as np
import polars as pl
import psutil

from privacy import PseudonymisationKey, bloom_encode, dob_tokens, parse_date, tokenise

SYLLABLES = [
    "AB",
    "AL",
    "AN",
    "AR",
    "BA",
    "BE",
    "BRO",
    "CA",
    "CH",
    "CO",
    "DA",
    "DE",
    "DON",
    "EL",
    "EN",
    "ER",
    "FI",
    "GA",
    "HA",
    "HU",
    "IN",
    "JO",
    "KA",
    "KO",
    "LA",
    "LE",
    "LI",
    "MA",
    "MC",
    "ME",
    "MO",
    "NA",
    "NE",
    "NI",
    "OR",
    "PA",
    "PE",
    "RA",
    "RI",
    "RO",
    "SA",
    "SH",
    "SON",
    "ST",
    "TA",
    "TH",
    "TO",
    "WA",
    "WI",
    "ZA",
]
FORENAMES = [
    "Oliver",
    "George",
    "Noah",
    "Muhammad",
    "Leo",
    "Harry",
    "Oscar",
    "Archie",
    "Jack",
    "Charlie",
    "Olivia",
    "Amelia",
    "Isla",
    "Ava",
    "Ivy",
    "Freya",
    "Lily",
    "Florence",
    "Mia",
    "Willow",
    "Zoë",
    "Chloé",
    "José",
    "Seán",
    "Siobhán",
    "Aaliyah",
    "Kai",
    "Reuben",
    "Mary-Jane",
    "D'Andre",
    "Aleksander",
    "Wiktoria",
]
OUTWARD = ["B1", "B33", "M1", "M14", "L8", "LS6", "SW1A", "E1", "N17", "CF10", "NE1", "BS5", "NG7", "S1"]
LETTERS = list("ABDEFGHJLNPQRSTUWXYZ")  # valid inward-code letters


def pick(rng: np.random.Generator, values: list[str], n: int) -> pl.Series:
    return pl.Series(values, dtype=pl.String).gather(rng.integers(0, len(values), n))


def build_frame(n: int, seed: int) -> pl.DataFrame:
    """Synthetic identifiers with formatting noise, generated column-wise (no per-row Python).

    NHS numbers: random bodies with a computed check digit; ~9% have no valid check digit and are left
    missing; 30% written ``943 476 5919``. Surnames: 2-3 random syllables (~230k distinct in 1M rows),
    half in title case. Forenames: a list with accents, hyphens and apostrophes. Dates of birth 1940-2014
    as ``dd/mm/yyyy`` text. Postcodes: real outward codes, half without the space.
    """
    rng = np.random.default_rng(seed)
    body = rng.integers(0, 10, size=(n, 9))
    check = 11 - (body * np.arange(10, 1, -1)).sum(axis=1) % 11
    check = np.where(check == 11, 0, check)
    digits = (np.concatenate([body, check[:, None] % 10], axis=1) + ord("0")).astype(np.uint8)
    nhs = pl.Series(digits.view("S10").ravel().astype("U10"))
    surname_parts = [pick(rng, SYLLABLES, n) for _ in range(3)]
    frame = pl.DataFrame(
        {
            "nhs": nhs,
            "nhs_ok": check != 10,
            "nhs_spaced": rng.random(n) < 0.3,
            "s1": surname_parts[0],
            "s2": surname_parts[1],
            "s3": surname_parts[2],
            "three": rng.random(n) < 0.6,
            "title_case": rng.random(n) < 0.5,
            "forenames": pick(rng, FORENAMES, n),
            "dob": pl.Series(
                np.datetime64("1940-01-01") + rng.integers(0, 75 * 365, n).astype("timedelta64[D]")
            ),
            "outward": pick(rng, OUTWARD, n),
            "space": pl.Series(np.where(rng.random(n) < 0.5, " ", "")),
            "digit": pl.Series(rng.integers(0, 10, n)).cast(pl.String),
            "l1": pick(rng, LETTERS, n),
            "l2": pick(rng, LETTERS, n),
        }
    )
    nhs_col = pl.col("nhs")
    spaced = pl.concat_str(
        [nhs_col.str.slice(0, 3), nhs_col.str.slice(3, 3), nhs_col.str.slice(6)], separator=" "
    )
    surname = pl.concat_str(["s1", "s2", pl.when("three").then("s3").otherwise(pl.lit(""))])
    return frame.select(
        pl.when("nhs_ok").then(pl.when("nhs_spaced").then(spaced).otherwise(nhs_col)).alias("nhs_number"),
        pl.when("title_case").then(surname.str.to_titlecase()).otherwise(surname).alias("surname"),
        "forenames",
        pl.col("dob").dt.strftime("%d/%m/%Y").alias("date_of_birth"),
        pl.concat_str(["outward", "space", "digit", "l1", "l2"]).alias("postcode"),
    )


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def rss_mib() -> float:
    return psutil.Process().memory_info().rss / 2**20


def timed(label: str, rows: int, step: Callable[[], pl.DataFrame]) -> tuple[pl.DataFrame, float]:
    start = time.perf_counter()
    result = step()
    seconds = time.perf_counter() - start
    print(f"{label:<38}{seconds:8.2f} s {rows / seconds:12,.0f} rows/s   RSS {rss_mib():7,.0f} MiB")
    return result, seconds


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--seed", type=int, default=20261121)
    args = parser.parse_args()

    key = PseudonymisationKey(secrets.token_bytes(32), source="benchmark (random, discarded)")
    start = time.perf_counter()
    df = build_frame(args.rows, args.seed)
    print(
        f"generated {df.height:,} rows in {time.perf_counter() - start:.1f} s; RSS {rss_mib():,.0f} MiB; "
        f"distinct surnames {df['surname'].n_unique():,}, forenames {df['forenames'].n_unique():,}"
    )

    n = df.height
    total = 0.0
    df, t = timed(
        "1. parse date of birth",
        n,
        lambda: df.with_columns(parse_date(pl.col("date_of_birth"), ["%d/%m/%Y"])),
    )
    total += t
    df, t = timed(
        "2. tokenise NHS number + postcode",
        n,
        lambda: tokenise(df, {"nhs_number": "nhs_number", "postcode": "postcode"}, key),
    )
    total += t
    df, t = timed(
        "3. Bloom surname + forenames",
        n,
        lambda: bloom_encode(df, {"surname": "surname", "forenames": "forenames"}, key),
    )
    total += t
    df, t = timed("4. date-of-birth tokens", n, lambda: dob_tokens(df, "date_of_birth", key))
    total += t

    print(f"{'total (all stages)':<38}{total:8.2f} s {n / total:12,.0f} rows/s")
    print(f"peak RSS {peak_rss_mib():,.0f} MiB; output columns: {', '.join(df.columns)}")
    print(
        f"null tokens: nhs {df['nhs_number_token'].null_count():,}, postcode {df['postcode_token'].null_count():,}"
    )


if __name__ == "__main__":
    main()
