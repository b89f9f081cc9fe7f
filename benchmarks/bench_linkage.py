"""Benchmark cross-agency linkage: quality and cost on pseudonymised records vs Splink on the same records in clear.

One run:

1. generates a synthetic area (``--people``; 20,000 is the demo size, about 2,950,000 people give 1M person
   records) and ingests every person feed through the real ingestion into a temporary lake, so the pseudonymised
   arm links exactly what bronze holds (reused on a second run with the same ``--workdir``);
2. **pseudonymised arm** (a subprocess): the bronze person records -> train (EM) -> score -> cluster -> keys;
3. **cleartext arm** (a subprocess): the *same rows* read from the synthetic partner files with ingestion's own
   reader, header mapping and validation, normalised exactly as the tokens were (so blocking on a cleartext value
   equals blocking on its token), then the same training, blocking, scoring and clustering. The models are
   equivalent: identical comparisons, levels, EM sessions, floors and threshold, except that names are compared
   with Jaro-Winkler on the cleartext instead of Dice on keyed Bloom filters (and word containment instead of
   Bloom-filter containment);
4. reports, per arm: F1, precision, recall, false merges, largest cluster, blocked comparisons, training and
   linking time, peak memory (sampled RSS during training and linking, and the process peak), and the ratios.

Targets (issue 5): pseudonymised F1 >= 0.99 with precision >= 0.995; within 0.01 F1 of cleartext; linking time
<= 2x cleartext. Cleartext exists only in the cleartext arm's memory (synthetic people); nothing is written but
the lake (pseudonymised) and the report (counts and rates).

    uv run python benchmarks/bench_linkage.py --people 20000
    uv run python benchmarks/bench_linkage.py --people 2950000 --workdir /tmp/vrlake-bench-linkage-1m
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Self

import polars as pl
import psutil

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(REPO))

from linkage.model import SWAP_LABEL
from linkage.records import PERSON_FEEDS, conform_records, latest_per_record

BENCH_KEY_HEX = "9c1f3a5e7b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a2c4e6b8d0f1a3c5e7b9d2f4a"
"""A pseudonymisation key for synthetic benchmark data only (published here, so it protects nothing)."""
TODAY = dt.date(2026, 11, 1)
READY_MARKER = "lake-ready.json"


# --- preparation: synthetic area and its lake ---------------------------------------------------------------


def prepare(
    people: int, seed: int, workdir: Path, synth: tuple[Path, Path] | None = None
) -> dict[str, Any]:
    """Synthetic files, truth and an ingested lake under ``workdir`` (reused when already prepared).

    ``synth``: an existing ``vrlake synth`` output folder and truth file for these people and seed, to ingest
    instead of generating again.
    """
    marker = workdir / READY_MARKER
    if marker.is_file():
        prepared = json.loads(marker.read_text("utf-8"))
        if prepared["people"] == people and prepared["seed"] == seed:
            return prepared
    from ingestors.context import build_ingest_context
    from ingestors.ingest import ingest_files
    from ingestors.lake_init import initialise_lake
    from ingestors.reference import load_reference
    from privacy.keys import load_master_key
    from storage import StorageSettings, open_store
    from synth.config import SynthConfig
    from synth.generate import generate

    synth_dir, truth, home = workdir / "synth", workdir / "truth.csv", workdir / "lake"
    started = time.perf_counter()
    if synth is None:
        generate(SynthConfig(people=people, seed=seed), synth_dir, truth)
    else:
        synth_dir, truth = synth
    generated = time.perf_counter() - started
    env = {"VRLAKE_PSEUDONYMISATION_KEY": BENCH_KEY_HEX}
    store = open_store(StorageSettings(home=home))
    initialise_lake(store)
    load_reference(store, synth_dir / "reference", load_master_key(env))
    context = dataclasses.replace(build_ingest_context(store, env, run_id="bench-linkage"), today=TODAY)
    started = time.perf_counter()
    landings = []
    for path in _person_files(synth_dir):
        landings.append(path.relative_to(synth_dir / "landing").as_posix())
        store.upload_file("landing", landings[-1], path)
    for outcome in ingest_files(context, landings):
        if outcome.status.value != "loaded":
            raise RuntimeError(f"{outcome.record.source_file} was not loaded: {outcome.explanation}")
    prepared = {
        "people": people,
        "seed": seed,
        "synth": str(synth_dir),
        "truth": str(truth),
        "lake": str(home),
        "seconds_generate": round(generated, 1),
        "seconds_ingest": round(time.perf_counter() - started, 1),
    }
    marker.write_text(json.dumps(prepared, indent=2), encoding="utf-8")
    return prepared


def _person_files(synth_dir: Path) -> list[Path]:
    paths = [p for p in (synth_dir / "landing").rglob("*.*") if p.name.startswith(PERSON_FEEDS)]
    return sorted(paths, key=lambda p: (p.stem[-7:], p.name))


# --- the two record sets ------------------------------------------------------------------------------------


def pseudonymised_records(prepared: dict[str, Any]) -> pl.DataFrame:
    from linkage.records import gather_records
    from storage import StorageSettings, open_store

    return gather_records(open_store(StorageSettings(home=Path(prepared["lake"]))))


def cleartext_records(prepared: dict[str, Any]) -> pl.DataFrame:
    """The rows ingestion loaded, from the partner files, normalised (never tokenised) as ``tokenise`` does.

    Column names are the token columns' names holding cleartext values, so the same blocking rules and
    comparisons apply; Bloom columns stay null.
    """
    from ingestors.contract import load_contracts
    from ingestors.detect import feed_from_name, map_headers
    from ingestors.readers import ROW_NUMBER, read_delivery
    from ingestors.validate import validate
    from privacy.agreement import load_agreements
    from privacy.dob import swapped_date
    from privacy.normalise import normalise_postcode

    contracts, agreements = load_contracts(), load_agreements()
    synth_dir = Path(prepared["synth"])
    lookup = pl.read_csv(synth_dir / "reference" / "postcode_lsoa.csv", infer_schema=False).select(
        normalise_postcode(pl.col("postcode")).alias("postcode_token"), pl.col("lsoa_code").alias("postcode_lsoa")
    ).unique("postcode_token")
    parts = []
    for path in _person_files(synth_dir):
        match = feed_from_name(path.name, contracts)
        assert match is not None, path.name
        contract, agreement = match.contract, agreements[match.contract.feed]
        raw = read_delivery(path, path.name, [contract])
        header_map, _ = map_headers(raw.headers, contract)
        canonical = raw.frame.rename(header_map).select(ROW_NUMBER, *header_map.values())
        canonical = canonical.select(ROW_NUMBER, *[c for c in canonical.columns if c in agreement.shared_fields])
        valid = validate(canonical, contract).valid
        key = pl.concat_str([pl.lit(contract.feed)] + [pl.col(k).cast(pl.String).fill_null("") for k in
                                                       contract.record_key], separator="|")
        columns = [key.alias("_record_key"), pl.lit(path.name).alias("_source_file"), pl.col(ROW_NUMBER),
                   pl.lit(match.period).alias("_period"), pl.lit(None, pl.Datetime("us", "UTC")).alias("_ingested_at")]
        for name in ("nhs_number", "upn", "pnc_id", "crn"):
            if name in valid.columns:
                columns.append(_clear(pl.col(name), name).alias(f"{name}_token"))
        for name in ("forenames", "surname"):
            if name in valid.columns:
                columns.append(_clear(pl.col(name), "name").alias(f"{name}_token"))
        if "date_of_birth" in valid.columns:
            dob = pl.col("date_of_birth").cast(pl.Date)
            columns += [
                dob.dt.strftime("%Y-%m-%d").alias("dob_token"),
                swapped_date(dob).dt.strftime("%Y-%m-%d").alias("dob_swapped_token"),
                dob.dt.strftime("%Y-%m").alias("dob_year_month_token"),
                dob.dt.strftime("%m-%d").alias("dob_month_day_token"),
                dob.dt.strftime("%Y-%m").alias("birth_year_month"),
            ]
        if "sex" in valid.columns:
            columns.append(pl.col("sex"))
        if "postcode" in valid.columns:
            columns.append(_clear(pl.col("postcode"), "postcode").alias("postcode_token"))
        frame = valid.select(columns)
        if "postcode_token" in frame.columns:
            frame = frame.join(lookup, on="postcode_token", how="left", maintain_order="left")
        parts.append(frame.with_columns(pl.lit(contract.feed).alias("source_feed")))
    # Snapshot feeds repeat a record key per file: one record per key, the latest period's, as gather_records.
    latest = latest_per_record(pl.concat(parts, how="diagonal_relaxed"))
    return conform_records(latest).sort("source_feed", "record_key")


def _clear(expr: pl.Expr, kind: str) -> pl.Expr:
    """The normalised cleartext a token would be made from (null where ``tokenise`` gives a null token)."""
    from privacy.tokens import NORMALISERS, VALIDATORS

    value = NORMALISERS[kind](expr) if kind in NORMALISERS else expr.cast(pl.String).str.strip_chars()
    value = pl.when(value.str.len_bytes() > 0).then(value)
    if kind in VALIDATORS:
        value = pl.when(VALIDATORS[kind](expr).fill_null(False)).then(value)
    return value


def jaro_winkler_name_comparison(name: str, other: str, *, with_swap: bool) -> dict[str, Any]:
    """The cleartext twin of ``linkage.model.bloom_name_comparison``: same levels, Jaro-Winkler for Dice."""
    column, other_column = f"{name}_token", f"{other}_token"
    similarity = f'jaro_winkler_similarity("{column}_l", "{column}_r")'
    contained = (
        f"""(list_has_all(string_split("{column}_l", ' '), string_split("{column}_r", ' '))"""
        f""" OR list_has_all(string_split("{column}_r", ' '), string_split("{column}_l", ' ')))"""
    )
    levels: list[dict[str, Any]] = [
        {"sql_condition": f'"{column}_l" IS NULL OR "{column}_r" IS NULL', "label_for_charts": "null",
         "is_null_level": True},
        {"sql_condition": f'"{column}_l" = "{column}_r"', "label_for_charts": "exact",
         "tf_adjustment_column": column, "tf_adjustment_weight": 1.0},
    ]
    if with_swap:
        levels.append({"sql_condition": f'"{column}_l" = "{other_column}_r" AND "{other_column}_l" = "{column}_r"',
                       "label_for_charts": SWAP_LABEL})
    levels += [
        {"sql_condition": f"{similarity} >= 0.92", "label_for_charts": "Jaro-Winkler >= 0.92"},
        {"sql_condition": contained, "label_for_charts": "one name's words contained in the other"},
        {"sql_condition": f"{similarity} >= 0.85", "label_for_charts": "Jaro-Winkler >= 0.85"},
        {"sql_condition": "ELSE", "label_for_charts": "different"},
    ]
    return {"output_column_name": name, "comparison_description": f"{name} in cleartext", "comparison_levels": levels}


# --- one arm ------------------------------------------------------------------------------------------------


class PeakRss:
    """Samples this process's resident memory (DuckDB included) while a block runs."""

    def __init__(self, interval: float = 0.1) -> None:
        self.peak = 0
        self._interval = interval
        self._stop = threading.Event()
        self._process = psutil.Process()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._process.memory_info().rss)
            self._stop.wait(self._interval)

    def __enter__(self) -> Self:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._process.memory_info().rss)


