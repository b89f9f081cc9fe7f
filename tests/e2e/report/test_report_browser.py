"""The JSNA report in a real browser: headless Chromium (Debian's `chromium` package) opens the report from disk with
the network off, every chart draws, key headings are there, and the page is not blank. The screenshot is kept in
test-output/ for a person to look at.

Needs /usr/bin/chromium (`apt-get install -y chromium`); Playwright's own browser download cannot work here.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Final

import pytest

from publishing.report import REPORT_PATH, REPORTS_ZONE
from tests.integration.publishing.synthetic_pipeline import published_scenario

CHROMIUM: Final = Path("/usr/bin/chromium")
CHROMIUM_ARGS: Final = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
HEADINGS: Final = (
    "Serious violence: joint strategic needs assessment",
    "Data sources: what is missing or out of date",
    "Trends: violence month by month",
    "Area ranking",
    "The ED-police gap",
    "Risk and protective factors",
    "Which agencies know the people affected",
    "Data quality by partner",
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is not installed (apt-get install chromium)"
    ),
]


@pytest.fixture(scope="module")
def report_file(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("report-browser")
    store = published_scenario(root, pytestconfig.rootpath, pytestconfig.rootpath / "dbt_project")
    path = root / "jsna_report.html"
    path.write_bytes(store.read_bytes(REPORTS_ZONE, REPORT_PATH))
    return path


def test_report_renders_its_charts_offline(report_file: Path, pytestconfig: pytest.Config) -> None:
    from playwright.sync_api import sync_playwright

    output = pytestconfig.rootpath / "test-output"
    output.mkdir(exist_ok=True)
    screenshot = output / "jsna_report.png"
    requests: list[str] = []
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1200, "height": 900}, offline=True)
            page = context.new_page()
            page.on("request", lambda request: requests.append(request.url))
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(report_file.as_uri())
            page.wait_for_function(
                "document.querySelectorAll('figure.chart[data-rendered=\"pending\"]').length === 0",
                timeout=60_000,
            )
            states = page.eval_on_selector_all(
                "figure.chart",
                "figures => figures.map(f => [f.id, f.dataset.rendered, f.querySelectorAll('svg path, svg rect, svg line').length])",
            )
            headings = page.eval_on_selector_all("h1, h2", "nodes => nodes.map(n => n.textContent.trim())")
            versions = page.evaluate("[vega.version, vegaLite.version, vegaEmbed.version]")
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()

    assert errors == []
    assert [url for url in requests if not url.startswith("file://")] == []
    assert len(states) == 9
    for chart_id, state, marks in states:
        assert state == "true", f"{chart_id} did not render"
        assert marks > 5, f"{chart_id} drew {marks} marks"
    for heading in HEADINGS:
        assert heading in headings
    assert [version.split(".")[0] for version in versions] == ["6", "6", "7"]
    assert_not_blank(screenshot)


def assert_not_blank(png: Path) -> None:
    """Many distinct byte patterns across the decoded image: charts and text, not an empty white canvas.

    Decoded with the standard library (no imaging package is a dependency): a blank page's filtered scanlines are
    almost all identical bytes.
    """
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width >= 1000 and height > 3000, (width, height)
    chunks, position = [], 8
    while position < len(data):
        length = struct.unpack(">I", data[position : position + 4])[0]
        kind = data[position + 4 : position + 8]
        if kind == b"IDAT":
            chunks.append(data[position + 8 : position + 8 + length])
        position += 12 + length
    pixels = zlib.decompress(b"".join(chunks))
    distinct = len({pixels[i : i + 3] for i in range(0, min(len(pixels), 3_000_000), 997)})
    assert distinct > 50, f"only {distinct} distinct colours sampled: the page looks blank"
