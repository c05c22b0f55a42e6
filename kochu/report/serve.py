"""``kochu serve``: a local dashboard to pick a scenario, change it, run it and see the figures.

Standard library only (:mod:`http.server` in a thread); the page's script and style are inline,
nothing is fetched from outside. Safety:

- binds ``127.0.0.1`` unless ``--host`` says otherwise; on loopback it also refuses requests
  whose ``Host`` header is not a loopback name (DNS-rebinding guard);
- every file parameter is resolved and must stay inside its folder (scenarios, runs), and names
  are plain file names — path traversal gets ``400``;
- request bodies are limited to :data:`MAX_BODY` bytes (``413`` beyond), must be JSON
  (``415`` otherwise, which also blocks cross-site form posts);
- one run at a time (``409`` while one is running).

Routes: ``GET /`` the page; ``GET /api/scenarios``; ``GET /api/scenario?file=NAME``;
``POST /api/run``; ``GET /api/jobs/ID``; ``GET /api/runs`` (finished runs); ``GET /runs/ID/report.html``;
``GET /runs/ID/figures/NAME.png|svg``.
"""

from __future__ import annotations

import json
import math
import re
import socket
import threading
import tomllib
import traceback
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from kochu.errors import KochuError
from kochu.report.runner import Runner, run_scenario

MAX_BODY = 64 * 1024
SCALES = (0.0001, 0.001, 0.01, 0.1, 1.0)
YEAR_RANGE = (1990, 2050)  # as `kochu run --until` (the drivers reach 2050)
LOOPBACK_NAMES = {"127.0.0.1", "localhost", "::1", "[::1]"}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
STATIC_TYPES = {".html": "text/html; charset=utf-8", ".png": "image/png",
                ".svg": "image/svg+xml", ".csv": "text/csv; charset=utf-8",
                ".json": "application/json; charset=utf-8"}
CSP = ("default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; "
       "script-src 'unsafe-inline'; connect-src 'self'; frame-ancestors 'self'")


class RequestError(Exception):
    """A bad request: HTTP status and a one-line message for the page."""

    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


def inside(folder: Path, *parts: str) -> Path:
    """``folder/parts…`` resolved; raises ``RequestError(400)`` unless it stays in ``folder``.

    Each part must be a plain name (letters, digits, ``._-``; no separators, no leading dot).
    """
    root = folder.resolve()
    for part in parts:
        if not _NAME.match(part or "") or part in {".", ".."}:
            raise RequestError(HTTPStatus.BAD_REQUEST,
                               f"invalid name {part!r}: expected a plain file name")
    path = root.joinpath(*parts).resolve()
    if not path.is_relative_to(root) or path == root:
        raise RequestError(HTTPStatus.BAD_REQUEST, f"{'/'.join(parts)!r} is outside {root.name}/")
    return path


#: numeric intervention keys that are timing, not magnitude
TIMING_KEYS = {"start", "end", "ramp_months", "return_months"}


@dataclass
class LoadedScenario:
    """A scenario file read for the dashboard: its TOML dict and, when
    :mod:`kochu.scenarios` is available, the validated object (base resolved)."""

    path: Path
    table: dict[str, Any]
    validated: Any = None


def read_scenario(path: Path) -> LoadedScenario:
    """Read and validate a scenario file (``kochu.scenarios.load_scenario``; plain TOML when
    that package is unavailable). Raises :class:`~kochu.errors.KochuError` (one line)."""
    try:
        from kochu.scenarios import load_scenario
    except ImportError:  # pragma: no cover - the scenarios package is part of kochu
        load_scenario = None
    if load_scenario is not None:
        scen = load_scenario(path)
        return LoadedScenario(path, scen.to_dict(), scen)
    try:
        return LoadedScenario(path, tomllib.loads(path.read_text(encoding="utf-8")))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise KochuError(f"{path.name}: not a valid TOML scenario ({exc})") from None


def magnitude_fields(item: dict[str, Any]) -> dict[str, float]:
    """The numeric, non-timing keys of one intervention table (what the page lets you edit)."""
    return {k: v for k, v in item.items()
            if isinstance(v, int | float) and not isinstance(v, bool) and k not in TIMING_KEYS}


def interventions(scenario: dict[str, Any]) -> list[dict[str, Any]]:
    """The scenario's own interventions, each with its index and editable magnitudes."""
    items = scenario.get("interventions") or []
    out = []
    for i, item in enumerate(items if isinstance(items, list) else []):
        if isinstance(item, dict):
            out.append({"index": i, **item, "magnitudes": magnitude_fields(item)})
    return out


