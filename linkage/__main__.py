"""``python -m linkage quality``: the lake's person index against a synthetic truth, as a table (``make
linkage-quality``).

Reads the lake configured by the environment (as ``vrlake`` does) and reports what ``linkage.quality`` and
``linkage.plausibility`` measure, plus the current model's blocking counts. Counts and rates only.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m linkage", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    quality = sub.add_parser("quality", help="person index quality against a synthetic truth file")
    quality.add_argument(
        "--truth", type=Path, default=Path(os.environ.get("VRLAKE_SYNTH_TRUTH", ".vrlake-synthetic/truth.csv")),
        help="the truth CSV written by `vrlake synth --truth` (default: $VRLAKE_SYNTH_TRUTH or the demo's)",
    )
    args = parser.parse_args(argv)

    from rich.console import Console
    from rich.table import Table

    from linkage.index import read_index, read_key_events
    from linkage.plausibility import check_index
    from linkage.quality import evaluate, read_truth, truth_for_records
    from linkage.records import gather_records
    from linkage.train import NoModelError, load_model
    from storage import StorageSettings, open_store

    console = Console()
    if not args.truth.is_file():
        console.print(f"[red]No truth file at {args.truth}[/] (set VRLAKE_SYNTH_TRUTH or pass --truth).")
        return 2
    store = open_store(StorageSettings.from_env())
    index = read_index(store)
    if index.height == 0:
        console.print("[red]The person index is empty:[/] materialise linkage/person_index first (make demo does).")
        return 2
    records = gather_records(store)
    result = evaluate(index, truth_for_records(records, read_truth(args.truth)))
    plausible = check_index(index, records)
    table = Table(title=f"Linkage quality against {args.truth.name}")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for name, value in (
        ("records (with truth)", f"{result.records:,}"),
        ("true people / clusters", f"{result.people:,} / {result.clusters:,}"),
        ("pairwise precision", f"{result.precision:.4f}"),
        ("pairwise recall", f"{result.recall:.4f}"),
        ("pairwise F1", f"{result.f1:.4f}"),
        (
            "true pairs / predicted / correct",
            f"{result.true_pairs:,} / {result.predicted_pairs:,} / {result.true_positive_pairs:,}",
        ),
        ("people clustered exactly", f"{result.exact_clusters:,} ({result.exact_cluster_share:.2%})"),
        ("false merges (clusters with >1 person)", f"{result.false_merge_clusters:,}"),
        ("people in false merges", f"{result.people_in_false_merges:,}"),
        ("split people", f"{result.split_people:,}"),
        ("largest cluster (largest true person)", f"{result.largest_cluster} ({result.largest_true_person})"),
        (
            "implausible clusters (size / NHS / PNC / census)",
            " / ".join(
                str(n)
                for n in (
                    plausible.oversized_clusters,
                    plausible.conflicting_clusters.get("nhs_number_token", 0),
                    plausible.conflicting_clusters.get("pnc_id_token", 0),
                    plausible.conflicting_clusters.get("register_record", 0),
                )
            ),
        ),
        ("key events", ", ".join(f"{k} {v}" for k, v in read_key_events(store).group_by("event").len().iter_rows())),
    ):
        table.add_row(name, value)
    console.print(table)
    distribution = Table(title="Match probability of each record's best link")
    distribution.add_column("bin")
    distribution.add_column("records", justify="right")
    for label, count in result.match_probability_distribution.items():
        distribution.add_row(label, f"{count:,}")
    console.print(distribution)
    try:
        model = load_model(store)
    except NoModelError:
        return 0
    blocking = Table(title=f"Blocking rules of model {model.version} (counted on {model.training.get('records', 0):,} records)")
    for column in ("rule", "marginal comparisons", "chosen", "note"):
        blocking.add_column(column)
    for row in model.training.get("blocking", []):
        blocking.add_row(row["name"], f"{row['marginal_comparisons']:,}", "yes" if row["chosen"] else "no", row["note"])
    console.print(blocking)
    return 0


if __name__ == "__main__":
    sys.exit(main())
