"""The dashboard in a real headless Chromium: change a scenario, run it, see the charts.

Starts ``kochu serve --port 0`` (loopback) as a user would, opens the page, picks the
``railway_jobs`` scenario, changes the jobs of its first intervention, runs it at a tiny scale
to 1993 with the real simulation, waits for the progress bar to finish and the figures to
load. Screenshot: ``test-artifacts/dashboard.png``. Skipped only when chromium is missing.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.cdp import Browser, available
from tests.helpers import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.skipif(available() is not None, reason=str(available()))]
ARTIFACTS = ROOT / "test-artifacts"
SCENARIO = "railway_jobs.toml"
NEW_JOBS = 12345


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    runs = tmp_path_factory.mktemp("dashboard") / "runs"
    proc = subprocess.Popen(
        [sys.executable, "-c", "from kochu.cli import main; main()", "serve", "--port", "0",
         "--scenarios", str(ROOT / "scenarios"), "--runs", str(runs)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout], daemon=True).start()
    try:
        first = lines.get(timeout=60)
    except queue.Empty:
        proc.kill()
        pytest.fail(f"kochu serve printed nothing; stderr: {proc.stderr.read()}")
    assert first.startswith("kochu dashboard on http://127.0.0.1:"), first
    url = first.split()[3]
    try:
        yield url, runs
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_dashboard_runs_a_changed_scenario(dashboard: tuple[str, Path]) -> None:
    url, runs = dashboard
    with Browser(width=1280, height=1400, timeout=60) as b:
        b.goto(url)
        b.wait_js("document.body.dataset.state === 'ready'")
        files = b.js("Array.from(document.querySelectorAll('#scenario option')).map(o => o.value)")
        assert SCENARIO in files and "baseline.toml" in files
        b.js(f"""(() => {{ const s = document.getElementById('scenario'); s.value = '{SCENARIO}';
                 s.dispatchEvent(new Event('change')); }})()""")
        jobs = tomllib.loads((ROOT / "scenarios" / SCENARIO).read_text())["interventions"][0]["jobs"]
        assert b.js("document.getElementById('magnitude-0-jobs').value") == str(jobs)
        b.js(f"""(() => {{ document.getElementById('magnitude-0-jobs').value = '{NEW_JOBS}';
                 document.getElementById('scale').value = '0.001';
                 document.getElementById('until').value = '1993';
                 document.getElementById('run').click(); }})()""")
        progress = b.wait_js("document.body.dataset.state === 'running' && "
                             "document.getElementById('status').textContent", timeout=30)
        assert progress
        state = b.wait_js("['done', 'failed'].includes(document.body.dataset.state) && "
                          "document.body.dataset.state", timeout=400, interval=0.5)
        status = b.js("document.getElementById('status').textContent")
        assert state == "done", status
        assert b.js("document.getElementById('bar').value") == 1
        b.wait_js("Array.from(document.querySelectorAll('#figures img')).length > 0 && "
                  "Array.from(document.querySelectorAll('#figures img')).every(i => i.complete)")
        images = [i for i in b.images() if i["id"].startswith("fig-")]
        assert len(images) >= 11
        assert all(i["w"] > 100 and i["h"] > 100 for i in images), images
        host = url.rstrip("/")
        external = [u for u in b.requests() if not u.startswith((host, "data:"))]
        assert not external, external
        assert not b.console_errors(), b.console_errors()
        b.screenshot(ARTIFACTS / "dashboard.png")
        b.screenshot(ARTIFACTS / "dashboard_top.png", full_page=False)
        job = b.js("document.body.dataset.job")
    manifest = json.loads((runs / job / "manifest.json").read_text())
    assert manifest["scenario"]["interventions"][0]["jobs"] == NEW_JOBS
    assert manifest["scale"] == 0.001 and manifest["until"] == 1993
    assert (runs / job / "report.html").is_file()
