"""Read a partner file into an all-text frame, exactly as delivered.

Every reader returns every cell as text (or null when empty) plus `_row_number`, the 1-based position of the record
among the file's data rows. Typing happens later, against the contract, so a value that does not fit is rejected
with a reason instead of being coerced or guessed. Anything that makes the whole file unusable raises
`FileRejected` with an explanation a partner can act on.
"""

from __future__ import annotations

import codecs
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ingestors.contract import FeedContract, header_key
from ingestors.errors import FileRejected, QuarantineReason

ROW_NUMBER = "_row_number"
CSV_DELIMITERS = (",", ";", "|", "\t")
CSV_EXTENSIONS = (".csv", ".txt", ".tsv")
XLSX_EXTENSIONS = (".xlsx", ".xlsm")
JSONL_EXTENSIONS = (".jsonl", ".ndjson", ".json")
C1_CONTROLS = re.compile("[\x80-\x9f]")
MIDNIGHT_DATETIME = r"^(\d{4}-\d{2}-\d{2})[ T]00:00:00(?:\.0+)?$"


@dataclass(frozen=True)
class RawTable:
    """A delivered file as text. `frame` holds the partner's own headers plus `_row_number`."""

    frame: pl.DataFrame
    file_format: str
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    header_line: int = 1
    malformed_rows: pl.DataFrame | None = None  # `_row_number`, `message`: records that could not be parsed at all

    @property
    def headers(self) -> list[str]:
        return [c for c in self.frame.columns if c != ROW_NUMBER]


def file_format_of(name: str) -> str:
    """The format implied by a file name's extension, or raise `FileRejected`."""
    lower = name.lower()
    if lower.endswith(CSV_EXTENSIONS):
        return "csv"
    if lower.endswith(XLSX_EXTENSIONS):
        return "xlsx"
    if lower.endswith(JSONL_EXTENSIONS):
        return "jsonl"
    raise FileRejected(
        QuarantineReason.UNSUPPORTED_FORMAT,
        f"'{name}' is not a format vrlake accepts. Send CSV (.csv), Excel (.xlsx) or JSON lines (.jsonl).",
    )


def read_delivery(path: Path, name: str, contracts: Iterable[FeedContract] = ()) -> RawTable:
    """Read the file at `path` (delivered as `name`). `contracts` help find the header row in a workbook."""
    if path.stat().st_size == 0:
        raise FileRejected(QuarantineReason.EMPTY, f"'{name}' is empty (0 bytes). Please re-send the extract.")
    file_format = file_format_of(name)
    if file_format == "csv":
        return read_csv(path, name)
    if file_format == "xlsx":
        return read_xlsx(path, name, tuple(contracts))
    return read_jsonl(path, name)


