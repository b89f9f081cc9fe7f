"""The routine identifier check finds identifier-shaped cells and ignores pseudonymised and coarsened values."""

from __future__ import annotations

import polars as pl

from privacy.leak_scan import identifier_shaped_cells


def test_pseudonymised_and_coarsened_values_pass() -> None:
    clean = pl.DataFrame({
        "nhs_number_token": ["9991408916aa" + "0" * 20, "3fa2c9e1b6d04477a1c2e3f405162738"],
        "postcode_lsoa": ["E01000001", None],
        "birth_year_month": ["2005-02", "1999-12"],
    })
    assert identifier_shaped_cells(clean) == {}


def test_a_leaked_nhs_number_postcode_upn_or_pnc_id_is_found() -> None:
    leaked = pl.DataFrame({
        "note": ["999 140 8916", "ok"],
        "home": ["LS1 4AP", "LS2 7EW"],
        "pupil": ["E937103325261", None],
        "pnc": ["2010/6368887E", "x"],
    })
    assert identifier_shaped_cells(leaked) == {"note": 1, "home": 2, "pupil": 1, "pnc": 1}
