"""The report in a real headless Chromium: loads offline, no console errors, every figure drawn.

Makes a small real run (``kochu run`` at scale 0.001 to 2000), builds its report with
``kochu report`` and opens ``report.html`` from disk. Screenshots are kept in
``test-artifacts/`` (gitignored). Skipped only when ``/usr/bin/chromium`` is missing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.cdp import Browser, available
from tests.helpers import ROOT, run_kochu

pytestmark = [pytest.mark.slow, pytest.mark.skipif(available() is not None, reason=str(available()))]
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = tmp_path_factory.mktemp("browser") / "run"
    res = run_kochu("run", "--scale", "0.001", "--until", "2000", "--seed", "1", "--out", str(run))
    assert res.returncode == 0, res.stderr
    res = run_kochu("report", str(run))
    assert res.returncode == 0, res.stderr
    return run / "report.html"


def test_report_renders_offline_without_errors(report: Path) -> None:
    with Browser(width=1280, height=1000) as b:
        b.goto(report.as_uri())
        b.wait_js("document.readyState === 'complete'")
        images = b.images()
        assert len(images) >= 11, images  # 4 maps + 7 charts (comparison/calibration optional)
        empty = [i["id"] for i in images if not (i["complete"] and i["w"] > 100 and i["h"] > 100)]
        assert not empty, f"figures not rendered: {empty}"
        ids = {i["id"] for i in images}
        assert {"fig-map_flows", "fig-map_population", "fig-registration_gap"} <= ids
        external = [u for u in b.requests() if not u.startswith(("file://", "data:"))]
        assert not external, f"external requests: {external}"
        assert not b.console_errors(), b.console_errors()
        top = b.screenshot(ARTIFACTS / "report_top.png", full_page=False)
        full = b.screenshot(ARTIFACTS / "report_full.png")
    assert top.stat().st_size > 50_000 and full.stat().st_size > top.stat().st_size
