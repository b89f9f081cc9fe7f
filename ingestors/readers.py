"""Read a partner file into an all-text frame, exactly as delivered.

Every reader returns every cell as text (or null when empty) plus `_row_number`, the 1-based position of the record
among the file's data rows. Typing happens later, against the contract, so a value that does not fit is rejected
with a reason instead of being coerced or guessed. Anything that makes the whole file unusable raises
`FileRejected` with an explanation a partner can act on.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ingestors.contract import FeedContract, header_key
from ingestors.errors import FileRejected, QuarantineReason

ROW_NUMBER = "_row_number"
CSV_DELIMITERS = (",", ";", "|", "\t")
BATCH_ROWS = 250_000  # records per batch: bounds ingestion memory whatever the file size
TEXT_CHUNK_BYTES = 8 * 1024 * 1024
CSV_EXTENSIONS = (".csv", ".txt", ".tsv")
XLSX_EXTENSIONS = (".xlsx", ".xlsm")
JSONL_EXTENSIONS = (".jsonl", ".ndjson", ".json")
C1_CONTROLS = re.compile("[\x80-\x9f]")
MIDNIGHT_DATETIME = r"^(\d{4}-\d{2}-\d{2})[ T]00:00:00(?:\.0+)?$"
DATETIME_WITH_SPACE = r"^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})$"


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


@dataclass(frozen=True)
class DeliveryReader:
    """A delivered file opened for reading in batches (CSV streams; workbooks and JSON lines arrive whole).

    Batches hold the partner's own headers as text columns plus `_row_number`; together they are every record.
    """

    headers: list[str]
    file_format: str
    batches: Callable[[], Iterator[pl.DataFrame]]
    header_line: int = 1
    malformed_rows: pl.DataFrame | None = None
    encoding: str | None = None
    delimiter: str | None = None


def open_delivery(
    path: Path, name: str, contracts: Iterable[FeedContract] = (), *, workdir: Path, batch_rows: int = BATCH_ROWS
) -> DeliveryReader:
    """Open the file at `path` (delivered as `name`). `workdir` holds a transcoded copy when one is needed."""
    if path.stat().st_size == 0:
        raise FileRejected(QuarantineReason.EMPTY, f"'{name}' is empty (0 bytes). Please re-send the extract.")
    file_format = file_format_of(name)
    if file_format == "csv":
        return open_csv(path, name, workdir=workdir, batch_rows=batch_rows)
    table = read_xlsx(path, name, tuple(contracts)) if file_format == "xlsx" else read_jsonl(path, name)
    return DeliveryReader(
        headers=table.headers,
        file_format=table.file_format,
        batches=lambda: iter([table.frame]),
        header_line=table.header_line,
        malformed_rows=table.malformed_rows,
    )


def read_delivery(path: Path, name: str, contracts: Iterable[FeedContract] = ()) -> RawTable:
    """The whole file at once (for small files, tests and tools); ingestion streams through `open_delivery`."""
    with tempfile.TemporaryDirectory() as work:
        reader = open_delivery(path, name, contracts, workdir=Path(work))
        frames = list(reader.batches())
    frame = pl.concat(frames) if frames else pl.DataFrame()
    return RawTable(
        frame,
        reader.file_format,
        encoding=reader.encoding,
        delimiter=reader.delimiter,
        header_line=reader.header_line,
        malformed_rows=reader.malformed_rows,
    )


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


def _utf8_copy(path: Path, name: str, workdir: Path) -> tuple[Path, str]:
    """A UTF-8 file with the same text: `path` itself when it already is UTF-8, else a streamed transcode."""
    with path.open("rb") as handle:
        bom = handle.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8
        handle.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := handle.read(TEXT_CHUNK_BYTES):
                if C1_CONTROLS.search(decoder.decode(chunk)):
                    raise UnicodeDecodeError("utf-8", b"", 0, 1, "C1 control character")
            decoder.decode(b"", final=True)
            return path, "utf-8-sig" if bom else "utf-8"
        except UnicodeDecodeError:
            pass
    target = workdir / "transcoded.csv"
    with path.open("rb") as source, target.open("w", encoding="utf-8", newline="") as sink:
        decoder = codecs.getincrementaldecoder("cp1252")()
        try:
            while chunk := source.read(TEXT_CHUNK_BYTES):
                sink.write(decoder.decode(chunk))
            sink.write(decoder.decode(b"", final=True))
        except UnicodeDecodeError as exc:
            raise FileRejected(
                QuarantineReason.UNREADABLE,
                f"'{name}' is neither UTF-8 nor Windows-1252 text (a byte cannot be read). "
                "Save it as 'CSV UTF-8' and send it again.",
            ) from exc
    return target, "windows-1252"


def open_csv(path: Path, name: str, *, workdir: Path, batch_rows: int = BATCH_ROWS) -> DeliveryReader:
    """Stream a delimited text file in batches of `batch_rows` records (memory bounded by the batch, not the file)."""
    utf8, encoding = _utf8_copy(path, name, workdir)
    with utf8.open("r", encoding="utf-8-sig", newline="") as handle:
        first_line = handle.readline().rstrip("\r\n")
    if not first_line.strip():
        raise FileRejected(QuarantineReason.EMPTY, f"'{name}' contains no header row. Please re-send the extract.")
    delimiter = sniff_delimiter(first_line)
    headers = next(csv.reader([first_line], delimiter=delimiter))
    ends_cleanly = _ends_with_newline(utf8)
    if not ends_cleanly and _last_line_is_short(utf8, delimiter, len(headers)):
        raise FileRejected(
            QuarantineReason.TRUNCATED,
            f"'{name}' ends in the middle of a record (the last line has fewer fields than the header and no line "
            "ending). The transfer was probably cut off; please send the complete file again.",
        )

    def batches() -> Iterator[pl.DataFrame]:
        scan = pl.scan_csv(
            utf8,
            separator=delimiter,
            infer_schema=False,
            has_header=True,
            quote_char='"',
            row_index_name=ROW_NUMBER,
            row_index_offset=1,
        )
        produced = 0
        try:
            for batch in scan.collect_batches(chunk_size=batch_rows):
                produced += batch.height
                yield _blank_to_null(batch.with_columns(pl.col(ROW_NUMBER).cast(pl.Int64)))
        except pl.exceptions.PolarsError as exc:
            raise FileRejected(
                QuarantineReason.UNREADABLE if ends_cleanly else QuarantineReason.TRUNCATED,
                f"'{name}' could not be read as delimited text ({_first_line(exc)}). This usually means an unclosed "
                "quote, a line with too many fields or a file cut off during transfer. Please re-export and send it "
                "again.",
            ) from exc
        if produced == 0:
            raise FileRejected(QuarantineReason.EMPTY, f"'{name}' has a header row but no data rows.")

    return DeliveryReader(
        headers=headers, file_format="csv", batches=batches, header_line=1, encoding=encoding, delimiter=delimiter
    )


def read_csv(path: Path, name: str) -> RawTable:
    """A whole CSV as one frame (same parser as the streaming path)."""
    with tempfile.TemporaryDirectory() as work:
        reader = open_csv(path, name, workdir=Path(work))
        frame = pl.concat(list(reader.batches()))
    return RawTable(frame=frame, file_format="csv", encoding=reader.encoding, delimiter=reader.delimiter)


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(0, 2)
        if handle.tell() == 0:
            return False
        handle.seek(-1, 2)
        return handle.read(1) in (b"\n", b"\r")


def _last_line_is_short(path: Path, delimiter: str, fields: int) -> bool:
    with path.open("rb") as handle:
        handle.seek(0, 2)
        handle.seek(max(0, handle.tell() - 65536))
        tail = handle.read().decode("utf-8", errors="ignore")
    last = tail.rsplit("\n", 1)[-1]
    parsed = next(csv.reader([last], delimiter=delimiter), [])
    return len(parsed) < fields


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
    best_cells: pl.DataFrame | None = None
    for sheet in ordered:
        # calamine parses a whole sheet for any read, even a ten-row preview (a 430,000-row census sheet: about
        # 4 s), so each sheet is parsed once, every cell as text; the header is found in it and the rows below
        # become the table. Text also means no cell is lost to a column type guessed from the first rows.
        cells = workbook.load_sheet(sheet, header_row=None, dtypes="string").to_polars()
        for row_index, row in enumerate(cells.head(search_rows).iter_rows()):
            score = sum(1 for cell in row if cell is not None and header_key(str(cell)) in known_headers)
            if best is None or score > best[0]:
                best, best_cells = (score, sheet, row_index), cells
    if best is None or best_cells is None or best[0] < 2:
        raise FileRejected(
            QuarantineReason.WRONG_SHEET,
            f"None of the sheets in '{name}' ({', '.join(workbook.sheet_names)}) has the expected header row in its "
            f"first {search_rows} rows. Put the data on a sheet named "
            f"{' or '.join(repr(s) for s in wanted_sheets) or 'Census'} with one header row.",
        )
    _, sheet, header_row = best
    frame = _below_header(best_cells, header_row)
    frame = _cells_to_text(frame)
    frame = frame.filter(~pl.all_horizontal(pl.all().is_null()))
    if frame.height == 0:
        raise FileRejected(QuarantineReason.EMPTY, f"Sheet '{sheet}' of '{name}' has a header but no data rows.")
    frame = frame.with_row_index(ROW_NUMBER, offset=1).with_columns(pl.col(ROW_NUMBER).cast(pl.Int64))
    return RawTable(frame=frame, file_format="xlsx", sheet=sheet, header_line=header_row + 1)


def _below_header(cells: pl.DataFrame, header_row: int) -> pl.DataFrame:
    """The rows below ``header_row``, named by it as fastexcel names a header: a blank heading becomes
    ``__UNNAMED__<position>``, a repeated one gets ``_1``, ``_2``, ... (so every column keeps its data)."""
    names: list[str] = []
    for position, heading in enumerate(cells.row(header_row)):
        base = f"__UNNAMED__{position}" if heading is None or not str(heading).strip() else str(heading)
        candidate, repeat = base, 0
        while candidate in names:
            repeat += 1
            candidate = f"{base}_{repeat}"
        names.append(candidate)
    return cells.slice(header_row + 1).rename(dict(zip(cells.columns, names, strict=True)))


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
    """Workbook cells, read as text (see read_xlsx), as a typed read would give them: a date cell (a midnight
    date-time) becomes an ISO date, any other date-time an ISO date-time; blanks become nulls."""
    return _blank_to_null(
        frame.select(
            pl.col(name)
            .cast(pl.String)
            .str.replace(MIDNIGHT_DATETIME, "$1")
            .str.replace(DATETIME_WITH_SPACE, "${1}T$2")
            .alias(str(name))
            for name in frame.columns
        )
    )


def _blank_to_null(frame: pl.DataFrame) -> pl.DataFrame:
    text_columns = [c for c, t in frame.schema.items() if t == pl.String]
    return frame.with_columns(
        pl.when(pl.col(c).str.strip_chars() == "").then(None).otherwise(pl.col(c)).alias(c) for c in text_columns
    )


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
