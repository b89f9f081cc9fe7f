"""`vrlake governance` renders the data-sharing register from the agreement files ingestion enforces."""

from __future__ import annotations

import datetime as dt

import pytest
from typer.testing import CliRunner

from privacy.agreement import load_agreements
from privacy.governance import REGISTER_HTML, REGISTER_MARKDOWN, render_register
from storage import Store
from vrlake.cli import app


def test_register_says_who_shares_what_why_how_protected_and_where_it_flows() -> None:
    register = render_register(dt.date(2026, 11, 1))[REGISTER_MARKDOWN]
    for agreement in load_agreements().values():
        assert agreement.agreement_id in register and agreement.parties.provider.name in register
        assert agreement.lawful_basis[0] in register
    assert "| `nhs_number` | direct identifier | pseudonymise | keyed pseudonym (HMAC-SHA256)" in register
    assert "| `mo_text` | content | drop | dropped on arrival, never stored |" in register
    assert "L3: person-level pseudonymised extracts" in register and "Signed for the provider" in register


def test_register_marks_an_expired_agreement() -> None:
    html = render_register(dt.date(2030, 1, 1))[REGISTER_HTML]
    assert "NOT IN FORCE" in html and "REVIEW DUE" in html


@pytest.mark.parametrize("vrlake_env", ["local"], indirect=True)
def test_governance_command_writes_the_register_to_the_reports_zone(vrlake_env: Store) -> None:
    result = CliRunner().invoke(app, ["governance"])
    assert result.exit_code == 0, result.output
    written = {o.path for o in vrlake_env.list("reports", "governance/")}
    assert written == {f"governance/{REGISTER_HTML}", f"governance/{REGISTER_MARKDOWN}"}
