"""Scan files for raw identifier values: the test that identifiers never leave the identifiable zones.

`scan_paths` reads every byte of every file it is given, opening the formats whose bytes hide text (Parquet pages
are compressed, XLSX is a zip, DuckDB stores columns in its own blocks) and reading everything else as text, and
reports each place where a known identifier value appears. It reports the kind of identifier and where, never the
value itself, so its output is safe to log.

Matching is by candidate extraction, not substring search: text is cut into the shapes identifiers have (10-digit
runs for NHS numbers, UPN/PNC/CRN/postcode/date patterns, capitalised words for names) and each candidate is looked
up in a set. That keeps the scan linear and avoids false alarms such as a short name inside a hex token.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

CANDIDATE_PATTERNS: dict[str, re.Pattern[str]] = {
    "nhs_number": re.compile(r"(?<!\d)\d{3} ?\d{3} ?\d{4}(?!\d)"),
    "upn": re.compile(r"(?<![A-Z0-9])[A-Z]\d{11}[0-9A-Z](?![A-Z0-9])"),
    "pnc_id": re.compile(r"(?<![0-9/])\d{2,4}/\d{1,7}[A-Z](?![A-Z])"),
    "crn": re.compile(r"(?<![A-Za-z0-9])[A-Z]\d{6}(?![0-9])"),
    "postcode": re.compile(r"(?<![A-Z0-9])[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}(?![A-Z])"),
    "date_of_birth": re.compile(r"(?<!\d)(?:\d{4}-\d{2}-\d{2}|\d{2}/\d{2}/\d{4})(?!\d)"),
    "name": re.compile(r"[A-ZÀ-Þ][A-Za-zÀ-ÿ']{3,}"),
}
TEXT_CHUNK_BYTES = 16 * 1024 * 1024


@dataclass
class Needles:
    """Identifier values to look for, per kind, already in every written form the scan compares."""

    values: dict[str, set[str]] = field(default_factory=dict)

    def add(self, kind: str, forms: Iterable[str]) -> None:
        self.values.setdefault(kind, set()).update(f for f in forms if f)

    def count(self) -> int:
        return sum(len(v) for v in self.values.values())

    def canonical(self, kind: str, candidate: str) -> str:
        return candidate.replace(" ", "") if kind in ("nhs_number", "postcode") else candidate


@dataclass(frozen=True)
class Finding:
    """An identifier found outside the identifiable zones (kind and place only, never the value)."""

    path: str
    kind: str
    where: str

    def __str__(self) -> str:
        return f"{self.kind} in {self.path} ({self.where})"


def scan_text(text: str, needles: Needles) -> Iterator[str]:
    """Kinds of identifier present in `text` (one entry per hit)."""
    for kind, pattern in CANDIDATE_PATTERNS.items():
        wanted = needles.values.get(kind)
        if not wanted:
            continue
        for match in pattern.finditer(text):
            if needles.canonical(kind, match.group(0)) in wanted:
                yield kind


def scan_paths(paths: Iterable[Path], needles: Needles, *, root: Path | None = None) -> list[Finding]:
    """Every finding in the given files (folders are walked recursively)."""
    findings: list[Finding] = []
    for path in _files(paths):
        shown = str(path.relative_to(root)) if root and path.is_relative_to(root) else str(path)
        for kind, where in _scan_file(path, needles):
            findings.append(Finding(shown, kind, where))
    return findings


def _files(paths: Iterable[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and not p.is_symlink())
        elif path.is_file():
            yield path


def _scan_file(path: Path, needles: Needles) -> Iterator[tuple[str, str]]:
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        yield from ((k, "parquet values") for k in _scan_arrow(pq.read_table(path), needles))
    elif suffix == ".duckdb":
        yield from _scan_duckdb(path, needles)
    elif suffix in (".xlsx", ".zip") and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                text = archive.read(member).decode("utf-8", errors="ignore")
                yield from ((k, f"zip member {member}") for k in scan_text(text, needles))
    # Every file is also read as raw bytes: a Parquet footer, a DuckDB block or a zip comment could hold text too.
    with path.open("rb") as handle:
        while chunk := handle.read(TEXT_CHUNK_BYTES):
            yield from ((k, "raw bytes") for k in scan_text(chunk.decode("utf-8", errors="ignore"), needles))


def _scan_arrow(table: pa.Table, needles: Needles) -> Iterator[str]:
    for column in table.flatten().columns:
        values = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
        if pa.types.is_struct(values.type):
            yield from _scan_arrow(pa.Table.from_arrays(values.flatten(), names=[f.name for f in values.type]), needles)
            continue
        if pa.types.is_binary(values.type) or pa.types.is_large_binary(values.type):
            texts = (v.decode("utf-8", errors="ignore") for v in values.to_pylist() if v is not None)
        else:
            texts = (str(v) for v in values.to_pylist() if v is not None)
        yield from scan_text("\n".join(texts), needles)


def _scan_duckdb(path: Path, needles: Needles) -> Iterator[tuple[str, str]]:
    import duckdb

    connection = duckdb.connect(str(path), read_only=True)
    try:
        tables = connection.sql(
            "select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE'"
        ).fetchall()
        for schema, name in tables:
            relation = connection.sql(f'select * from "{schema}"."{name}"')  # names from the catalogue itself
            for kind in _scan_arrow(relation.fetch_arrow_table(), needles):
                yield kind, f"warehouse table {schema}.{name}"
    finally:
        connection.close()


def needles_from_values(values: Mapping[str, Iterable[str | None]], *, ignore_words: set[str] = frozenset()) -> Needles:
    """Needles from raw identifier values by kind (as partners delivered them), in every form a leak could take.

    Names are split into words and kept in their delivered and upper-case forms; words of under four letters and
    `ignore_words` (words vrlake's own code and documents use, e.g. "May" in a month name) are left out, because
    their appearance would not show a leak.
    """
    needles = Needles()
    for kind, raw_values in values.items():
        for raw in raw_values:
            if raw is None or not str(raw).strip():
                continue
            value = str(raw).strip()
            if kind == "name":
                for word in re.split(r"[\s\-]+", value):
                    word = word.strip("'.,")
                    if len(word) >= 4 and word not in ignore_words and word.upper() not in ignore_words:
                        needles.add("name", {word, word.upper(), strip_accents(word).upper(), word.capitalize()})
            elif kind == "nhs_number":
                needles.add(kind, {re.sub(r"\D", "", value)})
            elif kind == "postcode":
                needles.add(kind, {value.upper().replace(" ", "")})
            elif kind == "date_of_birth":
                needles.add(kind, _date_forms(value))
            else:
                needles.add(kind, {value.upper()})
    return needles


def strip_accents(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def _date_forms(value: str) -> set[str]:
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", value[:10]) or None
    if match:
        year, month, day = match.groups()
    else:
        parts = re.fullmatch(r"(\d{2})/(\d{2})/(\d{4})", value)
        if not parts:
            return set()
        day, month, year = parts.groups()
    return {f"{year}-{month}-{day}", f"{day}/{month}/{year}"}


def identifier_shaped_cells(frame: "pl.DataFrame") -> dict[str, int]:
    """Text cells that *are* an identifier (a valid NHS number, UPN or PNC ID, or a full postcode), per column.

    Needs no list of known values, so it can run as a routine check on every lake table: pseudonymised columns hold
    32-character hex tokens and coarsened ones LSOA codes or year-months, none of which has these shapes.
    """
    import polars as pl

    from privacy.identifiers import is_valid_nhs_number, is_valid_pnc_id, is_valid_postcode, is_valid_upn

    found: dict[str, int] = {}
    for name, dtype in frame.schema.items():
        if dtype != pl.String:
            continue
        value = pl.col(name).str.strip_chars()
        shaped = (
            (value.str.contains(r"^\d{3} ?\d{3} ?\d{4}$") & is_valid_nhs_number(value))
            | (value.str.contains(r"^[A-Z]\d{11}[0-9A-Z]$") & is_valid_upn(value))
            | (value.str.contains(r"^\d{2,4}/\d{1,7}[A-Z]$") & is_valid_pnc_id(value))
            | (value.str.contains(r"^[A-Za-z]{1,2}\d[A-Za-z\d]? ?\d[A-Za-z]{2}$") & is_valid_postcode(value))
        )
        count = frame.select(shaped.fill_null(False).sum()).item()
        if count:
            found[name] = int(count)
    return found
