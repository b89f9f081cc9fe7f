"""Lives across agencies: the ED-vs-police gap, ISTV/ECDS correspondence, correlated risk and identifier noise."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from synth_helpers import truth_of

from ingestors.contract import load_contracts
from ingestors.readers import read_delivery
from synth.config import NoiseConfig, PrevalenceConfig, SynthConfig
from synth.generate import SynthResult, generate
from synth.names import NICKNAMES


def read_feed(result: SynthResult, feed: str) -> pl.DataFrame:
    """All rows of a feed, partner headers, joined to the truth (person_id, incident_id, defect)."""
    contract = load_contracts()[feed]
    truth = truth_of(result).filter(pl.col("feed") == feed)
    frames = []
    for path in sorted((result.out / "landing" / contract.partner).glob(f"{contract.file_stem}_*")):
        raw = read_delivery(path, path.name, [contract]).frame.with_columns(pl.lit(path.name).alias("file"))
        frames.append(raw)
    data = pl.concat(frames, how="diagonal")
    return data.join(truth.rename({"row_number": "_row_number"}), on=["file", "_row_number"])


def _gap_from_files(result: SynthResult) -> tuple[float, int]:
    """The ED-vs-police gap measured only from the landing files and the truth (independent of the generator)."""
    ed = (
        read_feed(result, "ed_attendances")
        .filter(pl.col("InjuryIntent") == "ASSAULT")
        .select("person_id", pl.col("ArrivalDate").str.to_date("%Y-%m-%d").alias("arrival"))
    )
    occurrences = read_feed(result, "police_occurrences").select(
        pl.col("OccurrenceRef"), pl.col("OffenceFromDate").str.to_date("%d/%m/%Y").alias("offence")
    )
    nominals = (
        read_feed(result, "police_nominals")
        .select("person_id", "OccurrenceRef")
        .join(occurrences, on="OccurrenceRef")
    )
    pairs = ed.with_row_index("attendance").join(nominals, on="person_id", how="left")
    near = pairs.with_columns(
        ((pl.col("offence") - pl.col("arrival")).dt.total_days().abs() <= 30).fill_null(False).alias("near")
    )
    covered = near.group_by("attendance").agg(pl.col("near").any())["near"]
    return 1 - covered.sum() / covered.len(), covered.len()


@pytest.fixture(scope="module")
def gap_run(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    base = tmp_path_factory.mktemp("gap")
    config = SynthConfig(
        people=15_000,
        seed=3,
        noise=NoiseConfig(invalid_row_rate=0.0),
        prevalence=PrevalenceConfig(ed_police_gap=0.6),
    )
    return generate(config, base / "out", base / "truth.csv")


def test_ed_police_gap_is_realised_and_measurable_from_the_files(gap_run: SynthResult) -> None:
    gap, attendances = _gap_from_files(gap_run)
    manifest_gap = gap_run.manifest["ed_police_gap"]
    assert attendances == manifest_gap["assault_attendances"] > 50
    assert gap == pytest.approx(manifest_gap["realised"], abs=1e-4)
    assert manifest_gap["configured"] == 0.6
    assert abs(gap - 0.6) < 0.05


def test_default_gap_is_seventy_percent(medium_run: SynthResult) -> None:
    gap = medium_run.manifest["ed_police_gap"]
    assert gap["configured"] == 0.7
    assert abs(gap["realised"] - 0.7) < 0.05


def test_istv_rows_are_the_ed_assault_attendances(medium_run: SynthResult) -> None:
    ed = read_feed(medium_run, "ed_attendances").filter(pl.col("InjuryIntent") == "ASSAULT")
    istv = read_feed(medium_run, "ed_assaults")
    assert istv.height == ed.height > 0
    joined = istv.join(ed, on="incident_id", suffix="_ed")
    assert joined.height == istv.height
    assert (joined["person_id"] == joined["person_id_ed"]).all()
    clean = joined.filter(pl.col("defect").is_null() & pl.col("defect_ed").is_null())
    same_day = clean["ArrivalDate"].str.to_date("%d/%m/%Y") == clean["ArrivalDate_ed"].str.to_date("%Y-%m-%d")
    assert same_day.all()
    assert (clean["ArrivalTime"] == clean["ArrivalTime_ed"].str.slice(0, 5)).all()
    # No identifiers at all in the ISTV extract.
    assert not {"NHSNumber", "PatientForename", "PatientSurname", "PersonBirthDate", "Postcode"} & set(
        istv.columns
    )


def test_some_ed_assaults_are_the_same_incident_as_a_police_occurrence(medium_run: SynthResult) -> None:
    ed = read_feed(medium_run, "ed_attendances").filter(pl.col("InjuryIntent") == "ASSAULT")
    nominals = read_feed(medium_run, "police_nominals").filter(pl.col("Role") == "Victim")
    shared = ed.join(nominals, on=["incident_id", "person_id"])
    assert 0 < shared.height < ed.height


def test_excluded_pupils_are_more_often_victims(medium_run: SynthResult) -> None:
    pupils = set(read_feed(medium_run, "education_census")["person_id"].to_list())
    excluded = set(read_feed(medium_run, "education_exclusions")["person_id"].to_list())
    victims = set(
        read_feed(medium_run, "police_nominals").filter(pl.col("Role") == "Victim")["person_id"].to_list()
    )
    others = pupils - excluded
    rate_excluded = len(excluded & victims) / len(excluded)
    rate_others = len(others & victims) / len(others)
    assert rate_excluded > 1.5 * rate_others


def test_lives_cross_agencies(medium_run: SynthResult) -> None:
    nominals = read_feed(medium_run, "police_nominals")
    occurrences = read_feed(medium_run, "police_occurrences")
    probation = read_feed(medium_run, "probation_caseload")
    victims = nominals.filter(pl.col("Role") == "Victim")
    assert victims.group_by("person_id").len()["len"].max() >= 2  # repeat victims
    assert (occurrences["DAFlag"] == "Y").sum() > 0
    assert ((occurrences["DAFlag"] == "Y") & (occurrences["ChildPresent"] == "Y")).sum() > 0
    assert (nominals["GangMarker"] == "Y").sum() > 0
    assert probation["registers"].drop_nulls().str.contains("STRG").any()
    offenders = set(nominals.filter(pl.col("Role").is_in(["Suspect", "Offender"]))["person_id"].to_list())
    on_probation = set(probation["person_id"].to_list())
    assert 0 < len(on_probation & offenders) < len(on_probation)  # offenders partly on probation
    violence = set(occurrences["HOClass"].to_list()) & {"8N", "105A", "5D", "8L", "34B"}
    assert len(violence) >= 4
    assert set(occurrences["HOClass"].to_list()) & {"46", "49", "58C", "92D"}  # and non-violent crime
    ed = read_feed(medium_run, "ed_attendances")
    assert ed["NHSNumber"].null_count() / ed.height == pytest.approx(0.15, abs=0.04)


def test_names_differ_between_agencies_the_way_real_records_do(medium_run: SynthResult) -> None:
    census = read_feed(medium_run, "education_census").select(
        "person_id", pl.col("Forename").alias("school_name"), pl.col("Surname").alias("school_surname")
    )
    police = read_feed(medium_run, "police_nominals").select(
        "person_id", pl.col("Forenames").alias("police_name"), pl.col("Surname").alias("police_surname")
    )
    ed = read_feed(medium_run, "ed_attendances").select(
        "person_id", pl.col("PatientForename").alias("ed_name"), pl.col("PatientSurname").alias("ed_surname")
    )
    pairs = police.join(ed, on="person_id").unique()
    assert pairs.height > 40
    differs = (pairs["police_name"] != pairs["ed_name"]) | (pairs["police_surname"] != pairs["ed_surname"])
    assert 0 < differs.mean() < 0.6
    both = pairs.vstack(
        pairs.select(
            "person_id",
            pl.col("ed_name").alias("police_name"),
            pl.col("ed_surname").alias("police_surname"),
            "ed_name",
            "ed_surname",
        )
    )
    nickname_pairs = [
        (a, b)
        for a, b in zip(both["ed_name"], both["police_name"], strict=True)
        if b.split(" ")[0] in NICKNAMES.get(a, ())
    ]
    assert nickname_pairs, "no nickname between ED and police records"
    school_police = census.join(police, on="person_id").unique()
    swapped = school_police.filter(
        (pl.col("police_name") == pl.col("school_surname"))
        & (pl.col("police_surname") == pl.col("school_name"))
    )
    typos = school_police.filter(
        (pl.col("police_surname") != pl.col("school_surname"))
        & (pl.col("police_surname").str.len_chars() > 0)
        & ~pl.col("school_surname").str.contains("-")
    )
    assert typos.height > 0 or swapped.height > 0


def test_people_move_and_records_catch_up_late(medium_run: SynthResult) -> None:
    census = read_feed(medium_run, "education_census").filter(pl.col("Postcode").is_not_null())
    moved = census.group_by("person_id").agg(
        pl.col("Postcode").str.replace(" ", "").str.to_uppercase().n_unique()
    )
    assert (moved["Postcode"] > 1).sum() > 0


def test_cli_writes_the_files_and_a_summary(tmp_path: Path) -> None:
    import typer
    from typer.testing import CliRunner

    from vrlake.commands import synth as synth_command

    app = typer.Typer()
    app.callback()(lambda: None)  # keep `synth` a sub-command, as in the real CLI
    app.command("synth")(synth_command.command)
    out, truth = tmp_path / "out", tmp_path / "truth" / "truth.csv"
    result = CliRunner().invoke(
        app,
        [
            "synth",
            "--people",
            "600",
            "--seed",
            "1",
            "--months",
            "3",
            "--end-period",
            "2026-01",
            "--out",
            str(out),
            "--truth",
            str(truth),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "police_nominals" in result.output and "realised" in result.output
    assert truth.exists() and (out / "synth_manifest.json").exists()
    assert sorted(p.name for p in (out / "landing" / "education").glob("education_census_*")) == [
        "education_census_2026-01.xlsx"
    ]
    bad = CliRunner().invoke(app, ["synth", "--people", "600", "--end-period", "2026-13", "--out", str(out)])
    assert bad.exit_code != 0


def test_dates_of_birth_are_plausible(small_run: SynthResult) -> None:
    ed = read_feed(small_run, "ed_attendances").filter(pl.col("defect").is_null())
    dob = ed["PersonBirthDate"].str.to_date("%Y-%m-%d")
    assert dob.min() > dt.date(1920, 1, 1)
    assert dob.max() < dt.date(2026, 11, 1)
