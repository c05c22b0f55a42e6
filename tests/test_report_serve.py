"""The dashboard server: routes, a run with a changed magnitude, and its safety rules."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kochu.errors import KochuError
from kochu.report.build import build_report
from kochu.report.serve import MAX_BODY, RequestError, inside, make_server
from tests.test_report_fixture import fixture_atlas, make_run

SCENARIO = """name = "railway_jobs"
description = "a scenario for the dashboard tests"
horizon = 2035
seeds = [1]

[[interventions]]
type = "jobs"
places = ["naryn"]
jobs = 15000
start = 2000
end = 2010

[[interventions]]
type = "transport"
routes = [["naryn", "bishkek"]]
cost_factor = 0.8
start = 2005
"""


def as_dict(scenario) -> dict:
    return scenario.to_dict() if hasattr(scenario, "to_dict") else scenario


class FixtureRunner:
    """Stands in for the simulation: writes the report's rendering fixture (not results)."""

    FAIL_SEED = 13  # this seed fails like a bad run would
    WAIT_SEED = 99  # this seed waits for ``release`` (to test one-run-at-a-time)

    def __init__(self) -> None:
        self.calls: list[dict] = []
        self.atlas = fixture_atlas()
        self.release = threading.Event()

    def __call__(self, scenario, *, scale, seed, until, progress, out_dir):
        self.calls.append({"scenario": as_dict(scenario), "scale": scale, "seed": seed, "until": until})
        if seed == self.FAIL_SEED:
            raise KochuError("place 's_nowhere' is not in the atlas")
        if seed == self.WAIT_SEED:
            self.release.wait(60)
            raise KochuError("released")
        progress(0.3, "writing fixture tables")
        make_run(out_dir, self.atlas, years=range(1989, 1995), extras=False, scenario=scenario)
        progress(0.6, "drawing")
        build_report(out_dir, atlas=self.atlas, shade=False,
                     only={"map_flows", "population_by_oblast", "registration_gap"})
        return out_dir


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    root = tmp_path_factory.mktemp("dash")
    (root / "scenarios").mkdir()
    (root / "scenarios" / "railway.toml").write_text(SCENARIO)
    (root / "scenarios" / "broken.toml").write_text("name = [unclosed\n")
    (root / "secret.toml").write_text('name = "outside"\n')
    runner = FixtureRunner()
    srv = make_server("127.0.0.1", 0, scenarios_dir=root / "scenarios", runs_dir=root / "runs",
                      runner=runner)
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    srv.root = root
    srv.runner = runner
    yield srv
    srv.shutdown()
    srv.server_close()


def request(srv, method: str, path: str, body: bytes | None = None,
            headers: dict | None = None) -> tuple[int, dict | bytes]:
    conn = http.client.HTTPConnection(*srv.server_address[:2], timeout=30)
    try:
        conn.putrequest(method, path, skip_host=True)
        hdrs = {"Host": f"127.0.0.1:{srv.server_address[1]}", **(headers or {})}
        if body is not None and "Content-Length" not in hdrs:
            hdrs["Content-Length"] = str(len(body))
        for k, v in hdrs.items():
            conn.putheader(k, v)
        conn.endheaders()
        if body is not None:
            try:
                conn.send(body)
            except (BrokenPipeError, ConnectionResetError):
                pass
        res = conn.getresponse()
        raw = res.read()
        if (res.getheader("Content-Type") or "").startswith("application/json"):
            return res.status, json.loads(raw)
        return res.status, raw
    finally:
        conn.close()


def post_json(srv, obj) -> tuple[int, dict]:
    return request(srv, "POST", "/api/run", json.dumps(obj).encode(),
                   {"Content-Type": "application/json"})


