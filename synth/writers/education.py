"""Local authority education extracts: the termly census workbook and the exclusions CSV.

The census is the children's-services team's spreadsheet: sheet "Census", a three-line title block above the
header row, dates of birth as real Excel dates, flags as Y/N, SEN provision in words. The exclusions file comes
from the inclusion service's MIS export: semicolon-separated, Windows-1252 (so Zoë, Chloé and Seán are single
bytes), CRLF line endings, dd/mm/yyyy dates, categories SUSP/PERM.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import xlsxwriter

from synth.config import census_date
from synth.writers.common import DEFECT, FeedStyle, bad_date_text, headers, render, write_delimited

CENSUS = FeedStyle(
    "education_census",
    "xlsx",
    variants={"sen_provision": {"N": "None", "K": "SEN Support", "E": "EHC Plan"}},
    unknown_codes={"sex": "X"},
    keep_dates=True,
)
EXCLUSIONS = FeedStyle(
    "education_exclusions",
    "csv",
    variants={"category": {"suspension": "SUSP", "permanent": "PERM"}},
    unknown_codes={"reason_code": "ZZ"},
)
CENSUS_SHEET = "Census"
_TERM = {1: "Spring", 5: "Summer", 10: "Autumn"}


def order_census(frame: pl.DataFrame) -> pl.DataFrame:
    """School by school, pupils alphabetically, as the LA's report lists them."""
    return frame.sort(["school_urn", "surname", "forenames", "upn"])


def order_exclusions(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(["_sort", "upn"])


def write_census(frame: pl.DataFrame, path: Path, period: str, authority: str) -> None:
    """Write the census workbook. Deterministic: fixed document dates, rows in frame order."""
    rendered = render(frame, CENSUS)
    names = rendered.columns
    header_row = headers(CENSUS, names)
    day = census_date(period)
    workbook = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    # The document's creation time would otherwise be the wall clock, breaking byte-identical reruns.
    created = dt.datetime.combine(day + dt.timedelta(days=5), dt.time(9, 0))
    workbook.set_properties(
        {
            "title": f"School census {_TERM[int(period[5:])]} {period[:4]}",
            "author": f"{authority} Children's Services",
            "created": created,
        }
    )
    sheet = workbook.add_worksheet(CENSUS_SHEET)
    bold = workbook.add_format({"bold": True})
    date_format = workbook.add_format({"num_format": "dd/mm/yyyy"})
    sheet.write_string(
        0, 0, f"{authority} Council - School Census {_TERM[int(period[5:])]} term {period[:4]}", bold
    )
    sheet.write_string(
        1, 0, f"Census day: {day:%d/%m/%Y}. Pupils on roll at maintained schools and academies."
    )
    sheet.write_string(2, 0, "OFFICIAL-SENSITIVE. Produced by the Children's Services Information Team.")
    for c, name in enumerate(names):
        sheet.write_string(3, c, header_row[name], bold)
    columns = [rendered[name].to_list() for name in names]
    dob_col = names.index("date_of_birth")
    dob_format = CENSUS.contract.column("date_of_birth").date_format or "%d/%m/%Y"
    defects = frame[DEFECT].to_list() if DEFECT in frame.columns else [None] * frame.height
    for r in range(rendered.height):
        row = 4 + r
        for c in range(len(names)):
            value = columns[c][r]
            if value is None:
                continue
            if isinstance(value, dt.date):
                if c == dob_col and defects[r] == "bad_date:date_of_birth":
                    sheet.write_string(row, c, bad_date_text(dob_format, value.year, r))
                else:
                    sheet.write_datetime(row, c, dt.datetime.combine(value, dt.time()), date_format)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                sheet.write_number(row, c, value)
            else:
                sheet.write_string(row, c, str(value))
    sheet.set_column(0, len(names) - 1, 14)
    workbook.close()


def write_exclusions(frame: pl.DataFrame, path: Path) -> None:
    write_delimited(
        render(frame, EXCLUSIONS), EXCLUSIONS, path, separator=";", encoding="cp1252", line_terminator="\r\n"
    )
