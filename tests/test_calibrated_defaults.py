"""`kochu run` uses the calibrated parameters as defaults; explicit overrides win; behaviour."""

from __future__ import annotations

import json

import pytest

from kochu.atlas import load_atlas
from kochu.errors import KochuError
from kochu.estimate.calibrate import CALIBRATED, load_calibrated
from kochu.estimate.facts import net_internal_by_unit
from kochu.sim.params import CALIBRATED_FILE, HAND_SET, Params, defaults
from kochu.sim.sim import Sim


def test_params_file_is_the_calibrations_file():
    assert CALIBRATED_FILE.resolve() == CALIBRATED.resolve()


def test_run_defaults_equal_the_calibrated_parameters():
    calibrated = load_calibrated()
    assert calibrated, "kochu/estimate/data/calibrated.json has no parameters"
    p = Params()
    for name, value in calibrated.items():
        assert p[name] == value, name
    for name in set(HAND_SET) - set(calibrated):
        assert p[name] == HAND_SET[name], name
    assert "calibrated.json" in p.defaults_source


def test_sim_defaults_are_params_defaults():
    sim = Sim(load_atlas(), scale=0.001, end=1990)
    assert sim.params.to_dict() == Params().to_dict()
    assert sim.params.defaults_source == Params().defaults_source


def test_explicit_override_wins():
    name = next(iter(load_calibrated()))
    value = Params()[name] * 1.5 + 0.001
    assert Params(**{name: value})[name] == value
    assert Params({name: value})[name] == value
    sim = Sim(load_atlas(), scale=0.001, end=1990, params={name: value})
    assert sim.params[name] == value


def test_defaults_file_overrides_hand_set_values_only_where_named(tmp_path):
    f = tmp_path / "cal.json"
    f.write_text(json.dumps({"parameters": {"abroad_rate": 0.123}}))
    values, source = defaults(f)
    assert values["abroad_rate"] == 0.123
    assert values["return_rate"] == HAND_SET["return_rate"]
    assert "cal.json" in source
    values, source = defaults(tmp_path / "missing.json")
    assert values == HAND_SET and "hand-set" in source


@pytest.mark.parametrize(("doc", "message"), [
    ({"parameters": {"abroad_rat": 0.1}}, r"parameters\.abroad_rat: unknown parameter"),
    ({"parameters": {"abroad_rate": "x"}}, r"parameters\.abroad_rate: expected a finite number"),
    ({"params": {}}, r"expected a JSON object with a 'parameters' object"),
])
def test_bad_defaults_file_is_a_one_line_error(tmp_path, doc, message):
    f = tmp_path / "cal.json"
    f.write_text(json.dumps(doc))
    with pytest.raises(KochuError, match=message) as err:
        defaults(f)
    assert "\n" not in str(err.value)


def test_default_model_bishkek_gains_and_naryn_loses_by_internal_migration():
    """Behaviour of the defaults (issue 4): the capital gains, Naryn loses (1989-2009)."""
    atlas = load_atlas()
    sim = Sim(atlas, seed=1, scale=0.01, end=2010)
    res = sim.run(2010).finalize()
    net = net_internal_by_unit(atlas, res)
    assert net["bishkek"] > 0
    assert net["naryn"] < 0
    assert net["chuy"] > net["naryn"]