def run_arm(kind: str, prepared: dict[str, Any], u_pairs: float, threads: int | None) -> dict[str, Any]:
    """Train, score, cluster and key one record set; quality against the truth. Runs in its own process."""
    from linkage.engine import EngineSettings
    from linkage.index import link_records
    from linkage.quality import evaluate, read_truth, truth_for_records
    from linkage.train import train_model

    started = time.perf_counter()
    records = pseudonymised_records(prepared) if kind == "pseudonymised" else cleartext_records(prepared)
    seconds_records = time.perf_counter() - started
    engine = EngineSettings(threads=threads, memory_limit=os.environ.get("VRLAKE_LINKAGE_MEMORY", "16GB"))
    name_comparison = jaro_winkler_name_comparison if kind == "cleartext" else None
    empty_index = pl.DataFrame(schema={"source_feed": pl.String, "record_key": pl.String, "person_key": pl.String,
                                       "match_probability": pl.Float64, "model_version": pl.String,
                                       "linked_at": pl.Datetime("us", "UTC")})
    with PeakRss() as memory:
        started, cpu_started = time.perf_counter(), time.process_time()
        model = train_model(
            records, engine=engine, u_pairs=u_pairs, name_comparison=name_comparison,
            string_columns=("forenames_token", "surname_token") if kind == "cleartext" else (),
        )
        seconds_train, cpu_train = time.perf_counter() - started, time.process_time() - cpu_started
        started, cpu_started = time.perf_counter(), time.process_time()
        update = link_records(records, model, empty_index, engine=engine)
        seconds_link, cpu_link = time.perf_counter() - started, time.process_time() - cpu_started
    truth = truth_for_records(records, read_truth(Path(prepared["truth"])))
    quality = evaluate(update.index.rename({"_record_key": "record_key"}), truth)
    incremental = _incremental(records, model, update.index, engine) if kind == "pseudonymised" else {}
    return {
        "arm": kind,
        "records": records.height,
        "records_per_feed": dict(records.group_by("source_feed").len().sort("source_feed").iter_rows()),
        "blocking": model.training["blocking"],
        "blocked_comparisons": model.training["blocked_comparisons"],
        "pairs_scored_above_floor": update.edges_scored,
        "links_refused_by_identifier_conflict": update.links_refused,
        "seconds_records": round(seconds_records, 2),
        "seconds_train": round(seconds_train, 2),
        "seconds_link": round(seconds_link, 2),
        "seconds_total": round(seconds_train + seconds_link, 2),
        # CPU seconds of all threads (DuckDB's included): unlike wall time, barely moved by other users' load.
        "cpu_seconds_train": round(cpu_train, 2),
        "cpu_seconds_link": round(cpu_link, 2),
        "cpu_seconds_total": round(cpu_train + cpu_link, 2),
        "link_phases": {k: round(v, 2) for k, v in update.seconds.items()},
        "peak_rss_mib_train_and_link": round(memory.peak / 2**20),
        "peak_rss_mib_process": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "quality": quality.as_dict(),
        "incremental": incremental,
    }


