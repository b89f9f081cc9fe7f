"""`vrlake link` round trips: a cohort list in, record_id + person_key + match details out, nothing identifying."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
import typer
from typer.testing import CliRunner

from linkage.cohort_link import OUTPUT_SCHEMA
from linkage.index import read_index
from linkage.quality import evaluate
from tests.conftest import STORAGE_ENV_VARS, TEST_KEY_HEX
from tests.integration.linkage.conftest import Area, TrainedLake, cleartext_people
from vrlake.commands import link

COHORT_COLUMNS = ["record_id", "source", "forenames", "surname", "date_of_birth", "sex", "postcode", "nhs_number",
                  "pnc_id"]


def app() -> typer.Typer:
    # The lead registers the command in vrlake/cli.py; tests drive the same function through a Typer app.
    application = typer.Typer()
    application.command("link")(link.command)
    application.callback()(lambda: None)
    return application


def run(home: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    for variable in STORAGE_ENV_VARS:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("VRLAKE_HOME", str(home))
    monkeypatch.setenv("VRLAKE_PSEUDONYMISATION_KEY", TEST_KEY_HEX)
    result = CliRunner().invoke(app(), ["link", *args])
    return result.exit_code, result.output


def assert_nothing_identifying(out: Path, people: pl.DataFrame) -> None:
    assert pl.read_csv(out).columns == list(OUTPUT_SCHEMA)
    text = out.read_text("utf-8").upper()
    for column in ("surname", "date_of_birth", "postcode", "nhs_number", "pnc_id"):
        for value in people.get_column(column).drop_nulls().unique().head(200).to_list():
            if len(value) > 3:
                assert value.upper() not in text, column


def test_link_with_train_on_a_list_alone(area: Area, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    people = cleartext_people(area).head(600)
    cohort = tmp_path / "cohort.csv"
    people.select(COHORT_COLUMNS).write_csv(cohort)
    out = tmp_path / "linked.csv"

    code, output = run(tmp_path / "empty-home", monkeypatch, str(cohort), "--out", str(out), "--train", "--no-lake")

    assert code == 0, output
    linked = pl.read_csv(out, schema_overrides=OUTPUT_SCHEMA)
    assert linked.height == people.height and linked.get_column("record_id").to_list() == people["record_id"].to_list()
    assert not linked.get_column("linked_to_lake").any()
    assert_nothing_identifying(out, people)
    truth = people.select(pl.lit("cohort").alias("source_feed"), pl.col("record_id").alias("record_key"), "person_id")
    keys = linked.select(pl.lit("cohort").alias("source_feed"), pl.col("record_id").alias("record_key"), "person_key")
    quality = evaluate(keys, truth)
    assert quality.true_pairs > 20 and quality.precision >= 0.99 and quality.recall >= 0.9, quality.summary()


def test_link_against_the_lake_gives_the_lakes_person_keys(
    trained_lake: TrainedLake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = cleartext_people(trained_lake.area).filter(pl.col("file").str.starts_with("ed_attendances")).head(40)
    cohort = tmp_path / "participants.csv"
    people.select(COHORT_COLUMNS).write_csv(cohort)
    out = tmp_path / "participants-linked.csv"

    code, output = run(trained_lake.home, monkeypatch, str(cohort), "--out", str(out))

    assert code == 0, output
    linked = pl.read_csv(out, schema_overrides=OUTPUT_SCHEMA)
    index = read_index(trained_lake.store)
    # The same ED rows were ingested into the lake: each participant gets the key of their own bronze record.
    lake_keys = index.filter(pl.col("source_feed") == "ed_attendances").select("person_key")
    assert linked.get_column("linked_to_lake").all()
    assert linked.join(lake_keys, on="person_key", how="anti").height == 0
    assert_nothing_identifying(out, people)
    assert read_index(trained_lake.store).equals(index)  # the lake was only read


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("name,dob\nA,2001-01-01\n", "lacks the column(s) record_id"),
        ("", "is empty"),
    ],
)
def test_a_bad_file_is_refused_with_a_clear_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str, message: str
) -> None:
    cohort = tmp_path / "bad.csv"
    cohort.write_text(content, encoding="utf-8")
    code, output = run(tmp_path / "home", monkeypatch, str(cohort), "--out", str(tmp_path / "out.csv"), "--train")
    assert code == 2 and message in " ".join(output.split())
    assert not (tmp_path / "out.csv").exists()


def test_without_a_saved_model_the_message_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cohort = tmp_path / "cohort.csv"
    cohort.write_text("record_id,source,forenames,surname,date_of_birth,sex,postcode\n1,a,Ann,Lee,2001-01-01,F,\n")
    code, output = run(tmp_path / "home", monkeypatch, str(cohort), "--out", str(tmp_path / "out.csv"))
    assert code == 2 and "--train" in output and "retrain_linkage_model" in " ".join(output.split())


def test_the_quality_report_reads_the_lakes_index(
    trained_lake: TrainedLake, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from linkage.__main__ import main

    for variable in STORAGE_ENV_VARS:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("VRLAKE_HOME", str(trained_lake.home))
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["quality", "--truth", str(trained_lake.area.truth)]) == 0
    report = capsys.readouterr().out
    assert "pairwise F1" in report and "false merges" in report and "date_of_birth" in report
    assert main(["quality", "--truth", str(trained_lake.home / "missing.csv")]) == 2
