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
# `make test` runs the suite on pytest-xdist workers with ``--dist loadscope``: the tests of a
# module go to one worker, one after the other, so that its module-scoped fixtures (a
# comparison, a Dask cluster, a set of runs) are built once. The modules below are the
# exception: their tests are long and share nothing, so each is sent on its own and the
# workers run them side by side. (xdist's ``loadgroup`` marks are not used: with pytest 9.2
# xdist 3.8 cannot tag the node ids of the marked tests, and the groups are silently lost.)

SPREAD = (
    "tests/test_desk_theory.py::",
    "tests/test_phone_theory.py::",
    "tests/test_docs.py::",
    "tests/test_fuzz.py::",
    "tests/test_dashboard.py::",
    "tests/test_deadlines.py::",
    "tests/test_bots.py::",
    "tests/test_glossary.py::test_the_baseline_and_every_what_if",
)
_SHARED_SCOPES = ("module", "class", "package")


def _shares_a_fixture(item: pytest.Item) -> bool:
    """Whether the test uses a module-, class- or package-scoped fixture of the project."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:  # doctests and other non-function items
        return False
    for name in item.fixturenames:  # type: ignore[attr-defined]
        for fixture in info.name2fixturedefs.get(name, ()):
            if fixture.scope in _SHARED_SCOPES and fixture.baseid:
                return True
    return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    shared = [i.nodeid for i in items if i.nodeid.startswith(SPREAD) and _shares_a_fixture(i)]
    if shared:  # it would be built again on every worker that runs one of them
        raise pytest.UsageError(f"tests/conftest.py SPREAD: {shared[0]} uses a module-scoped "
                                "fixture; leave its module out of SPREAD")
    if hasattr(config, "workerinput"):  # an xdist worker: every worker sorts the same way
        # The slow tier first, so that no worker starts one of its long checks while the
        # other has nothing left to do; otherwise the usual order.
        items.sort(key=lambda i: i.get_closest_marker("slow") is None)


@pytest.hookimpl(optionalhook=True)  # xdist may be absent (-p no:xdist)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadscope``, with the tests of ``SPREAD`` each a unit of their own."""
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ModuleScheduling(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            return nodeid if nodeid.startswith(SPREAD) else nodeid.split("::", 1)[0]

    return ModuleScheduling(config, log)