def _incremental(records: pl.DataFrame, model: Any, index: pl.DataFrame, engine: Any) -> dict[str, Any]:
    """A routine run: the last month's deliveries of the incremental feeds (police, ED, exclusions) arrive new
    against an index of everything before them. Snapshot feeds (census, caseload) repeat known record keys."""
    from linkage.index import link_records

    latest = records.get_column("source_file").str.extract(r"(\d{4}-\d{2})").max()
    incremental_feeds = ["police_nominals", "ed_attendances", "education_exclusions"]
    new = records.filter(
        pl.col("source_file").str.contains(str(latest), literal=True) & pl.col("source_feed").is_in(incremental_feeds)
    ).select("source_feed", "record_key")
    previous = index.rename({"_record_key": "record_key"}).join(new, on=["source_feed", "record_key"], how="anti")
    started = time.perf_counter()
    update = link_records(records, model, previous, engine=engine)
    seconds = time.perf_counter() - started
    kept = previous.join(update.index.rename({"_record_key": "record_key"}), on=["source_feed", "record_key"],
                         suffix="_after")
    return {
        "new_records": update.new_records,
        "seconds": round(seconds, 2),
        "phases": {k: round(v, 2) for k, v in update.seconds.items()},
        "existing_keys_changed": int((kept["person_key"] != kept["person_key_after"]).sum()),
        "key_events": update.event_counts(),
    }


