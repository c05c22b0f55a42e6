"""The :class:`Drivers` object and :func:`build_drivers`.

``build_drivers(atlas, start=1989, end=2050)`` assembles the panel of push–pull components
(:mod:`kochu.drivers.panel`), the historical regimes (:mod:`kochu.drivers.regimes`) and the
dated events (:mod:`kochu.drivers.events`). It is deterministic (no randomness) and never
mutates its inputs; :meth:`Drivers.modified` returns changed copies for scenarios.

**The information set** ``data_until=Y`` (backtests): the drivers are built from what was known
at the end of year ``Y`` only — atlas attributes and populations, the drivers' own files
(oblast indicators, national series, regime anchors, mine closures, events) dated after ``Y``
are never read. Years after ``Y`` are filled by the *same* rule the real forecast uses after
the last data year (2015): every series carries its last known value forward (oblasts keep
their last deviation from the cross-oblast mean; regimes hold); no trend is extrapolated.
Holding is the rule because a trend fitted on a few noisy indicator years (most oblast series
start 2006–2011) extrapolates noise, and the behaviour parameters are calibrated on the
levels, not on trends of the drivers. Events after ``Y`` are dropped (unknown at ``Y``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from kochu.drivers.events import Event, build_events
from kochu.drivers.panel import BASE_YEAR, COMPONENTS, Panel
from kochu.drivers.places import place_facts
from kochu.drivers.regimes import build_regimes
from kochu.errors import KochuError

_FEEDS = {"hours_to_capital": "remote_hours", "hours_to_centre": "remote_hours"}
CARRY_FORWARD = ("Years after 2015 (no data by design) carry the last observed value of every "
                 "series; no trend is extrapolated.")


def carry_forward_text(data_until: int | None) -> str:
    """The carry-forward rule as applied with the information-set cut ``data_until``."""
    if data_until is None:
        return CARRY_FORWARD
    return (f"Information set: data dated after {data_until} are not read (atlas attributes and populations, "
            f"drivers' oblast indicators, national series, regime anchors, mine closures, events). Years "
            f"after {data_until} carry the last value known in {data_until} (the rule the full forecast "
            "applies after 2015); no trend is extrapolated; later events are dropped.")


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.array(a, dtype=float, copy=True)
    a.flags.writeable = False
    return a


@dataclass(frozen=True)
class Drivers:
    """Push–pull components per settlement and year, historical regimes and events.

    Attributes: ``years`` (int array start..end), ``places`` (settlement ids in atlas order),
    ``pull`` (component -> read-only (n_years, n_places) float64 array, standardized against
    the 2009 cross-section), ``regime`` (DataFrame by year), ``events`` (list of
    :class:`Event`), ``sources`` (name -> source and method text), ``raw`` (the raw
    indicators in natural units behind the components, same shape as a component), ``gains``
    (raw name -> (component, change of the component per raw unit), for :meth:`modified_raw`).
    """

    years: np.ndarray
    places: pd.Index
    pull: dict[str, np.ndarray]
    regime: pd.DataFrame
    events: list[Event]
    sources: dict[str, str]
    raw: dict[str, np.ndarray] = field(default_factory=dict)
    gains: dict[str, tuple[str, float]] = field(default_factory=dict)

    def __repr__(self) -> str:
        return (f"Drivers({self.years[0]}..{self.years[-1]}, {len(self.places)} places, "
                f"components {', '.join(self.pull)}, {len(self.events)} events)")

    # -- lookups ---------------------------------------------------------------------------
    def _row(self, year: int) -> int:
        if not (self.years[0] <= year <= self.years[-1]):
            raise KochuError(f"year {year}: outside the drivers' years {self.years[0]}..{self.years[-1]}")
        return int(year - self.years[0])

    def _check_name(self, name: str) -> None:
        if name not in self.pull and name not in self.regime.columns:
            raise KochuError(f"driver '{name}': unknown; components: {', '.join(self.pull)}; "
                             f"regime columns: {', '.join(self.regime.columns)}")

    def component(self, name: str, year: int) -> np.ndarray:
        """Values of component ``name`` in ``year``, one per place (read-only)."""
        if name not in self.pull:
            raise KochuError(f"component '{name}': unknown, expected one of {', '.join(self.pull)}")
        return self.pull[name][self._row(year)]

    # -- scenarios ---------------------------------------------------------------------------
    def _year_rows(self, years) -> np.ndarray:
        if years is None:
            return np.arange(len(self.years))
        ys = [years] if np.isscalar(years) else list(years)
        if not ys:
            raise KochuError("years: empty, expected a year or a list of years")
        return np.array([self._row(int(y)) for y in ys])

    def _place_cols(self, places) -> np.ndarray:
        if places is None:
            return np.arange(len(self.places))
        ids = [places] if isinstance(places, str) else list(places)
        if not ids:
            raise KochuError("places: empty, expected settlement ids")
        pos = self.places.get_indexer(ids)
        if (pos < 0).any():
            bad = ids[int(np.flatnonzero(pos < 0)[0])]
            raise KochuError(f"place '{bad}': not a settlement id of this atlas (e.g. {self.places[0]})")
        return pos

    def modified(self, name: str, places: Iterable[str] | str | None = None,
                 years: Iterable[int] | int | None = None, delta: float | None = None,
                 factor: float | None = None) -> Drivers:
        """A copy with ``name`` changed at ``places`` (ids; None = all) in ``years`` (None = all).

        New value = old × ``factor`` + ``delta`` (either may be omitted, not both). ``name`` is
        a pull component (values in 2009 standard deviations) or a regime column (then
        ``places`` must be None). ``self`` is never changed.
        """
        self._check_name(name)
        if delta is None and factor is None:
            raise KochuError(f"modified('{name}'): give delta and/or factor")
        rows = self._year_rows(years)
        f = 1.0 if factor is None else float(factor)
        d = 0.0 if delta is None else float(delta)
        if not (np.isfinite(f) and np.isfinite(d)):
            raise KochuError(f"modified('{name}'): delta and factor must be finite numbers, got {delta}, {factor}")
        if name in self.regime.columns and name not in self.pull:
            if places is not None:
                raise KochuError(f"regime column '{name}' is national: places must be None")
            reg = self.regime.copy()
            col = reg[name].to_numpy(float).copy()
            col[rows] = col[rows] * f + d
            reg[name] = col
            return replace(self, regime=reg)
        cols = self._place_cols(places)
        new = np.array(self.pull[name], dtype=float, copy=True)
        block = new[np.ix_(rows, cols)]
        new[np.ix_(rows, cols)] = block * f + d
        pull = dict(self.pull)
        pull[name] = _frozen(new)
        return replace(self, pull=pull)

    def modified_raw(self, raw: str, places: Iterable[str] | str | None = None,
                     years: Iterable[int] | int | None = None, delta: float | None = None,
                     factor: float | None = None) -> Drivers:
        """A copy with raw indicator ``raw`` changed (natural units) and its component updated.

        E.g. ``modified_raw("hours_to_capital", ["s_naryn"], range(2025, 2051), delta=-2)``
        for a faster road, ``modified_raw("employment", ..., delta=0.05)`` for five points
        less unemployment, ``modified_raw("mine_open", ..., delta=1)`` for a new mine,
        ``modified_raw("water", ..., delta=1)`` for water in a novostroika. The component
        moves by ``gains[raw][1]`` per raw unit, with the 2009 standardization kept fixed (so
        other places are untouched); exact where the component is linear in the indicator.
        """
        if raw not in self.gains:
            raise KochuError(f"raw indicator '{raw}': not modifiable; expected one of {', '.join(sorted(self.gains))}")
        if delta is None and factor is None:
            raise KochuError(f"modified_raw('{raw}'): give delta and/or factor")
        rows, cols = self._year_rows(years), self._place_cols(places)
        f = 1.0 if factor is None else float(factor)
        d = 0.0 if delta is None else float(delta)
        old = self.raw[raw][np.ix_(rows, cols)]
        change = old * f + d - old
        raws = dict(self.raw)
        for name in (raw, _FEEDS.get(raw)):
            if name is not None:
                arr = np.array(self.raw[name], copy=True)
                arr[np.ix_(rows, cols)] += change
                raws[name] = _frozen(arr)
        comp, gain = self.gains[raw]
        pull = dict(self.pull)
        arr = np.array(self.pull[comp], copy=True)
        arr[np.ix_(rows, cols)] += gain * change
        pull[comp] = _frozen(arr)
        return replace(self, pull=pull, raw=raws)

    # -- export ------------------------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """Long table ``year, place, component, value`` of all pull components."""
        ny, npl = len(self.years), len(self.places)
        parts = [pd.DataFrame({"year": np.repeat(self.years, npl), "place": np.tile(self.places.to_numpy(), ny),
                               "component": name, "value": arr.ravel()}) for name, arr in self.pull.items()]
        return pd.concat(parts, ignore_index=True)


def build_drivers(atlas, start: int = 1989, end: int = 2050, gap_1989: float = 1.0,
                  data_until: int | None = None) -> Drivers:
    """Drivers for ``atlas`` over years ``start..end``.

    ``gap_1989`` scales each oblast's deviation from the cross-oblast mean in 1989 relative to
    its first observation (1.0 = hold the earliest relative position; < 1 encodes the seed's
    "gap ... exacerbated since independence"); see :mod:`kochu.drivers.oblast`.
    ``data_until``: the information-set cut (module docstring): nothing dated after it is
    read; ``None`` = all data.
    """
    if int(start) > int(end):
        raise KochuError(f"build_drivers: start {start} is after end {end}")
    if not (0.0 <= gap_1989 <= 2.0):
        raise KochuError(f"build_drivers: gap_1989 {gap_1989} outside 0..2 (1 = hold the earliest gap)")
    start, end = int(start), int(end)
    until = None if data_until is None else int(data_until)
    full = np.arange(min(start, BASE_YEAR), max(end, BASE_YEAR) + 1)
    keep = (full >= start) & (full <= end)
    regime_full, regime_src = build_regimes(int(full[0]), int(full[-1]), until)
    facts = place_facts(atlas, until)
    panel = Panel(atlas, facts, full, gap_1989, regime_full["mining_jobs"].to_numpy(float), until)
    comps = panel.build()
    sources = {k: _component_source(k, panel) for k in COMPONENTS}
    sources.update(regime_src)
    sources.update({f"raw:{k}": v for k, v in panel.sources.items()})
    sources["carry_forward"] = carry_forward_text(until)
    sources["events"] = ("kochu/drivers/data/events.csv (one source per event) and mining_closures.csv "
                         "(mine_closure events); units resolved to this atlas's settlements by name")
    sources["standardization"] = (f"each raw indicator and each component is a z-score against the {BASE_YEAR} "
                                  "cross-section of settlements (unweighted mean and sd; constant -> sd 1)")
    return Drivers(
        years=full[keep].copy(),
        places=pd.Index(atlas.settlements.index, name="place"),
        pull={k: _frozen(v[keep]) for k, v in comps.items()},
        regime=regime_full.loc[start:end].copy(),
        events=build_events(atlas, start, end, until),
        sources={k: sources[k] for k in sorted(sources)},
        raw={k: _frozen(v[keep]) for k, v in panel.raw.items()},
        gains=dict(sorted(panel.gains.items())),
    )


_PARTS = {
    "income": ("grp_rel", "poverty"), "jobs": ("employment", "manufacturing", "mine_open", "town_type_shift"),
    "land": ("land_ha",), "education": ("hei", "hei_access"), "health": ("doctors",),
    "services": ("water", "sanitation", "legal_from"),
    "hazard": ("disaster_deaths_per_100k", "landslide_share", "tailings", "hazard_zone", "hazard_site"),
    "remoteness": ("remote_hours", "hours_to_capital", "hours_to_centre"), "urban": ("amenity",),
}


def _component_source(name: str, panel: Panel) -> str:
    from kochu.drivers import panel as panel_module

    doc = panel_module.__doc__ or ""
    lines = doc.split(f"``{name}``\n", 1)
    method = lines[1].split("\n``", 1)[0] if len(lines) == 2 else ""
    method = " ".join(x.strip() for x in method.splitlines())
    parts = [f"[{p}] {panel.sources[p]}" for p in _PARTS[name] if p in panel.sources]
    if not parts:
        parts = ["no data for this atlas: component is 0 everywhere"]
    return f"{name}: {method} Sources: " + " ".join(parts)