def wait_done(srv, job_id: str, limit: float = 120.0) -> dict:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        status, job = request(srv, "GET", f"/api/jobs/{job_id}")
        assert status == 200
        if job["state"] in ("done", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish")


def test_page_and_scenario_list(server) -> None:
    status, page = request(server, "GET", "/")
    assert status == 200
    text = page.decode()
    assert "<script>" in text and "http://" not in text and "https://" not in text
    status, data = request(server, "GET", "/api/scenarios")
    assert status == 200
    by_file = {s["file"]: s for s in data["scenarios"]}
    assert set(by_file) == {"railway.toml", "broken.toml"}
    ivs = by_file["railway.toml"]["interventions"]
    assert ivs[0]["magnitudes"] == {"jobs": 15000}
    assert ivs[1]["magnitudes"] == {"cost_factor": 0.8}
    assert "error" in by_file["broken.toml"]
    status, one = request(server, "GET", "/api/scenario?file=railway.toml")
    assert status == 200 and one["scenario"]["name"] == "railway_jobs"


def test_run_with_changed_magnitude(server) -> None:
    status, job = post_json(server, {"file": "railway.toml",
                                     "magnitudes": {"0": {"jobs": 40000}, "1": {"cost_factor": 0.5}},
                                     "scale": 0.001, "seed": 7, "until": 1995})
    assert status == 202, job
    job = wait_done(server, job["id"])
    assert job["state"] == "done", job
    call = server.runner.calls[-1]
    assert call["scenario"]["interventions"][0]["jobs"] == 40000
    assert call["scenario"]["interventions"][1]["cost_factor"] == 0.5
    assert (call["scale"], call["seed"], call["until"]) == (0.001, 7, 1995)
    names = [f["name"] for f in job["figures"]]
    assert "map_flows" in names and "registration_gap" in names
    status, png = request(server, "GET", job["figures"][0]["png"])
    assert status == 200 and png.startswith(b"\x89PNG")
    status, html = request(server, "GET", job["report"])
    assert status == 200 and b"railway_jobs" in html
    status, listed = request(server, "GET", "/api/runs")
    earlier = {r["id"]: r for r in listed["runs"]}
    assert status == 200 and job["id"] in earlier
    assert earlier[job["id"]]["figures"] == job["figures"]


def test_failed_run_reports_its_message(server) -> None:
    status, job = post_json(server, {"file": "railway.toml", "seed": FixtureRunner.FAIL_SEED})
    assert status == 202
    job = wait_done(server, job["id"])
    assert job["state"] == "failed" and job["message"] == "place 's_nowhere' is not in the atlas"
    assert "report" not in job


def test_one_run_at_a_time(server) -> None:
    status, first = post_json(server, {"file": "railway.toml", "seed": FixtureRunner.WAIT_SEED})
    assert status == 202
    try:
        status, body = post_json(server, {"file": "railway.toml"})
        assert status == 409 and "already in progress" in body["error"]
    finally:
        server.runner.release.set()
    assert wait_done(server, first["id"])["state"] == "failed"
    server.runner.release.clear()


@pytest.mark.parametrize("path", [
    "/api/scenario?file=../secret.toml",
    "/api/scenario?file=..%2Fsecret.toml",
    "/api/scenario?file=%2Fetc%2Fpasswd",
    "/api/scenario?file=.hidden.toml",
    "/runs/../secret.toml/x",
    "/runs/%2e%2e/secret.toml/x",
    "/runs/run001-railway/..%2F..%2Fsecret.toml",
    "/runs/x/figures/..%2F..%2F..%2Fsecret.toml",
])
def test_path_traversal_is_rejected(server, path: str) -> None:
    status, body = request(server, "GET", path)
    assert status in (400, 404), (path, status)
    assert b"outside" not in (json.dumps(body).encode() if isinstance(body, dict) else body)


def test_run_request_traversal_is_rejected(server) -> None:
    status, body = post_json(server, {"file": "../secret.toml"})
    assert status == 400 and "plain file name" in body["error"]


def test_body_size_limit(server) -> None:
    big = b'{"file": "' + b"a" * (MAX_BODY + 10) + b'"}'
    status, body = request(server, "POST", "/api/run", big, {"Content-Type": "application/json"})
    assert status == 413


def test_declared_oversize_is_rejected_without_reading(server) -> None:
    status, _ = request(server, "POST", "/api/run", b"{}",
                        {"Content-Type": "application/json", "Content-Length": str(10**9)})
    assert status == 413


def test_json_only(server) -> None:
    status, body = request(server, "POST", "/api/run", b"file=railway.toml",
                           {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 415


@pytest.mark.parametrize("bad, field", [
    ({"file": "railway.toml", "scale": 5}, "scale"),
    ({"file": "railway.toml", "scale": 0}, "scale"),
    ({"file": "railway.toml", "seed": -1}, "seed"),
    ({"file": "railway.toml", "until": 1900}, "until"),
    ({"file": "railway.toml", "magnitudes": {"9": {"jobs": 1}}}, "magnitudes"),
    ({"file": "railway.toml", "magnitudes": {"0": {"jobs": "big"}}}, "magnitudes[0].jobs"),
    ({"file": "railway.toml", "magnitudes": {"0": {"jobs": 1.5}}}, "whole number"),
    ({"file": "railway.toml", "magnitudes": {"0": {"start": 1995}}}, "not a magnitude"),
    ({"file": "railway.toml", "magnitudes": {"1": {"cost_factor": 50.0}}}, "cost_factor"),
    ({"file": "nope.toml"}, "file"),
])
def test_bad_run_requests(server, bad: dict, field: str) -> None:
    status, body = post_json(server, bad)
    assert status in (400, 404)
    assert field in body["error"] or "no scenario" in body["error"]


def test_foreign_host_header_is_refused(server) -> None:
    status, body = request(server, "GET", "/api/scenarios", headers={"Host": "evil.example:80"})
    assert status == 403


def test_unknown_routes(server) -> None:
    assert request(server, "GET", "/etc/passwd")[0] == 404
    assert request(server, "GET", "/api/jobs/nope")[0] == 404
    assert request(server, "POST", "/api/other", b"{}", {"Content-Type": "application/json"})[0] == 404


def test_inside_helper(tmp_path: Path) -> None:
    assert inside(tmp_path, "a.toml") == (tmp_path / "a.toml").resolve()
    for bad in ("..", "../a", "a/b", "", ".a", "a\x00b"):
        with pytest.raises(RequestError):
            inside(tmp_path, bad)


def test_default_bind_is_loopback(tmp_path: Path) -> None:
    (tmp_path / "s").mkdir()
    srv = make_server(port=0, scenarios_dir=tmp_path / "s", runs_dir=tmp_path / "r")
    try:
        assert srv.server_address[0] == "127.0.0.1" and srv.loopback
    finally:
        srv.server_close()


def test_missing_scenarios_folder(tmp_path: Path) -> None:
    with pytest.raises(KochuError, match="scenarios folder not found"):
        make_server(port=0, scenarios_dir=tmp_path / "none", runs_dir=tmp_path / "r")
