"""The documentation's examples run as written (slow tier).

A newcomer follows the tutorial or a how-to by pasting its blocks in order: every ``sh``
and ``python`` block of the pages below is run, in page order, in a fresh working folder
that holds the repository's ``scenarios/`` and ``.venv/`` (the commands say
``.venv/bin/prefsim``). A block that fails fails the test, with the page and the block.

Left out, each for a reason: ``make`` targets (CI runs them itself), a Dask cluster
started by hand (the sweep tests start a real ``LocalCluster``), the Python block that
connects to that cluster, and servers (the dashboard tests start one). The calibration
how-to writes into the repository's ``data/`` and ``docs/`` (``tests/test_calibrate.py``
runs calibrations), and the dashboard page only starts the server.

The blocks run at reduced scale: the same commands and code, with at most ``REPLICATIONS``
replications where a block asks for more (two: the fewest that still give intervals and
paired differences) and ``--max-replications`` at most ``MAX_REPLICATIONS`` (still above
the first batch, so a comparison to a precision still adds replications). What the pages
say is checked, not how long their numbers take to settle; the scale of each command is
tested elsewhere (budget, comparison, sweep tests).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import matplotlib
import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["README.md", "docs/index.md", "docs/tutorial.md", "docs/howto-compare.md",
         "docs/howto-sweep.md", "docs/howto-national.md", "docs/validation.md"]
FENCE = re.compile(r"(?:Create `([^`]+)`:\s*)?^```(\w+)[^\n]*\n(.*?)^```",
                   re.MULTILINE | re.DOTALL)
SKIP = (
    (re.compile(r"^make\b", re.MULTILINE), "a make target: CI runs it"),
    (re.compile(r"dask (scheduler|worker)"), "a cluster started by hand"),
    (re.compile(r"tcp://127\.0\.0\.1:8786"), "needs the cluster started by hand"),
    (re.compile(r"prefsim dashboard|streamlit run"), "a server: the dashboard tests start it"),
)

REPLICATIONS, MAX_REPLICATIONS = 2, 4
SCALE = (  # (pattern whose group 2 is a count, the most it may be when the test runs it)
    (re.compile(r"(--max-replications[ =])(\d+)"), MAX_REPLICATIONS),
    (re.compile(r"((?<![-\w])--replications[ =]|(?<![-\w])-r |\breplications=)(\d+)"),
     REPLICATIONS),
)


def reduced(code: str) -> str:
    """The block as the test runs it: every replication count capped (never raised)."""
    for pattern, most in SCALE:
        code = pattern.sub(lambda m, most=most: f"{m[1]}{min(int(m[2]), most)}", code)
    return code


def blocks(page: str) -> list[tuple[str, str, str]]:
    """The runnable blocks of a page, in order: (language, code, file to create). A block
    right after "Create `path`:" is a file the reader writes."""
    text = (ROOT / page).read_text(encoding="utf-8")
    return [(lang, code, create) for create, lang, code in FENCE.findall(text)
            if create or lang in {"sh", "bash", "python"}]


def test_examples_are_reduced_in_scale_and_only_in_scale() -> None:
    """The reduction caps the replication counts of the examples, and changes nothing else."""
    changed = 0
    for page in PAGES:
        for _, code, create in blocks(page):
            short = reduced(code)
            if create or short == code:
                continue
            changed += 1
            counts = re.compile(r"\d+")
            assert counts.sub("N", short) == counts.sub("N", code), (page, code, short)
            for pattern, most in SCALE:
                for before, after in zip(pattern.finditer(code), pattern.finditer(short),
                                         strict=True):
                    assert int(after[2]) == min(int(before[2]), most), (page, code)
    assert changed >= 10  # the long examples (README, tutorial, how-tos) are reduced
    assert reduced("x --replications 10 -r 5 --max-replications 60 replications=1") == (
        "x --replications 2 -r 2 --max-replications 4 replications=1")
    assert reduced("--max-replications 3 --seed 10 --days 250") == (
        "--max-replications 3 --seed 10 --days 250")


def skipped(code: str) -> str | None:
    for pattern, why in SKIP:
        if pattern.search(code):
            return why
    return None


def test_every_page_has_runnable_blocks() -> None:
    """The parser finds the examples (a page whose fences changed would be silently empty)."""
    for page in PAGES:
        assert blocks(page), page


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES)
def test_page_examples_run(page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(ROOT / "scenarios", tmp_path / "scenarios")  # the reader adds files
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    monkeypatch.chdir(tmp_path)
    matplotlib.use("Agg")
    env = {**os.environ, "MPLBACKEND": "Agg"}
    ran = 0
    for k, (lang, code, create) in enumerate(blocks(page)):
        if skipped(code):
            continue
        if not create:
            code = reduced(code)
        where = f"{page}, block {k + 1} ({lang}, as run):\n{code}"
        if create:
            (tmp_path / create).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / create).write_text(code, encoding="utf-8")
        elif lang == "python":
            try:
                exec(compile(code, f"{page}#{k + 1}", "exec"), {"__name__": "__docs__"})
            except Exception as exc:  # report the block, not just the line
                raise AssertionError(f"{where}\nraised {exc!r}") from exc
        else:
            done = subprocess.run(["bash", "-e", "-c", code], cwd=tmp_path, env=env,
                                  capture_output=True, text=True, timeout=900)
            assert done.returncode == 0, f"{where}\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
        ran += 1
    assert ran, f"{page}: every block was skipped"