def apply_magnitudes(scenario: dict[str, Any], magnitudes: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``scenario`` with ``magnitudes = {"<index>": {"<key>": number}}`` applied.

    Only numeric, non-timing keys can change; an integer key stays an integer.
    """
    scen = json.loads(json.dumps(scenario, default=str))
    items = scen.get("interventions") or []
    for k, changes in magnitudes.items():
        if not str(k).isdigit() or int(k) >= len(items):
            raise RequestError(HTTPStatus.BAD_REQUEST,
                               f"magnitudes: no intervention number {k!r} (scenario has {len(items)})")
        if not isinstance(changes, dict):
            raise RequestError(HTTPStatus.BAD_REQUEST,
                               f"magnitudes[{k}]: expected an object {{key: number}}, got {changes!r}")
        item = items[int(k)]
        allowed = magnitude_fields(item)
        for key, v in changes.items():
            if key not in allowed:
                raise RequestError(HTTPStatus.BAD_REQUEST,
                                   f"magnitudes[{k}].{key}: not a magnitude of this intervention "
                                   f"(valid: {', '.join(sorted(allowed)) or 'none'})")
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise RequestError(HTTPStatus.BAD_REQUEST,
                                   f"magnitudes[{k}].{key}: expected a finite number, got {v!r}")
            if isinstance(allowed[key], int):
                if float(v) != int(v):
                    raise RequestError(HTTPStatus.BAD_REQUEST,
                                       f"magnitudes[{k}].{key}: expected a whole number, got {v!r}")
                v = int(v)
            item[key] = float(v) if isinstance(allowed[key], float) else v
    return scen


def revalidate(loaded: LoadedScenario, table: dict[str, Any]) -> Any:
    """The changed scenario validated like a file (inherited interventions kept), or the dict."""
    if loaded.validated is None:
        return table
    from kochu.scenarios import parse_scenario
    from kochu.scenarios.schema import check_finite

    try:
        check_finite(table)
        scen = parse_scenario(table)
    except KochuError as exc:
        raise RequestError(HTTPStatus.BAD_REQUEST, f"{loaded.path.name}: {exc}") from None
    scen.inherited = list(loaded.validated.inherited)
    return scen


@dataclass
class Job:
    """One dashboard run: state, progress in [0, 1], last message."""

    id: str
    scenario_file: str
    state: str = "queued"  # queued → running → done | failed
    progress: float = 0.0
    message: str = "queued"
    figures: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out = {"id": self.id, "scenario": self.scenario_file, "state": self.state,
               "progress": round(self.progress, 4), "message": self.message,
               "figures": self.figures}
        if self.state == "done":
            out["report"] = f"/runs/{self.id}/report.html"
        return out


class Dashboard:
    """The dashboard's state: folders, the runner, the jobs (one running at a time)."""

    def __init__(self, scenarios_dir: Path, runs_dir: Path, runner: Runner = run_scenario) -> None:
        self.scenarios_dir = Path(scenarios_dir)
        self.runs_dir = Path(runs_dir)
        self.runner = runner
        self.jobs: dict[str, Job] = {}
        self.lock = threading.Lock()
        self._counter = 0

    def scenario_files(self) -> list[Path]:
        return sorted(p for p in self.scenarios_dir.glob("*.toml") if p.is_file())

    def list_scenarios(self) -> list[dict[str, Any]]:
        out = []
        for path in self.scenario_files():
            entry: dict[str, Any] = {"file": path.name}
            try:
                scen = read_scenario(path).table
                entry["name"] = str(scen.get("name") or path.stem)
                entry["description"] = str(scen.get("description") or "")
                entry["horizon"] = scen.get("horizon")
                entry["interventions"] = interventions(scen)
            except KochuError as exc:
                entry["error"] = str(exc).splitlines()[0]
            out.append(entry)
        return out

    def earlier_runs(self) -> list[dict[str, Any]]:
        """Finished runs in the runs folder (this session's and earlier ones), newest name last."""
        out = []
        for folder in sorted(p for p in self.runs_dir.iterdir() if p.is_dir()):
            if _NAME.match(folder.name) and (folder / "report.html").is_file():
                out.append({"id": folder.name, "report": f"/runs/{folder.name}/report.html",
                            "figures": figure_list(folder.name, folder)})
        return out

    def start(self, request: dict[str, Any]) -> Job:
        """Validate a run request and start it in a background thread."""
        fname = request.get("file")
        if not isinstance(fname, str):
            raise RequestError(HTTPStatus.BAD_REQUEST, "file: expected a scenario file name")
        path = inside(self.scenarios_dir, fname)
        if path.suffix != ".toml" or not path.is_file():
            raise RequestError(HTTPStatus.NOT_FOUND, f"file: no scenario {fname!r}")
        scale = request.get("scale", 0.001)
        if isinstance(scale, bool) or not isinstance(scale, int | float) or not 0 < scale <= 1:
            raise RequestError(HTTPStatus.BAD_REQUEST, f"scale: expected a number in (0, 1], got {scale!r}")
        seed = request.get("seed", 1)
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
            raise RequestError(HTTPStatus.BAD_REQUEST, f"seed: expected an integer >= 0, got {seed!r}")
        until = request.get("until", 2025)
        if isinstance(until, bool) or not isinstance(until, int) or not YEAR_RANGE[0] <= until <= YEAR_RANGE[1]:
            raise RequestError(HTTPStatus.BAD_REQUEST,
                               f"until: expected a year {YEAR_RANGE[0]}..{YEAR_RANGE[1]}, got {until!r}")
        magnitudes = request.get("magnitudes") or {}
        if not isinstance(magnitudes, dict):
            raise RequestError(HTTPStatus.BAD_REQUEST, "magnitudes: expected an object {index: {key: number}}")
        try:
            loaded = read_scenario(path)
        except KochuError as exc:
            raise RequestError(HTTPStatus.BAD_REQUEST, str(exc).splitlines()[0]) from None
        scenario = revalidate(loaded, apply_magnitudes(loaded.table, magnitudes))
        with self.lock:
            if any(j.state in ("queued", "running") for j in self.jobs.values()):
                raise RequestError(HTTPStatus.CONFLICT, "a run is already in progress")
            while True:  # never reuse a folder left by an earlier dashboard session
                self._counter += 1
                job_id = f"run{self._counter:03d}-{Path(fname).stem}"[:100]
                if not (self.runs_dir / job_id).exists():
                    break
            job = Job(id=job_id, scenario_file=fname)
            self.jobs[job.id] = job
        out_dir = inside(self.runs_dir, job.id)
        thread = threading.Thread(target=self._work, args=(job, scenario, float(scale), seed, until, out_dir),
                                  name=f"kochu-{job.id}", daemon=True)
        thread.start()
        return job

    def _work(self, job: Job, scenario: Any, scale: float, seed: int, until: int,
              out_dir: Path) -> None:
        def progress(fraction: float, message: str) -> None:
            job.progress = min(1.0, max(job.progress, float(fraction)))
            job.message = str(message)

        job.state, job.message = "running", "starting"
        try:
            self.runner(scenario, scale=scale, seed=seed, until=until, progress=progress,
                        out_dir=out_dir)
            job.figures = figure_list(job.id, out_dir)
            job.progress, job.message, job.state = 1.0, "done", "done"
        except KochuError as exc:
            job.message, job.state = str(exc).splitlines()[0], "failed"
        except Exception as exc:  # noqa: BLE001 - a crash in a run must reach the page, not kill the server
            traceback.print_exc()
            job.message, job.state = f"internal error: {type(exc).__name__}: {exc}".splitlines()[0], "failed"


def figure_list(job_id: str, out_dir: Path) -> list[dict[str, str]]:
    """The figures of a finished run in the report's order (``figures/index.json``)."""
    from kochu.report.build import FIGURES

    try:
        index = json.loads((out_dir / FIGURES / "index.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    out = []
    for entry in index:
        name = str(entry.get("name", ""))
        if _NAME.match(name) and (out_dir / FIGURES / f"{name}.png").is_file():
            out.append({"name": name, "section": str(entry.get("section", "")),
                        "title": str(entry.get("title", "")), "caption": str(entry.get("caption", "")),
                        "png": f"/runs/{job_id}/{FIGURES}/{name}.png",
                        "svg": f"/runs/{job_id}/{FIGURES}/{name}.svg"})
    return out


class Handler(BaseHTTPRequestHandler):
    """Routes of the dashboard (see the module docstring)."""

    server: DashboardServer
    server_version = "kochu-serve"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        if self.server.verbose:
            super().log_message(format, *args)

    # -- responses
    def _send(self, status: HTTPStatus, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, obj: Any, status: HTTPStatus = HTTPStatus.OK) -> None:
        self._send(status, json.dumps(obj).encode("utf-8"), "application/json; charset=utf-8")

    def _error(self, status: HTTPStatus, message: str) -> None:
        self._json({"error": message}, status)

    def _guard_host(self) -> None:
        if not self.server.loopback:
            return
        host = (self.headers.get("Host") or "").strip()
        name = host.rsplit(":", 1)[0] if not host.startswith("[") else host.split("]")[0] + "]"
        if name.lower() not in LOOPBACK_NAMES:
            raise RequestError(HTTPStatus.FORBIDDEN, f"Host {host!r} is not a loopback name")

    # -- methods
    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        self._dispatch(self._get)

    def do_HEAD(self) -> None:  # noqa: N802
        self._dispatch(self._get)

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch(self._post)

    def _dispatch(self, method: Any) -> None:
        try:
            self._guard_host()
            method()
        except RequestError as exc:
            if exc.status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE:
                self.close_connection = True
            self._error(exc.status, str(exc))
        except KochuError as exc:
            self._error(HTTPStatus.BAD_REQUEST, str(exc).splitlines()[0])

    def _get(self) -> None:
        url = urlsplit(self.path)
        parts = [unquote(p) for p in url.path.split("/") if p]
        query = parse_qs(url.query)
        dash = self.server.dashboard
        if not parts:
            from kochu.report.page import INDEX

            self._send(HTTPStatus.OK, INDEX.encode("utf-8"), "text/html; charset=utf-8")
        elif parts == ["api", "scenarios"]:
            self._json({"scenarios": dash.list_scenarios(), "scales": SCALES})
        elif parts == ["api", "scenario"]:
            name = (query.get("file") or [""])[0]
            path = inside(dash.scenarios_dir, name)
            if path.suffix != ".toml" or not path.is_file():
                raise RequestError(HTTPStatus.NOT_FOUND, f"no scenario {name!r}")
            scen = read_scenario(path).table
            self._json({"file": name, "scenario": json.loads(json.dumps(scen, default=str)),
                        "interventions": json.loads(json.dumps(interventions(scen), default=str))})
        elif parts == ["api", "runs"]:
            self._json({"runs": dash.earlier_runs()})
        elif len(parts) == 3 and parts[:2] == ["api", "jobs"]:
            job = dash.jobs.get(parts[2])
            if job is None:
                raise RequestError(HTTPStatus.NOT_FOUND, f"no job {parts[2]!r}")
            self._json(job.to_dict())
        elif parts and parts[0] == "runs" and 3 <= len(parts) <= 4:
            path = inside(dash.runs_dir, *parts[1:])
            ctype = STATIC_TYPES.get(path.suffix)
            if ctype is None or not path.is_file():
                raise RequestError(HTTPStatus.NOT_FOUND, f"not found: {url.path}")
            self._send(HTTPStatus.OK, path.read_bytes(), ctype)
        else:
            raise RequestError(HTTPStatus.NOT_FOUND, f"not found: {url.path}")

    def _read_json(self) -> dict[str, Any]:
        length = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding") or length is None:
            self.close_connection = True
            raise RequestError(HTTPStatus.LENGTH_REQUIRED, "a Content-Length header is required")
        try:
            n = int(length)
        except ValueError:
            self.close_connection = True
            raise RequestError(HTTPStatus.BAD_REQUEST, "Content-Length: expected an integer") from None
        if n < 0 or n > MAX_BODY:
            raise RequestError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                               f"request body of {n} bytes is larger than {MAX_BODY} bytes")
        raw = self.rfile.read(n)
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/json":
            raise RequestError(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "expected Content-Type: application/json")
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise RequestError(HTTPStatus.BAD_REQUEST, f"body: not valid JSON ({exc})") from None
        if not isinstance(body, dict):
            raise RequestError(HTTPStatus.BAD_REQUEST, "body: expected a JSON object")
        return body

    def _post(self) -> None:
        path = urlsplit(self.path).path
        if path != "/api/run":
            self.close_connection = True
            raise RequestError(HTTPStatus.NOT_FOUND, f"not found: {path}")
        job = self.server.dashboard.start(self._read_json())
        self._json(job.to_dict(), HTTPStatus.ACCEPTED)


class DashboardServer(ThreadingHTTPServer):
    """A threading HTTP server that carries the :class:`Dashboard` and its safety settings."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], dashboard: Dashboard, verbose: bool = False) -> None:
        self.dashboard = dashboard
        self.verbose = verbose
        self.loopback = address[0] in LOOPBACK_NAMES or address[0].startswith("127.")
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
            address = (address[0].strip("[]"), address[1])
        super().__init__(address, Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://[{host}]:{port}/" if ":" in str(host) else f"http://{host}:{port}/"


def make_server(
    host: str = "127.0.0.1",
    port: int = 8765,
    scenarios_dir: str | Path = "scenarios",
    runs_dir: str | Path = "runs/dashboard",
    runner: Runner = run_scenario,
    verbose: bool = False,
) -> DashboardServer:
    """A ready dashboard server (call ``serve_forever()``); ``port=0`` picks a free port."""
    scen = Path(scenarios_dir)
    if not scen.is_dir():
        raise KochuError(f"{scen}: scenarios folder not found (expected a folder of *.toml files)")
    runs = Path(runs_dir)
    runs.mkdir(parents=True, exist_ok=True)
    return DashboardServer((host, port), Dashboard(scen, runs, runner), verbose=verbose)
