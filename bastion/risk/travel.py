"""Impossible travel between consecutive successful sign-ins (requirements §19).

The offline data has countries, not cities, so distance is between country centroids
(great-circle, haversine). Same country: no signal (a centroid says nothing about travel inside
a country). Faster than the limit (default 1,000 km/h, about an airliner's cruise) is impossible.
Centroids: `data/country_centroids.csv`, generated from the PyPI package countryinfo 1.0.1
(MIT; `CountryInfo(code).latlng()`), 240 ISO 3166-1 alpha-2 codes — regenerate with the loop in
its header if the package moves.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib.resources import files

EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius


@dataclass(frozen=True, slots=True)
class Centroid:
    lat: float
    lng: float
    name: str


@cache
def _centroids() -> dict[str, Centroid]:
    text = files("bastion.risk").joinpath("data/country_centroids.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    return {row["iso"]: Centroid(float(row["lat"]), float(row["lng"]), row["name"]) for row in rows}


def centroid(country: str) -> Centroid | None:
    return _centroids().get(country.upper())


def distance_km(a: str, b: str) -> float | None:
    """Great-circle distance between two countries' centroids; None when one is unknown."""
    first, second = centroid(a), centroid(b)
    if first is None or second is None:
        return None
    lat1, lat2 = math.radians(first.lat), math.radians(second.lat)
    dlat, dlng = lat2 - lat1, math.radians(second.lng - first.lng)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlng / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def impossible_travel(previous: str, previous_at: datetime, country: str, now: datetime,
                      max_speed_kmh: float) -> bool:
    if previous == country:
        return False
    distance = distance_km(previous, country)
    if distance is None:
        return False
    hours = max((now - previous_at).total_seconds(), 0.0) / 3600
    return distance > max_speed_kmh * hours
