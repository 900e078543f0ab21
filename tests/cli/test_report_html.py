"""The HTML report: one self-contained page, drawn by a real headless browser."""

from __future__ import annotations

import io
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.cli.helpers import run


def _browser() -> tuple[str, str] | None:
    """(chromium binary, chromedriver) when both are installed."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (binary, driver) if binary and driver else None


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The page `demo --html` writes for the golden seed."""
    target = tmp_path_factory.mktemp("html") / "report.html"
    result = run("demo", "--leads", "40", "--seed", "3", "--html", target)
    assert result.returncode == 0, result.stderr
    return target


class TestPage:
    def test_self_contained(self, page: Path) -> None:
        """The page loads nothing from elsewhere: no script, link, image file or URL."""
        text = page.read_text(encoding="utf-8")
        for outside in ("<script", "<link", "<img", "http://", "https://", "src="):
            if outside == "http://":
                text_wo_ns = text.replace('xmlns="http://www.w3.org/2000/svg"', "")
                assert outside not in text_wo_ns
            else:
                assert outside not in text, outside

    def test_three_charts_are_well_formed_svg(self, page: Path) -> None:
        """The funnel, SLA attainment and threshold sweep are inline SVG that parses."""
        text = page.read_text(encoding="utf-8")
        charts = [c.split("</svg>")[0] + "</svg>" for c in text.split("<svg")[1:]]
        assert len(charts) == 3
        titles = [
            ET.fromstring("<svg" + c).findtext("{http://www.w3.org/2000/svg}title") for c in charts
        ]
        assert titles[0] == "Leads reaching each stage"
        assert titles[1] == "SLA attainment per policy"
        assert titles[2].startswith("Threshold back-test")

    def test_sample_sizes_on_the_sweep(self, page: Path) -> None:
        """Every threshold bar of the sweep says how many leads it stands on (n=...)."""
        sweep = page.read_text(encoding="utf-8").split("<svg")[3]
        assert sweep.count("n=") >= 3

    def test_says_the_data_is_simulated(self, page: Path) -> None:
        """The page names the seed and lead count of the demo it shows."""
        assert "The demo with seed 3 and 40 leads" in page.read_text(encoding="utf-8")


class TestInABrowser:
    def test_renders_without_console_errors(self, page: Path, tmp_path: Path) -> None:
        """Headless Chromium draws the page: a screenshot with content, no console error."""
        found = _browser()
        if found is None:
            pytest.skip(
                "no chromium and chromedriver on PATH (apt-get install chromium chromium-driver)"
            )
        webdriver = pytest.importorskip("selenium.webdriver", reason="selenium not installed")
        image = pytest.importorskip("PIL.Image", reason="Pillow not installed")
        options = webdriver.ChromeOptions()
        options.binary_location = found[0]
        for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=900,1400"):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        service = webdriver.ChromeService(executable_path=found[1])
        driver = webdriver.Chrome(options=options, service=service)
        try:
            driver.get(page.as_uri())
            assert driver.title.startswith("Lead pipeline report")
            svgs = driver.find_elements("tag name", "svg")
            assert len(svgs) == 3
            assert all(s.size["height"] > 50 and s.size["width"] > 300 for s in svgs)
            shot = image.open(io.BytesIO(driver.get_screenshot_as_png())).convert("RGB")
            errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        finally:
            driver.quit()
        assert errors == []
        colours = shot.getcolors(maxcolors=1_000_000)
        assert colours is not None
        assert len(colours) > 20  # bars, text and background, not a blank page
        white = max(colours)[0] / (shot.width * shot.height)
        assert white < 0.95
