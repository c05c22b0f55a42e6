"""Property: scenario → objects → TOML text → scenario is the identity (and stable text)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kochu.scenarios import dumps, loads
from kochu.scenarios.schema import Scenario, parse_scenario

ids = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True)
place_lists = st.lists(ids, min_size=1, max_size=4, unique=True)
years = st.integers(1989, 2060)
text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30
)


@st.composite
def window(draw) -> dict:
    start_y = draw(years)
    start = draw(st.one_of(st.just(start_y), st.builds(lambda m: f"{start_y}-{m:02d}", st.integers(1, 12))))
    out: dict = {"start": start}
    if draw(st.booleans()):
        out["end"] = draw(st.integers(start_y, 2070))
    if draw(st.booleans()):
        out["label"] = draw(text)
    if draw(st.booleans()):
        out["source"] = draw(text)
    return out


factor = st.floats(0.01, 10.0, allow_nan=False)


@st.composite
def intervention(draw) -> dict:
    w = draw(window())
    kind = draw(st.sampled_from([
        "jobs", "transport", "registration_reform", "legalisation", "hazard",
        "border_resettlement", "farm_subsidy", "capital_housing",
    ]))
    if kind == "jobs":
        sector = draw(st.sampled_from(["railway", "hydro_dam", "mine", "mine_closure", "other"]))
        jobs = draw(st.integers(1, 1_000_000)) * (-1 if sector == "mine_closure" or draw(st.booleans()) else 1)
        return {"type": kind, **w, "places": draw(place_lists), "jobs": jobs, "sector": sector,
                "ramp_months": draw(st.integers(0, 600))}
    if kind == "transport":
        pairs = draw(st.lists(st.lists(ids, min_size=2, max_size=2, unique=True), min_size=1, max_size=3))
        return {"type": kind, **w, "routes": pairs, "cost_factor": draw(factor)}
    if kind == "registration_reform":
        return {"type": kind, **w, "places": draw(st.lists(ids, max_size=3, unique=True)),
                "completeness_factor": draw(st.floats(1.01, 10.0)),
                "propiska_cost_factor": draw(st.floats(0.01, 10.0))}
    if kind == "legalisation":
        w.pop("end", None)
        return {"type": kind, **w, "places": draw(place_lists), "services": draw(st.booleans()),
                "include_hazard_zones": draw(st.booleans())}
    if kind == "hazard":
        return {"type": kind, **w, "places": draw(place_lists),
                "hazard": draw(st.sampled_from(["landslide", "flood", "mudflow", "earthquake", "uranium_tailings"])),
                "displaced_share": draw(st.floats(0.01, 1.0)), "hazard_increase_sd": draw(st.floats(0.0, 3.0)),
                **({"return_months": draw(st.floats(0.5, 1200.0))} if draw(st.booleans()) else {})}
    if kind == "border_resettlement":
        return {"type": kind, **w, "places": draw(st.lists(ids, max_size=3, unique=True)),
                "income_increase_sd": draw(st.floats(0.001, 3.0))}
    if kind == "farm_subsidy":
        return {"type": kind, **w, "places": draw(st.lists(ids, max_size=3, unique=True)),
                "subsidy_level": draw(st.floats(0.001, 1.0))}
    w.setdefault("end", 2070)
    return {"type": kind, **w, "capacity_people": draw(st.integers(1, 5_000_000))}


@st.composite
def scenario_dicts(draw) -> dict:
    ivs = draw(st.lists(intervention(), max_size=5))
    last = max([int(str(iv["start"])[:4]) for iv in ivs], default=1990)
    return {
        "name": draw(st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,15}", fullmatch=True)),
        "description": draw(text),
        "base": draw(st.sampled_from(["baseline", "other.toml", "../x/y.toml"])),
        "horizon": draw(st.integers(max(last, 1990), 2100)),
        "seeds": draw(st.lists(st.integers(0, 2**63 - 1), min_size=1, max_size=5, unique=True)),
        "scale": draw(st.floats(1e-6, 1.0)),
        "interventions": ivs,
    }


@given(scenario_dicts())
def test_round_trip(data: dict) -> None:
    sc = parse_scenario(data)
    text1 = dumps(sc)
    back = loads(text1)
    assert isinstance(back, Scenario)
    assert back == sc
    assert back.to_dict() == sc.to_dict()
    assert dumps(back) == text1


junk = st.one_of(
    st.integers(-(2**63), 2**63 - 1), st.floats(allow_nan=True, allow_infinity=True), text,
    st.booleans(), st.lists(st.integers(-5, 5), max_size=3), st.dictionaries(ids, st.integers(), max_size=2),
)


@given(scenario_dicts(), st.data())
def test_any_corrupted_field_is_one_line_scenario_error(data: dict, draw) -> None:
    """Replace one value (top level or in an intervention) by junk: the file is either still
    valid or rejected with a one-line ScenarioError — never another exception."""
    import tomli_w

    from kochu.errors import ScenarioError

    target = data
    if data["interventions"] and draw.draw(st.booleans()):
        target = draw.draw(st.sampled_from(data["interventions"]))
    key = draw.draw(st.sampled_from(sorted(target) + ["unknown_key"]))
    target[key] = draw.draw(junk)
    try:
        loads(tomli_w.dumps(data), "fuzz.toml")
    except ScenarioError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("fuzz.toml: ")
