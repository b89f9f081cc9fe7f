"""The `vrlake` command line: one Typer app, one module per command under `vrlake.commands`.

Commands import their heavy dependencies lazily inside the command body, so `vrlake --help` stays fast.
"""

from __future__ import annotations

import logging

import typer

from vrlake.commands import (
    bench,
    demo,
    dictionary,
    drop,
    governance,
    link,
    partner_sas,
    prepare,
    reference,
    release,
    report,
    run,
    synth,
)

app = typer.Typer(
    name="vrlake",
    help="vrlake: a data lakehouse for Violence Reduction Units and their partners.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def main(verbose: bool = typer.Option(False, "--verbose", "-v", help="Show progress logs.")) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


app.command("demo")(demo.command)
app.command("run")(run.command)
app.command("synth")(synth.command)
app.command("reference")(reference.command)
app.command("dictionary")(dictionary.command)
app.command("governance")(governance.command)
app.command("prepare")(prepare.command)
app.command("release")(release.command)
app.command("link")(link.command)
app.command("report")(report.command)
app.command("partner-sas")(partner_sas.command)
app.command("drop")(drop.command)
app.command("bench")(bench.command)

if __name__ == "__main__":  # pragma: no cover
    app()
