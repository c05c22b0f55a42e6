"""The run store: one folder per run, Parquet tables plus ``manifest.json`` written last.

Layout of a run folder::

    RUN_DIR/
      manifest.json            # written last: kochu version, data hash, scenario, parameters,
                               # seed, timing, and the sha256 of every table it lists
      population.parquet       # tables (names chosen by the engines)
      flows.parquet
      population_by_oblast.csv # CSV exports for spreadsheet users
      ...

Every file is written atomically (a temporary file in the same folder, flushed, then renamed),
so an interrupted run never leaves a table that looks complete; a run counts as complete only
when ``manifest.json`` exists and every file it lists has the recorded hash.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from kochu import __version__
from kochu.errors import RunStoreError

MANIFEST = "manifest.json"


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it onto ``path``.

    On any exception the temporary file is removed and ``path`` is left untouched.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp_path, 0o644)  # mkstemp makes 0600; results are meant to be shared
        os.replace(tmp_path, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def file_sha256(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class RunStore:
    """Writer for one run folder. Tables first, :meth:`finalize` (the manifest) last.

    >>> store = RunStore("runs/demo")                      # doctest: +SKIP
    >>> store.write_table("population", df)               # doctest: +SKIP
    >>> store.finalize({"seed": 1, "scenario": "baseline"})  # doctest: +SKIP
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.files: dict[str, str] = {}

    def _write(self, name: str, writer: Callable[[Path], None]) -> Path:
        if (self.path / MANIFEST).exists() and not self.files:
            # starting to rewrite a finished run: invalidate it first so a crash in between
            # cannot leave an old manifest vouching for new, partial tables
            (self.path / MANIFEST).unlink()
        target = self.path / name
        with atomic_path(target) as tmp:
            writer(tmp)
        self.files[name] = file_sha256(target)
        return target

    def write_table(self, name: str, df: pd.DataFrame) -> Path:
        """Write ``df`` as ``NAME.parquet`` (no index, deterministic bytes)."""
        return self._write(
            f"{name}.parquet",
            lambda p: df.to_parquet(p, index=False, engine="pyarrow", compression="zstd"),
        )

    def write_csv(self, name: str, df: pd.DataFrame) -> Path:
        """Write ``df`` as ``NAME`` (a ``.csv`` file name) without the index."""
        return self._write(name, lambda p: df.to_csv(p, index=False, lineterminator="\n"))

    def write_bytes(self, name: str, data: bytes) -> Path:
        """Write any other file (figures, HTML) into the run folder."""
        return self._write(name, lambda p: p.write_bytes(data))

    def finalize(self, manifest: dict[str, Any]) -> Path:
        """Write ``manifest.json`` last, listing every file written with its sha256."""
        body = {"kochu_version": __version__, **manifest, "files": dict(sorted(self.files.items()))}
        text = json.dumps(body, indent=2, sort_keys=True, default=str) + "\n"
        target = self.path / MANIFEST
        atomic_write_text(target, text)
        return target


def is_complete(path: str | os.PathLike[str]) -> bool:
    """True when the folder has a manifest and every listed file matches its hash."""
    try:
        read_manifest(path, verify=True)
    except RunStoreError:
        return False
    return True


def read_manifest(path: str | os.PathLike[str], verify: bool = False) -> dict[str, Any]:
    """Read a run's manifest; with ``verify``, check every listed file's hash."""
    folder = Path(path)
    if not folder.is_dir():
        raise RunStoreError(f"{folder}: not a run folder (expected a directory)")
    mpath = folder / MANIFEST
    if not mpath.exists():
        raise RunStoreError(f"{mpath}: missing — the run is incomplete or was interrupted")
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RunStoreError(f"{mpath}: not valid JSON ({exc})") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        raise RunStoreError(f"{mpath}: field 'files' missing (expected an object of name: sha256)")
    if verify:
        for name, digest in manifest["files"].items():
            fpath = folder / name
            if not fpath.exists():
                raise RunStoreError(f"{fpath}: listed in the manifest but missing")
            if file_sha256(fpath) != digest:
                raise RunStoreError(f"{fpath}: contents do not match the manifest's sha256")
    return manifest


def read_table(path: str | os.PathLike[str], name: str) -> pd.DataFrame:
    """Read table ``name`` of a complete run."""
    manifest = read_manifest(path)
    fname = f"{name}.parquet"
    if fname not in manifest["files"]:
        known = ", ".join(sorted(f[:-8] for f in manifest["files"] if f.endswith(".parquet")))
        raise RunStoreError(f"{Path(path) / fname}: no table '{name}' in this run (has: {known})")
    return pd.read_parquet(Path(path) / fname)
