"""The analyst's journey in a real browser: headless Chromium on the Dagster UI of a real `dagster dev`.

The analyst opens the asset lineage and sees a group per partner; a police file is waiting in its drop zone;
the analyst opens the police nominals asset, presses Materialize, follows the launched run and sees it
succeed. The file is then in the lake. Screenshots go to `test-output/` (git-ignored) whatever the outcome.

Needs Debian's Chromium (`apt-get install -y chromium`): Playwright's own browser download cannot work here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Final

import pytest
from playwright.sync_api import Page, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from ingestors.lake import bronze_table, read_table
from storage import LANDING, StorageSettings, Store, open_store
from tests.conftest import TEST_KEY_HEX
from tests.e2e.dagster_dev import (
    DagsterDev,
    dagster_dev_env,
    prepare_dbt_project,
    run_dagster_dev,
    write_instance_config,
)
from tests.ingestion_helpers import nominals_csv
from vrlake.paths import repo_root

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

CHROMIUM: Final = Path("/usr/bin/chromium")
CHROMIUM_ARGS: Final = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PARTNER_GROUPS: Final = ("partner_police", "partner_probation", "partner_education", "partner_health")
WAITING_FILE: Final = "police/police_nominals_2026-10.csv"
WAITING_ROWS: Final = 3
UI_TIMEOUT_MS: Final = 60_000
RUN_TIMEOUT_MS: Final = 420_000  # run worker + intake step + check step, each importing the code location
SCREENSHOTS: Final = repo_root() / "test-output"


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DagsterDev, Store]]:
    """`dagster dev` on a fresh local-backend lake, with the police drop-zone and automation sensors off."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get update && apt-get install -y chromium")
    root = tmp_path_factory.mktemp("e2e-ui")
    dagster_home = root / "dagster-home"
    write_instance_config(dagster_home)
    env = dagster_dev_env(
        dagster_home=dagster_home,
        dbt_project=prepare_dbt_project(root / "dbt_project"),
        overrides={"VRLAKE_HOME": str(root / "vrlake-home"), "VRLAKE_PSEUDONYMISATION_KEY": TEST_KEY_HEX},
    )
    store = open_store(StorageSettings.from_env(env))
    store.ensure_zones()
    with run_dagster_dev(env, root / "dagster-dev.log") as dev:
        # The analyst runs the intake by hand here, so the police sensor must not take the file first, and
        # automation must not start dbt on a lake without reference data (as the sensor toggles in the UI do).
        dev.stop_sensor("police_drop_zone_sensor")
        dev.stop_sensor("marts_refresh_automation")
        store.write_text(LANDING, WAITING_FILE, nominals_csv(WAITING_ROWS))
        yield dev, store


def test_analyst_sees_partner_groups_and_materialises_from_the_ui(ui: tuple[DagsterDev, Store]) -> None:
    dev, store = ui
    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.set_default_timeout(UI_TIMEOUT_MS)
        try:
            # The asset lineage: one collapsed group per partner in the graph.
            page.goto(f"{dev.url}/asset-groups")
            dismiss_welcome_dialog(page)
            for group in PARTNER_GROUPS:
                expect(page.locator(f'foreignObject.group [data-tooltip="{group}"]')).to_be_visible()
            page.screenshot(path=str(SCREENSHOTS / "dagster-ui-asset-groups.png"))

            # The police nominals asset, materialised from its page.
            page.goto(f"{dev.url}/assets/bronze/police_nominals")
            dismiss_welcome_dialog(page)
            expect(page.get_by_text("partner_police").first).to_be_visible()
            page.locator("button", has_text="Materialize").first.click()
            toast = page.locator("[data-sonner-toast]", has_text="Launched run")
            expect(toast).to_be_visible()
            toast.get_by_role("link", name="View").click()
            page.wait_for_url("**/runs/**")
            run_id = page.url.split("/runs/", 1)[1].split("?", 1)[0].rstrip("/")

            # The run page turns to Success on its own (the UI polls), and the run log says so.
            expect(page.get_by_text("RUN_SUCCESS").first).to_be_visible(timeout=RUN_TIMEOUT_MS)
            expect(page.get_by_text("Success", exact=True).first).to_be_visible()
            page.screenshot(path=str(SCREENSHOTS / "dagster-ui-run-success.png"))
        except Exception:
            page.screenshot(path=str(SCREENSHOTS / "dagster-ui-failure.png"))
            raise
        finally:
            browser.close()

    run = dev.wait_for_run(run_id, timeout=30)
    assert run["status"] == "SUCCESS", dev.run_failures(run_id)
    assert {"key": "dagster/from_ui", "value": "true"} in run["tags"]
    assert read_table(store, bronze_table("police_nominals")).height == WAITING_ROWS
    assert store.list(LANDING) == [], "the delivered file was ingested and archived"


def dismiss_welcome_dialog(page: Page) -> None:
    """Dagster shows a one-off 'Join the Dagster community' dialog on a fresh browser profile; skip it."""
    skip = page.get_by_role("button", name="Skip")
    try:
        skip.wait_for(state="visible", timeout=5_000)
    except PlaywrightTimeoutError:
        return  # no dialog this time
    skip.click()
