"""Shared test helpers: small scenarios built from plain dicts, through the loader's door."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from sim.scenario import Scenario
from sim.scenario.files import deep_merge
from sim.scenario.loader import validate


def scenario(**changes: Any) -> Scenario:
    """A small two-procedure scenario (desk for non-digital, waitlist for the rest)."""
    base: dict[str, Any] = {
        "name": "tiny",
        "horizon": {"start": "2021-03-01", "days": 90, "warmup_days": 10},
        "procedures": {
            "first_title": {"annual_volume": 3000, "counter_minutes_per_visit": 40},
            "renewal": {"annual_volume": 5000, "counter_minutes_per_visit": 20},
        },
        "behaviour": {"digital_access_share": 0.8,
                      "patience": {"kind": "exponential", "mean": 30}},
        "staff": {"front_office_etp": 6},
        "channels": {
            "desk": {"kind": "desk", "audience": "non_digital", "counter_share": 0.2},
            "online": {"kind": "waitlist", "audience": "all", "counter_share": 0.8},
        },
    }
    return validate(deep_merge(base, changes))


def mmc(lam: float, mu: float, c: int, theta: float | None, days: float,
        warmup: float = 0.0) -> Scenario:
    """A continuous-time M/M/c(+M) desk: lam, mu, theta per day."""
    return validate({
        "name": "mmc",
        "horizon": {"days": days, "warmup_days": warmup},
        "calendar": {"continuous": True},
        "procedures": {"walk_in": {"annual_volume": lam * 365,
                                   "counter_minutes_per_visit": 1440 / mu}},
        "behaviour": {"patience": None if theta is None
                      else {"kind": "exponential", "mean": 1 / theta}},
        "staff": {"front_office_etp": 0},
        "channels": {"desk": {"kind": "desk", "counters": c}},
    })


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


# --------------------------------------------------------------------------- parallel runs
# `make test` runs the suite on pytest-xdist workers with ``--dist loadgroup``. A test that
# uses a module- or class-scoped fixture of its own module (a comparison, a Dask cluster, a set
# of runs) is grouped with the other tests of that module, so the fixture is built once, on
# one worker, instead of once per worker. Every other test is scheduled on its own.

_SHARED_SCOPES = ("module", "class", "package")


def _shares_a_fixture(item: pytest.Item) -> bool:
    info = getattr(item, "_fixtureinfo", None)
    if info is None:  # doctests and other non-function items
        return False
    for name in item.fixturenames:  # type: ignore[attr-defined]
        for fixture in info.name2fixturedefs.get(name, ()):
            if fixture.scope in _SHARED_SCOPES and fixture.baseid:
                return True
    return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _shares_a_fixture(item):
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))
    if hasattr(config, "workerinput"):  # an xdist worker: every worker sorts the same way
        # The long checks first (slow tier, then the groups), so that no worker starts one of
        # them while the other has nothing left to do. Within each class, the usual order.
        items.sort(key=lambda i: (i.get_closest_marker("slow") is None,
                                  i.get_closest_marker("xdist_group") is None))
