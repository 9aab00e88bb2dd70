"""Impossible travel between consecutive successful sign-ins (requirements §19).

The offline data has countries, not cities, so distance is between country centroids
(great-circle, haversine). Same country: no signal (a centroid says nothing about travel inside
a country). Faster than the limit (default 1,000 km/h, about an airliner's cruise) is impossible.
The centroids are `bastion.geo.countries`.
"""

from __future__ import annotations

import math
from datetime import datetime

from bastion.geo.countries import centroid

EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius


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