# --- driver -------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    arm = sub.add_parser("arm", help="(internal) run one arm and write its result as JSON")
    arm.add_argument("kind", choices=["pseudonymised", "cleartext"])
    arm.add_argument("prepared", type=Path)
    arm.add_argument("result", type=Path)
    arm.add_argument("--u-pairs", type=float, default=2e6)
    arm.add_argument("--threads", type=int, default=None)
    parser.add_argument("--people", type=int, default=20_000, help="synthetic residents (20,000 = demo size)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workdir", type=Path, default=None, help="keep the synthetic area and lake here")
    parser.add_argument("--out", type=Path, default=None, help="report JSON (default bench-output/linkage-N.json)")
    parser.add_argument("--synth", type=Path, default=None, help="reuse this `vrlake synth --out` folder ...")
    parser.add_argument("--truth", type=Path, default=None, help="... and its truth file (same --people, --seed)")
    parser.add_argument("--u-pairs", type=float, default=2e6, help="random pairs for u estimation, both arms")
    parser.add_argument("--threads", type=int, default=None, help="DuckDB threads, both arms (default: all)")
    parser.add_argument(
        "--repeat", type=int, default=1,
        help="run the arms alternately this many times and keep each arm's fastest run (the machine is shared)",
    )
    args = parser.parse_args()
    if args.command == "arm":
        prepared = json.loads(args.prepared.read_text("utf-8"))
        result = run_arm(args.kind, prepared, args.u_pairs, args.threads)
        args.result.write_text(json.dumps(result, indent=2), encoding="utf-8")
        return

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix=f"vrlake-bench-linkage-{args.people}-"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"Preparing {args.people:,} synthetic people in {workdir} (generate + ingest)...", flush=True)
    prepared = prepare(args.people, args.seed, workdir, (args.synth, args.truth) if args.synth and args.truth else None)
    print(f"  generate {prepared['seconds_generate']} s, ingest {prepared['seconds_ingest']} s", flush=True)
    prepared_path = workdir / READY_MARKER
    results: dict[str, dict[str, Any]] = {}
    for attempt in range(1, args.repeat + 1):
        for kind in ("pseudonymised", "cleartext"):
            print(f"Running the {kind} arm ({attempt}/{args.repeat})...", flush=True)
            path = workdir / f"arm-{kind}-{attempt}.json"
            command = [sys.executable, __file__, "arm", kind, str(prepared_path), str(path),
                       "--u-pairs", str(args.u_pairs)]
            if args.threads:
                command += ["--threads", str(args.threads)]
            subprocess.run(command, check=True, cwd=REPO)
            result = json.loads(path.read_text("utf-8"))
            q = result["quality"]
            print(f"  {kind}: F1 {q['f1']:.4f} precision {q['precision']:.4f} recall {q['recall']:.4f}; "
                  f"train {result['seconds_train']} s, link {result['seconds_link']} s "
                  f"(CPU {result['cpu_seconds_total']} s), peak {result['peak_rss_mib_train_and_link']} MiB",
                  flush=True)
            # Linkage is deterministic: repeats differ only in time, so keep the fastest run of each arm.
            if kind not in results or result["seconds_total"] < results[kind]["seconds_total"]:
                results[kind] = result
    report = _report(args.people, prepared, results)
    out = args.out or REPO / "bench-output" / f"linkage-{args.people}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(report["markdown"])
    print(f"Report: {out}")


