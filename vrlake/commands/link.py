"""`vrlake link INPUT.csv --out OUTPUT.csv [--train]`: link a cohort list on pseudonymised data.

The list is pseudonymised in memory exactly as ingestion pseudonymises a partner file (same checks, keys and
encodings; see ``linkage.cohort`` for the columns), then linked within itself and, when the lake has a person
index, against the lake, so matched rows get the lake's ``person_key``. The output holds only ``record_id``,
``person_key`` and match details: no name, date, postcode, identifier or token. Nothing is written to the lake.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from linkage.cohort_link import CohortLinkResult

COHORT_HELP = (
    "A CSV with columns record_id, source, forenames, surname, date_of_birth (YYYY-MM-DD), sex, postcode, and any "
    "of nhs_number, upn, pnc_id, crn, other_id."
)


def command(
    input: Annotated[Path, typer.Argument(help=COHORT_HELP, show_default=False, metavar="INPUT.csv")],
    out: Annotated[Path, typer.Option("--out", help="Where to write record_id, person_key and match details (CSV).")],
    train: Annotated[
        bool,
        typer.Option(
            "--train",
            help="Estimate the model on this list (EM; best with a few hundred people or more) instead of using "
            "the lake's saved model.",
        ),
    ] = False,
    lake: Annotated[
        bool,
        typer.Option("--lake/--no-lake", help="Link against the lake's person index when there is one."),
    ] = True,
    threshold: Annotated[
        float | None,
        typer.Option(min=0.5, max=1.0, help="Match probability at which records join a person (default: the model's)."),
    ] = None,
) -> None:
    """Link a cohort list (e.g. intervention participants) and give each row a person key.

    The list is pseudonymised in memory exactly as ingestion would, then linked within itself and against the
    lake's person index (rows matching someone in the lake get the key the marts use). The output has one row per
    usable input row: record_id, person_key, match_probability, cluster_size, cohort_records_with_key,
    lake_records_with_key, linked_to_lake, model_version. No name, date, postcode or identifier.
    """
    import os
    import time

    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    if out.resolve() == input.resolve():
        _fail(console, "--out must not be the input file (the input holds identifiers; the output must not)")
    started = time.perf_counter()
    with Progress(
        SpinnerColumn(), TextColumn("[bold]{task.description}"), TimeElapsedColumn(), console=console, transient=True
    ) as progress:
        step = progress.add_task("Reading the list", total=None)
        try:
            result, problems, summary = _link(
                input, train=train, use_lake=lake, threshold=threshold, env=os.environ,
                step=lambda text: progress.update(step, description=text),
            )
        except _UserError as error:
            progress.stop()
            _fail(console, str(error))
        progress.update(step, description="Writing the result")
        out.parent.mkdir(parents=True, exist_ok=True)
        result.output.write_csv(out)
    from rich.markup import escape

    for problem in problems[:20]:
        console.print(f"[yellow]{escape(problem)}[/]")
    if len(problems) > 20:
        console.print(f"[yellow]... and {len(problems) - 20} more problem(s)[/]")
    _print_summary(console, result, summary, out, time.perf_counter() - started)


class _UserError(Exception):
    """A problem the user can fix (bad file, no key, no model)."""


def _fail(console: Console, message: str) -> NoReturn:
    from rich.markup import escape

    console.print(f"[bold red]vrlake link:[/] {escape(message)}")
    raise typer.Exit(code=2)


def _link(
    input: Path,
    *,
    train: bool,
    use_lake: bool,
    threshold: float | None,
    env: Mapping[str, str],
    step: Callable[[str], object],
) -> tuple[CohortLinkResult, tuple[str, ...], dict[str, int]]:
    """Read, pseudonymise and link; raises ``_UserError`` for anything the user must fix."""
    import dataclasses

    from ingestors.context import POSTCODE_LOOKUP_SCHEMA
    from ingestors.lake import REFERENCE_POSTCODES_TABLE, read_table
    from linkage.cohort import CohortFileError, pseudonymise_cohort, read_cohort
    from linkage.cohort_link import link_cohort
    from linkage.engine import EngineSettings
    from linkage.index import read_index
    from linkage.records import gather_records
    from linkage.train import NoModelError, load_model, train_model
    from privacy.keys import InvalidKeyError, MissingKeyError, load_master_key
    from storage import StorageError, StorageSettings, open_store

    try:
        cohort = read_cohort(input)
    except CohortFileError as error:
        raise _UserError(str(error)) from None
    try:
        key = load_master_key(env)
    except (MissingKeyError, InvalidKeyError) as error:
        raise _UserError(str(error)) from None
    try:
        store = open_store(StorageSettings.from_env())
    except StorageError as error:
        raise _UserError(f"cannot open the lake: {error}") from None
    step("Pseudonymising (as ingestion does)")
    lookup = read_table(store, REFERENCE_POSTCODES_TABLE, POSTCODE_LOOKUP_SCHEMA)
    try:
        protected = pseudonymise_cohort(cohort, key, lookup)
    except CohortFileError as error:
        raise _UserError(str(error)) from None
    del cohort  # the only cleartext copy: nothing below needs it
    engine = EngineSettings.from_env(env)
    if train:
        step(f"Estimating the model on {protected.records.height:,} records (EM)")
        try:
            model = train_model(protected.records, engine=engine)
        except ValueError as error:
            raise _UserError(f"cannot train on this list: {error}") from None
    else:
        try:
            model = load_model(store)
        except NoModelError as error:
            raise _UserError(f"{error}; or run with --train to estimate a model on the list itself") from None
    if threshold is not None:
        model = dataclasses.replace(model, threshold=threshold)
    lake_records = lake_index = None
    if use_lake:
        step("Reading the lake's person index")
        lake_index = read_index(store)
        lake_records = gather_records(store) if lake_index.height else None
    step(f"Linking with model {model.version}")
    result = link_cohort(protected.records, model, lake_records=lake_records, lake_index=lake_index, engine=engine)
    summary = {"rows_read": protected.rows_read, "rows_rejected": protected.rows_rejected,
               "values_removed": protected.values_removed}
    return result, protected.problems, summary


def _print_summary(
    console: Console, result: CohortLinkResult, summary: dict[str, int], out: Path, seconds: float
) -> None:
    from rich.table import Table

    output = result.output
    table = Table(title="vrlake link", show_header=False)
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("rows read", f"{summary['rows_read']:,}")
    table.add_row("rows left out (see problems above)", f"{summary['rows_rejected']:,}")
    table.add_row("values ignored (invalid)", f"{summary['values_removed']:,}")
    table.add_row("rows linked", f"{output.height:,}")
    table.add_row("people in the list", f"{output.get_column('person_key').n_unique():,}")
    table.add_row("rows matched to someone in the lake", f"{result.linked_to_lake:,}")
    table.add_row("lake records compared against", f"{result.lake_records:,}")
    table.add_row("model", result.model_version)
    console.print(table)
    console.print(f"Wrote {out} in {seconds:.1f} s (record_id, person_key and match details only).")
