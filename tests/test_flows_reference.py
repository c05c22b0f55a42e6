"""Reference validation: PySAL spint's published estimates on the Austria migration data.

Data: ``tests/data/austria.csv`` (a copy of ../shared/data/reference/austria.csv; see
tests/data/README.md), intra-zonal rows dropped. spint's production-constrained and
unconstrained tests use the masses in ``tests/data/austria_spint_masses.csv``.
Expected values: spint 1.0.7 ``spint/tests/test_gravity.py`` (also listed in
../shared/data/README.md).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kochu.flows import Attraction, Doubly, Gravity, Production

DATA = Path(__file__).parent / "data"
REL = 1e-4


@pytest.fixture(scope="module")
def austria() -> pd.DataFrame:
    df = pd.read_csv(DATA / "austria.csv")
    df = df[df["Origin"] != df["Destination"]].reset_index(drop=True)
    masses = pd.read_csv(DATA / "austria_spint_masses.csv").set_index("place")
    df["Oi_spint"] = df["Origin"].map(masses["Oi"])
    df["Dj_spint"] = df["Destination"].map(masses["Dj"])
    assert len(df) == 72
    return df


def _args(df):
    return df["Data"], df["Origin"], df["Destination"], df["Dij"]


def test_doubly_exp_matches_spint(austria):
    m = Doubly(cost="exp").fit(*_args(austria))
    assert m.fit(*_args(austria)) is m
    assert m.beta_ == pytest.approx(-0.00791533, rel=REL)
    assert m.deviance_ == pytest.approx(9360.482, rel=REL)
    assert m.llf_ == pytest.approx(-4970.580, rel=REL)
    assert m.srmse_ == pytest.approx(0.379257, rel=REL)
    assert m.ssi_ == pytest.approx(0.811852, rel=REL)
    assert m.param_names_ == ["distance"]


def test_production_exp_matches_spint(austria):
    m = Production(cost="exp").fit(*_args(austria), destination_mass=austria["Dj_spint"])
    assert m.param_names_ == ["destination_mass", "distance"]
    np.testing.assert_allclose(m.params_, [0.89278717, -0.00727113], rtol=REL)
    assert m.deviance_ == pytest.approx(15279.97, rel=REL)
    assert m.srmse_ == pytest.approx(0.466227, rel=REL)
    # further values pinned by spint's test_Production
    assert m.aic_ == pytest.approx(15882.651018068489, rel=REL)
    assert m.llf_ == pytest.approx(-7930.3255090342445, rel=REL)
    assert m.llnull_ == pytest.approx(-88037.0499629, rel=REL)
    assert m.ssi_ == pytest.approx(0.740619203383, rel=REL)
    assert m.pseudo_r2_ == pytest.approx(0.909920590111, rel=REL)
    assert m.adj_pseudo_r2_ == pytest.approx(0.909795642717, rel=REL)


def test_unconstrained_exp_matches_spint(austria):
    m = Gravity(cost="exp").fit(*_args(austria), austria["Oi_spint"], austria["Dj_spint"])
    assert m.param_names_ == ["const", "origin_mass", "destination_mass", "distance"]
    np.testing.assert_allclose(
        m.params_, [-7.95447436, 0.863867812, 0.880474585, -0.00620544765], rtol=REL
    )
    assert m.deviance_ == pytest.approx(19806.41, rel=REL)
    assert m.aic_ == pytest.approx(20395.085388908723, rel=REL)
    assert m.llf_ == pytest.approx(-10193.542694454361, rel=REL)
    assert m.ssi_ == pytest.approx(0.72706171189789603, rel=REL)
    assert m.srmse_ == pytest.approx(0.62063116008447083, rel=REL)
    assert m.pseudo_r2_ == pytest.approx(0.88421303645743465, rel=REL)


def test_attraction_exp_matches_spint(austria):
    m = Attraction(cost="exp").fit(*_args(austria), origin_mass=austria["Oi_spint"])
    np.testing.assert_allclose(m.params_, [0.89235874, -0.00693755], rtol=1e-3)
    assert m.deviance_ == pytest.approx(15673.222613627502, rel=REL)
    assert m.aic_ == pytest.approx(16275.899321893821, rel=REL)


def test_constrained_fits_reproduce_margins(austria):
    y = austria["Data"].to_numpy()
    m = Doubly(cost="exp").fit(*_args(austria))
    obs_o = austria.groupby("Origin")["Data"].sum()
    obs_d = austria.groupby("Destination")["Data"].sum()
    fit_o = pd.Series(m.predict()).groupby(austria["Origin"]).sum()
    fit_d = pd.Series(m.predict()).groupby(austria["Destination"]).sum()
    np.testing.assert_allclose(fit_o, obs_o, rtol=1e-9)
    np.testing.assert_allclose(fit_d, obs_d, rtol=1e-9)
    p = Production(cost="exp").fit(*_args(austria), destination_mass=austria["Dj_spint"])
    np.testing.assert_allclose(pd.Series(p.predict()).groupby(austria["Origin"]).sum(), obs_o,
                               rtol=1e-9)
    assert p.predict().sum() == pytest.approx(y.sum(), rel=1e-12)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "from kochu.cli import main; main()", *args],
        capture_output=True, text=True, timeout=120,
    )


def test_cli_json_reproduces_spint(austria, tmp_path):
    csv = tmp_path / "austria_spint.csv"
    austria.to_csv(csv, index=False)
    common = ["--cost", "exp", "--origin", "Origin", "--destination", "Destination",
              "--flow", "Data", "--distance", "Dij", "--json"]
    r = _cli("flows", "fit", str(DATA / "austria.csv"), "--model", "doubly", *common,
             "--drop-intrazonal")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["beta"] == pytest.approx(-0.00791533, rel=REL)
    assert out["deviance"] == pytest.approx(9360.482, rel=REL)
    assert out["llf"] == pytest.approx(-4970.580, rel=REL)
    assert out["srmse"] == pytest.approx(0.379257, rel=REL)
    assert out["ssi"] == pytest.approx(0.811852, rel=REL)
    assert out["params"] == {"distance": out["beta"]}
    r = _cli("flows", "fit", str(csv), "--model", "production", *common,
             "--destination-mass", "Dj_spint")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["params"]["destination_mass"] == pytest.approx(0.89278717, rel=REL)
    assert out["beta"] == pytest.approx(-0.00727113, rel=REL)
    assert out["deviance"] == pytest.approx(15279.97, rel=REL)
    r = _cli("flows", "fit", str(csv), "--model", "gravity", *common,
             "--origin-mass", "Oi_spint", "--destination-mass", "Dj_spint")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    np.testing.assert_allclose(list(out["params"].values()),
                               [-7.95447436, 0.863867812, 0.880474585, -0.00620544765], rtol=REL)
    assert out["deviance"] == pytest.approx(19806.41, rel=REL)