def decode_text(data: bytes, name: str) -> tuple[str, str]:
    """Decode partner text: UTF-8 with or without BOM, else Windows-1252 (what Excel on Windows writes)."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="strict"), "utf-8-sig"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        # C1 control characters never occur in real partner text, but Windows-1252 pairs such as 'Â' + 'Œ' are
        # valid UTF-8 for them: their presence means the file is Windows-1252 that happened to decode.
        if not C1_CONTROLS.search(text):
            return text, "utf-8"
    try:
        return data.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError as exc:
        raise FileRejected(
            QuarantineReason.UNREADABLE,
            f"'{name}' is neither UTF-8 nor Windows-1252 text (byte {exc.start} cannot be read). "
            "Save it as 'CSV UTF-8' and send it again.",
        ) from exc


def sniff_delimiter(header_line: str) -> str:
    """The delimiter that splits the header line into the most fields (quotes respected)."""
    unquoted = re.sub(r'"[^"]*"', "", header_line)
    counts = {d: unquoted.count(d) for d in CSV_DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def read_csv(path: Path, name: str) -> RawTable:
    text, encoding = decode_text(path.read_bytes(), name)
    if not text.strip():
        raise FileRejected(QuarantineReason.EMPTY, f"'{name}' contains no text. Please re-send the extract.")
    first_line = text.split("\n", 1)[0]
    delimiter = sniff_delimiter(first_line)
    try:
        frame = pl.read_csv(
            io.BytesIO(text.encode("utf-8")),
            separator=delimiter,
            infer_schema=False,
            has_header=True,
            quote_char='"',
        )
    except pl.exceptions.PolarsError as exc:
        raise FileRejected(
            QuarantineReason.UNREADABLE if text.endswith("\n") else QuarantineReason.TRUNCATED,
            f"'{name}' could not be read as delimited text ({_first_line(exc)}). This usually means an unclosed "
            "quote or a file cut off during transfer. Please re-export and send it again.",
        ) from exc
    if frame.height == 0:
        raise FileRejected(QuarantineReason.EMPTY, f"'{name}' has a header row but no data rows.")
    if not text.endswith(("\n", "\r")) and _last_record_is_short(frame):
        raise FileRejected(
            QuarantineReason.TRUNCATED,
            f"'{name}' ends in the middle of a record (the last line has fewer fields than the header and no line "
            "ending). The transfer was probably cut off; please send the complete file again.",
        )
    frame = _blank_to_null(frame).with_row_index(ROW_NUMBER, offset=1).with_columns(pl.col(ROW_NUMBER).cast(pl.Int64))
    return RawTable(frame=frame, file_format="csv", encoding=encoding, delimiter=delimiter)


def read_xlsx(path: Path, name: str, contracts: tuple[FeedContract, ...]) -> RawTable:
    """Read the sheet and header row that best match a contract; the header may sit below a title block."""
    import fastexcel  # imported here: only workbook deliveries pay for it

    try:
        workbook = fastexcel.read_excel(path)
    except Exception as exc:  # fastexcel raises its own error types for corrupt workbooks
        raise FileRejected(
            QuarantineReason.UNREADABLE,
            f"'{name}' could not be opened as an Excel workbook ({_first_line(exc)}). Save it as .xlsx and re-send.",
        ) from exc
    wanted_sheets = [s for c in contracts for s in c.xlsx.sheet_names]
    search_rows = max((c.xlsx.header_search_rows for c in contracts), default=10)
    known_headers = {k for c in contracts for col in c.columns for k in col.header_keys}
    ordered = sorted(workbook.sheet_names, key=lambda s: (s not in wanted_sheets, workbook.sheet_names.index(s)))
    best: tuple[int, str, int] | None = None
    for sheet in ordered:
        preview = workbook.load_sheet(sheet, header_row=None, n_rows=search_rows).to_polars()
        for row_index, row in enumerate(preview.iter_rows()):
            score = sum(1 for cell in row if cell is not None and header_key(str(cell)) in known_headers)
            if best is None or score > best[0]:
                best = (score, sheet, row_index)
    if best is None or best[0] < 2:
        raise FileRejected(
            QuarantineReason.WRONG_SHEET,
            f"None of the sheets in '{name}' ({', '.join(workbook.sheet_names)}) has the expected header row in its "
            f"first {search_rows} rows. Put the data on a sheet named "
            f"{' or '.join(repr(s) for s in wanted_sheets) or 'Census'} with one header row.",
        )
    _, sheet, header_row = best
    frame = workbook.load_sheet(sheet, header_row=header_row).to_polars()
    frame = _cells_to_text(frame)
    frame = frame.filter(~pl.all_horizontal(pl.all().is_null()))
    if frame.height == 0:
        raise FileRejected(QuarantineReason.EMPTY, f"Sheet '{sheet}' of '{name}' has a header but no data rows.")
    frame = frame.with_row_index(ROW_NUMBER, offset=1).with_columns(pl.col(ROW_NUMBER).cast(pl.Int64))
    return RawTable(frame=frame, file_format="xlsx", sheet=sheet, header_line=header_row + 1)


def read_jsonl(path: Path, name: str) -> RawTable:
    """One JSON object per line. A line that is not a JSON object is kept as a malformed row, never dropped."""
    text, encoding = decode_text(path.read_bytes(), name)
    records: list[dict[str, str | None]] = []
    row_numbers: list[int] = []
    malformed: list[tuple[int, str]] = []
    keys: dict[str, None] = {}
    record_number = 0
    for line in text.splitlines():
        if not line.strip():
            continue
        record_number += 1
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            malformed.append((record_number, f"not valid JSON ({exc.msg})"))
            continue
        if not isinstance(value, dict):
            malformed.append((record_number, "not a JSON object"))
            continue
        record = {str(k): _json_cell(v) for k, v in value.items()}
        keys.update(dict.fromkeys(record))
        records.append(record)
        row_numbers.append(record_number)
    if record_number == 0:
        raise FileRejected(QuarantineReason.EMPTY, f"'{name}' contains no records.")
    if not records:
        raise FileRejected(
            QuarantineReason.UNREADABLE, f"No line of '{name}' is a JSON object. Send one JSON object per line."
        )
    columns = list(keys)
    frame = pl.DataFrame(
        {col: [r.get(col) for r in records] for col in columns}, schema={c: pl.String for c in columns}
    ).with_columns(pl.Series(ROW_NUMBER, row_numbers, dtype=pl.Int64))
    frame = _blank_to_null(frame.select(ROW_NUMBER, *columns))
    malformed_frame = pl.DataFrame(
        {ROW_NUMBER: [m[0] for m in malformed], "message": [m[1] for m in malformed]},
        schema={ROW_NUMBER: pl.Int64, "message": pl.String},
    )
    return RawTable(frame=frame, file_format="jsonl", encoding=encoding, malformed_rows=malformed_frame)


def _json_cell(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        # Lists (e.g. probation registers) travel as one text cell; the contract declares the separator.
        return ";".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return str(value)


def _cells_to_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Workbook cells to text: real dates become ISO dates, whole numbers lose their '.0'."""
    exprs = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if dtype == pl.Datetime or isinstance(dtype, pl.Datetime):
            expr = (
                pl.when(col.dt.time() == pl.time(0))
                .then(col.dt.strftime("%Y-%m-%d"))
                .otherwise(col.dt.strftime("%Y-%m-%dT%H:%M:%S"))
            )
        elif dtype == pl.Date:
            expr = col.dt.strftime("%Y-%m-%d")
        elif dtype.is_float():
            expr = pl.when(col == col.round(0)).then(col.cast(pl.Int64).cast(pl.String)).otherwise(col.cast(pl.String))
        else:
            # A column mixing dates with other cells arrives as text; a midnight date-time there is a date cell.
            expr = col.cast(pl.String).str.replace(MIDNIGHT_DATETIME, "$1")
        exprs.append(expr.alias(str(name)))
    return _blank_to_null(frame.select(exprs))


def _blank_to_null(frame: pl.DataFrame) -> pl.DataFrame:
    text_columns = [c for c, t in frame.schema.items() if t == pl.String]
    return frame.with_columns(
        pl.when(pl.col(c).str.strip_chars() == "").then(None).otherwise(pl.col(c)).alias(c) for c in text_columns
    )


def _last_record_is_short(frame: pl.DataFrame) -> bool:
    last = frame.row(-1)
    return len(last) > 1 and last[-1] is None


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
