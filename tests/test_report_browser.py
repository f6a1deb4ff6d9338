"""The report site in headless Chromium (Debian's chromium and chromium-driver, driven by
selenium; offline: the driver is given by path, nothing is downloaded): each page kind loads
from a file:// URL, its charts are drawn with the expected shapes, the browser logs no error
(a Content-Security-Policy violation would be one), and its screenshot is not blank.

Skipped, with the reason, only where Chromium cannot be installed; ``.ci/run`` installs it."""

from __future__ import annotations

import os
import shutil
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli_helpers import run_cli
from tests.report_helpers import COMMITS, HOSTILE_SUBJECT, hostile_result, make_history

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or DRIVER is None,
    reason="Chromium is not installed (apt-get install chromium chromium-driver; .ci/run does)",
)


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and the rows of an 8-bit RGB or RGBA PNG, unfiltered (a screenshot's)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    at, chunks, header = 8, [], b""
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        at += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
    size = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * size
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - size] if i >= size else 0
            up = previous[i]
            corner = previous[i - size] if i >= size else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + pred) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, [bytes(r[i] for i in range(len(r)) if i % size < 3) for r in rows]


def colours(png: bytes) -> int:
    """Distinct colours in a screenshot (sampled every 3rd pixel of every 3rd row)."""
    width, _, rows = png_pixels(png)
    seen = set()
    for row in rows[::3]:
        for x in range(0, width, 3):
            seen.add(row[x * 3 : x * 3 + 3])
    return len(seen)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo, _ = make_history(tmp_path_factory.mktemp("browser"))
    folder = tmp_path_factory.mktemp("site") / "site"
    hostile = hostile_result(tmp_path_factory.mktemp("results") / "hostile.json")
    with pytest.MonkeyPatch.context() as env:
        env.chdir(repo)
        code, out, err = run_cli(
            "report", "--html", str(folder), str(hostile), "--commit-url", "https://x.invalid/{sha}"
        )
    assert code == 0, out + err
    return folder


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must never download a driver
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI containers run as root
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--window-size=1100,900",
        "--no-first-run",
        "--disable-extensions",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(DRIVER)))
    try:
        yield driver
    finally:
        driver.quit()


def load(browser: Any, page: Path) -> list[dict[str, Any]]:
    """Open ``page``; the browser's log entries of that load."""
    browser.get_log("browser")  # drop what earlier pages logged
    browser.get(page.as_uri())
    assert browser.execute_script("return document.readyState") == "complete"
    return list(browser.get_log("browser"))


def count(browser: Any, selector: str) -> int:
    return int(browser.execute_script(f"return document.querySelectorAll({selector!r}).length"))


def assert_clean(browser: Any, logs: list[dict[str, Any]]) -> None:
    errors = [e for e in logs if e.get("level") in ("SEVERE", "ERROR")]
    assert not errors, errors
    shot = browser.get_screenshot_as_png()
    assert colours(shot) > 20, "the screenshot is (nearly) one colour"


def test_index(browser: Any, site: Path) -> None:
    logs = load(browser, site / "index.html")
    assert count(browser, "table.objectives tr.objective") == 3
    assert count(browser, "a.trend-link") == 3
    assert count(browser, "a.run-link") == 6
    assert browser.execute_script("return document.title").startswith("Performance report")
    assert_clean(browser, logs)


def test_trend_page(browser: Any, site: Path) -> None:
    logs = load(browser, site / "trend-1-2.html")
    assert count(browser, "svg.chart.trend") == 1
    assert count(browser, "svg circle.point") == COMMITS
    assert count(browser, "svg circle.point.regression") >= 1
    assert count(browser, "svg circle.point.outlier") >= 1
    assert count(browser, "svg polygon.band") >= 1
    assert count(browser, "svg path.forecast") >= 1
    assert count(browser, "svg line.limit") == 2
    assert count(browser, "svg line.change") >= 1
    assert count(browser, "svg circle.next") == 1
    # drawn, not just present: the chart has a real size and its points are inside it
    box = browser.execute_script(
        "const b = document.querySelector('svg.chart').getBoundingClientRect();"
        "return [b.width, b.height];"
    )
    assert box[0] > 300 and box[1] > 100, box
    # the hostile subject is text in the table, and no element came out of it
    subjects = browser.execute_script(
        "return [...document.querySelectorAll('td.subject')].map(e => e.textContent)"
    )
    assert HOSTILE_SUBJECT in subjects
    assert count(browser, "script") == 0 and count(browser, "img") == 0
    assert_clean(browser, logs)


def test_run_page(browser: Any, site: Path) -> None:
    for page in ("run-1.html", "file-1.html"):
        logs = load(browser, site / page)
        assert count(browser, "svg.chart.run") == 3  # latency percentiles, request rate, VUs
        assert count(browser, "svg.chart.run path.series") == 3 + 2 + 1
        lengths = browser.execute_script(
            "return [...document.querySelectorAll('path.series')].map(p => p.getTotalLength())"
        )
        assert all(length > 100 for length in lengths), lengths
        assert count(browser, "table.failures tr") >= 2
        assert count(browser, "table.checks tr") >= 3
        assert count(browser, "table.health tr") >= 5
        assert count(browser, "img") == 0 and count(browser, "script") == 0
        assert_clean(browser, logs)


def test_the_checks_see_a_broken_page(browser: Any, tmp_path: Path) -> None:
    """The checks above can fail: an inline script under the site's policy is refused and
    logged as an error, and a blank page has one colour."""
    base = Path(__file__).parent.parent / "peac/report/templates/site/base.html.j2"
    policy = next(line for line in base.read_text().splitlines() if "Security-Policy" in line)
    page = tmp_path / "broken.html"
    page.write_text(f"<!DOCTYPE html><html><head>{policy}</head><body><script>1</script></body>")
    logs = load(browser, page)
    refused = [e for e in logs if "Content Security Policy" in e["message"]]
    assert refused and refused[0]["level"] == "SEVERE", logs
    assert colours(browser.get_screenshot_as_png()) <= 2
