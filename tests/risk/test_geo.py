"""Offline geolocation: real public addresses map to their countries; private ones are unknown, never an error."""

from __future__ import annotations

import pytest

from bastion import geo
from tests.risk.conftest import AWS, DE, GB, JP, US


@pytest.mark.parametrize(("ip", "country", "asn"), [
    (GB, "GB", "Andrews & Arnold Ltd"), (DE, "DE", "Strato AG"), (JP, "JP", "SAKURA Internet Inc."),
    (US, "US", "GOOGLE"), (AWS, "US", "AMAZON-02"), ("2a00:1450:4001::1", "DE", "GOOGLE"),
])
def test_public_addresses_map_to_their_country_and_as_organisation(ip: str, country: str, asn: str) -> None:
    found = geo.locate(ip)
    assert (found.country, found.asn_name) == (country, asn)


@pytest.mark.parametrize("ip", ["127.0.0.1", "10.1.2.3", "192.168.0.9", "198.51.100.7", "::1", "fe80::1",
                                "testclient", "", None, "999.1.1.1", "::ffff:127.0.0.1"])
def test_private_loopback_test_and_malformed_addresses_are_an_unknown_location(ip: str | None) -> None:
    assert geo.locate(ip) == geo.UNKNOWN


def test_the_database_is_loaded_once_per_process_and_lookups_are_cached() -> None:
    first = geo.database()
    geo.locate(GB)
    hits = geo._lookup.cache_info().hits
    geo.locate(GB)
    assert geo.database() is first
    assert geo._lookup.cache_info().hits == hits + 1


def test_places_read_as_country_names() -> None:
    from bastion.i18n.places import place_words

    assert place_words("DE") == "Germany" and place_words("GB") == "United Kingdom"
    assert place_words(None) == "Unknown location"
