"""Countries' names and centroids, offline.

`data/country_centroids.csv`, generated from the PyPI package countryinfo 1.0.1 (MIT;
`CountryInfo(code).latlng()`), 240 ISO 3166-1 alpha-2 codes — regenerate with the loop in its
header if the package moves.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib.resources import files


@dataclass(frozen=True, slots=True)
class Centroid:
    lat: float
    lng: float
    name: str


@cache
def _centroids() -> dict[str, Centroid]:
    text = files("bastion.geo").joinpath("data/country_centroids.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    return {row["iso"]: Centroid(float(row["lat"]), float(row["lng"]), row["name"]) for row in rows}


def centroid(country: str) -> Centroid | None:
    return _centroids().get(country.upper())
