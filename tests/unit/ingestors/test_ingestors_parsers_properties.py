"""Property-based tests for the parts of ingestion that parse partner text."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from ingestors.contract import header_key, load_contracts
from ingestors.readers import CSV_DELIMITERS, decode_text, read_csv, sniff_delimiter

field_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=12
).filter(lambda s: s.strip() == s and s.strip() != "")
header_name = st.from_regex(r"[A-Za-z][A-Za-z0-9_ ]{0,10}[A-Za-z0-9]", fullmatch=True)


@given(st.lists(header_name, min_size=2, max_size=8, unique=True), st.sampled_from(CSV_DELIMITERS))
def test_sniffed_delimiter_is_the_one_used(headers: list[str], delimiter: str) -> None:
    assert sniff_delimiter(delimiter.join(headers)) == delimiter


# Any encodable text except C1 controls (see the Windows-1252 note below) and a leading U+FEFF, which is a BOM.
UTF8_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\ufeff" + "".join(map(chr, range(0x80, 0xA0)))),
    max_size=200,
)


@given(UTF8_TEXT, st.booleans())
def test_utf8_with_or_without_bom_round_trips(text: str, bom: bool) -> None:
    data = ("\ufeff" if bom else "").encode() + text.encode("utf-8")
    decoded, _ = decode_text(data, "f.csv")
    assert decoded == text


# Windows-1252 text is recognised whenever a non-ASCII character is followed by an ASCII one (as in every real
# name, e.g. "Chloé Ó Súilleabháin"): such bytes are invalid UTF-8. Two adjacent non-ASCII characters can form
# valid UTF-8 ("ÃŒ" is C3 8C), which no detector can tell apart, so the property is stated for realistic text.
ACCENTED = list("éèëêóòöôáàäâíïúüçñøåæÉÓÖŒœ‘’–£€")
realistic_cp1252 = st.lists(
    st.tuples(st.sampled_from(["", *ACCENTED]), st.sampled_from(list("abcdefghijklmnopqrstuvwxyz ABCXYZ-'0123"))),
    max_size=60,
).map(lambda pairs: "".join(accent + ascii_char for accent, ascii_char in pairs))


@given(realistic_cp1252)
def test_windows_1252_text_round_trips(text: str) -> None:
    data = text.encode("cp1252")
    decoded, _ = decode_text(data, "f.csv")
    assert decoded == text


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.lists(field_text, min_size=3, max_size=3), min_size=1, max_size=15),
    st.sampled_from(CSV_DELIMITERS),
    st.booleans(),
)
def test_csv_cells_survive_any_delimiter_and_quoting(rows: list[list[str]], delimiter: str, newline_in_cell: bool) -> None:
    if newline_in_cell:
        rows[0][1] = rows[0][1] + "\nsecond line"
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    writer.writerow(["alpha", "beta", "gamma"])
    writer.writerows(rows)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.csv"
        path.write_text(buffer.getvalue(), encoding="utf-8")
        table = read_csv(path, "x.csv")
    assert table.delimiter == delimiter
    assert table.frame.select("alpha", "beta", "gamma").rows() == [tuple(r) for r in rows]
    assert table.frame.get_column("_row_number").to_list() == list(range(1, len(rows) + 1))


@given(st.sampled_from([a for c in load_contracts().values() for col in c.columns for a in col.aliases]),
       st.sampled_from([str.upper, str.lower, lambda s: f" {s} ", lambda s: s.replace(" ", "_")]))
def test_partner_header_variants_match_their_alias(alias: str, variant) -> None:
    assert header_key(variant(alias)) == header_key(alias)


def test_blank_cells_become_null_not_empty_text(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1, \n2,x\n")
    assert read_csv(path, "x.csv").frame.get_column("b").to_list() == [None, "x"]