def _report(people: int, prepared: dict[str, Any], results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    p, c = results["pseudonymised"], results["cleartext"]
    pq, cq = p["quality"], c["quality"]
    targets = {
        "pseudonymised_f1_at_least_0.99": pq["f1"] >= 0.99,
        "pseudonymised_precision_at_least_0.995": pq["precision"] >= 0.995,
        "within_0.01_f1_of_cleartext": cq["f1"] - pq["f1"] <= 0.01,
        "at_most_2x_cleartext_time": p["seconds_total"] <= 2 * c["seconds_total"],
    }
    rows = [
        ("records", f"{p['records']:,}", f"{c['records']:,}"),
        ("blocked comparisons", f"{p['blocked_comparisons']:,}", f"{c['blocked_comparisons']:,}"),
        ("F1", f"{pq['f1']:.4f}", f"{cq['f1']:.4f}"),
        ("precision", f"{pq['precision']:.4f}", f"{cq['precision']:.4f}"),
        ("recall", f"{pq['recall']:.4f}", f"{cq['recall']:.4f}"),
        ("false merges (clusters)", f"{pq['false_merge_clusters']:,}", f"{cq['false_merge_clusters']:,}"),
        ("split people", f"{pq['split_people']:,}", f"{cq['split_people']:,}"),
        ("largest cluster (truth)", f"{pq['largest_cluster']} ({pq['largest_true_person']})",
         f"{cq['largest_cluster']} ({cq['largest_true_person']})"),
        ("train s", f"{p['seconds_train']}", f"{c['seconds_train']}"),
        ("link s (score + cluster + keys)", f"{p['seconds_link']}", f"{c['seconds_link']}"),
        ("total s", f"{p['seconds_total']}", f"{c['seconds_total']}"),
        ("CPU s, all threads (train + link)", f"{p['cpu_seconds_total']}", f"{c['cpu_seconds_total']}"),
        ("peak RSS MiB (train + link)", f"{p['peak_rss_mib_train_and_link']:,}",
         f"{c['peak_rss_mib_train_and_link']:,}"),
    ]
    inc = p.get("incremental") or {}
    markdown = "\n".join(
        [f"### Linkage benchmark: {people:,} people, {p['records']:,} person records", "",
         "| | pseudonymised | cleartext |", "|---|---:|---:|"]
        + [f"| {name} | {a} | {b} |" for name, a, b in rows]
        + ["", (f"time ratio (pseudonymised / cleartext): {p['seconds_total'] / c['seconds_total']:.2f} wall, "
                f"{p['cpu_seconds_total'] / c['cpu_seconds_total']:.2f} CPU; "
                f"F1 difference (cleartext - pseudonymised): {cq['f1'] - pq['f1']:+.4f}"), "",
           "Targets: " + ", ".join(f"{k} {'PASS' if v else 'FAIL'}" for k, v in targets.items()), "",
           (f"Incremental run (pseudonymised, the last month's {inc.get('new_records', 0):,} records new against "
            f"the rest): {inc.get('seconds')} s, existing keys changed: {inc.get('existing_keys_changed')}, "
            f"key events: {inc.get('key_events')}"), "",
           "Blocking (pseudonymised arm):", "", "| rule | marginal comparisons | chosen | note |", "|---|---:|---|---|"]
        + [f"| `{b['name']}` | {b['marginal_comparisons']:,} | {'yes' if b['chosen'] else 'no'} | {b['note']} |"
           for b in p["blocking"]]
    )
    return {
        "people": people,
        "prepared": prepared,
        "machine": {"cpus": os.cpu_count(), "memory_gib": round(psutil.virtual_memory().total / 2**30, 1)},
        "results": results,
        "time_ratio": p["seconds_total"] / c["seconds_total"],
        "cpu_time_ratio": p["cpu_seconds_total"] / c["cpu_seconds_total"],
        "f1_difference": cq["f1"] - pq["f1"],
        "targets": targets,
        "markdown": markdown,
    }


if __name__ == "__main__":
    main()
