"""Ingest + validate + pseudonymise throughput and peak memory on one large partner file, against the lower bound.

    .venv/bin/python benchmarks/bench_ingest.py --rows 5000000 [--feed police_nominals]

Generates a police nominals CSV of the requested size (realistic, valid rows with identifiers to pseudonymise),
then, in separate child processes so each peak RSS is its own: (1) the lower bound, DuckDB reading the raw file and
writing Parquet; (2) vrlake ingesting the same file into a temporary lake. Prints seconds, rows/s, MB/s, peak RSS and
the ratio of vrlake's throughput to the lower bound, and writes the figures as JSON.
"""
# Run as a script from the repository root; the stages import the project's packages.

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HEADER = "OccurrenceRef,NominalID,Role,Surname,Forenames,DOB,Sex,HomePostcode,PNCID,GangMarker\n"
SURNAMES = np.array(["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Khan",
                     "O'Brien", "Featherstone-Haugh", "Nowak", "Okafor", "Murphy", "Evans", "Thomas", "Roberts"])
FORENAMES = np.array(["Jack", "Olivia", "Noah", "Amelia", "Leo", "Isla", "Oscar", "Ava", "Mohammed", "Chloé", "Seán",
                      "Zoë", "Harry", "Freya", "Aisha", "Kacper", "Tyler", "Mia"])
ROLES = np.array(["Victim", "Suspect", "Offender", "Witness", "Missing Person"])
POSTCODES = np.array(["LS1 4AP", "LS2 7EW", "LS6 3QN", "LS9 8AB", "LS11 5DG", "LS14 1AA"])


def write_file(path: Path, rows: int, seed: int = 1, chunk: int = 500_000) -> None:
    rng = np.random.default_rng(seed)
    with path.open("w", encoding="utf-8") as handle:
        handle.write(HEADER)
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            ids = np.arange(start, start + n)
            days = rng.integers(1, 29, n)
            months = rng.integers(1, 13, n)
            years = rng.integers(1950, 2015, n)
            lines = (
                np.char.add(np.char.add("43/", np.char.zfill(((ids // 4) % 1_000_000).astype(str), 6)), "/26,N")
            )
            parts = [
                lines,
                ids.astype(str),
                np.full(n, ","),
                rng.choice(ROLES, n),
                np.full(n, ","),
                rng.choice(SURNAMES, n),
                np.full(n, ","),
                rng.choice(FORENAMES, n),
                np.full(n, ","),
                np.char.zfill(days.astype(str), 2),
                np.full(n, "/"),
                np.char.zfill(months.astype(str), 2),
                np.full(n, "/"),
                years.astype(str),
                np.full(n, ","),
                rng.choice(np.array(["M", "F"]), n),
                np.full(n, ","),
                rng.choice(POSTCODES, n),
                np.full(n, ",,N\n"),
            ]
            text = parts[0]
            for part in parts[1:]:
                text = np.char.add(text, part)
            handle.write("".join(text.tolist()))


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def stage_duckdb_lower_bound(path: Path, work: Path) -> dict:
    import duckdb

    started = time.perf_counter()
    connection = duckdb.connect()
    connection.execute("SET threads = 2")
    connection.read_csv(str(path), header=True, all_varchar=True).write_parquet(str(work / "out.parquet"))
    return {"seconds": time.perf_counter() - started, "peak_rss_mb": _peak_rss_mb()}


def stage_vrlake_ingest(path: Path, work: Path) -> dict:
    from ingestors.ingest import IngestContext, ingest_file
    from ingestors.lake_init import initialise_lake
    from privacy.keys import PseudonymisationKey
    from storage import StorageSettings, open_store
    from tests.ingestion_helpers import POSTCODES as LOOKUP

    store = open_store(StorageSettings(home=work / "home"))
    initialise_lake(store)
    store.upload_file("landing", "police/police_nominals_2026-10.csv", path)
    key = PseudonymisationKey(b"benchmark-key-not-secret-0123456789abcdef", source="benchmark")
    context = IngestContext(store=store, keys=key, postcode_lookup=LOOKUP, run_id="bench")
    started = time.perf_counter()
    outcome = ingest_file(context, "police/police_nominals_2026-10.csv")
    return {
        "seconds": time.perf_counter() - started,
        "peak_rss_mb": _peak_rss_mb(),
        "rows_loaded": outcome.record.rows_loaded,
        "rows_rejected": outcome.record.rows_rejected,
        "status": outcome.status.value,
    }


STAGES = {"duckdb": stage_duckdb_lower_bound, "vrlake": stage_vrlake_ingest}


def _run(stage: str, path: Path, work: Path) -> dict:
    """Each stage in a fresh interpreter, so each peak RSS is its own."""
    done = subprocess.run(
        [sys.executable, __file__, "--stage", stage, "--file", str(path), "--work", str(work)],
        capture_output=True, text=True, check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"stage {stage} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(rows: int, out_json: Path | None = None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "police_nominals_2026-10.csv"
        write_file(path, rows)
        size_mb = path.stat().st_size / 1e6
        baseline = _run("duckdb", path, Path(tmp))
        vrlake = _run("vrlake", path, Path(tmp))
    figures = {
        "rows": rows,
        "file_mb": round(size_mb, 1),
        "baseline_duckdb_csv_to_parquet": baseline,
        "vrlake_ingest_validate_pseudonymise": vrlake,
        "throughput_ratio_vs_baseline": round(baseline["seconds"] / vrlake["seconds"], 3),
    }
    for name in ("baseline_duckdb_csv_to_parquet", "vrlake_ingest_validate_pseudonymise"):
        stage = figures[name]
        stage["rows_per_s"] = round(rows / stage["seconds"])
        stage["mb_per_s"] = round(size_mb / stage["seconds"], 1)
    if out_json:
        out_json.write_text(json.dumps(figures, indent=2))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--stage", choices=sorted(STAGES), help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        print(json.dumps(STAGES[args.stage](args.file, args.work)))
        return
    print(json.dumps(run(args.rows, args.json), indent=2))


if __name__ == "__main__":
    main()
