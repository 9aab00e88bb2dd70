"""A network on hold pays at the door: its sign-ins are refused there, as the route refuses them,
without taking a place in the hash queue, so a held attacker never turns away people elsewhere."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bastion.services import Services
from bastion.throttle.held_networks import LOOK_AGAIN_AFTER, HeldNetworks
from bastion.web.app import DOOR_ANSWERS, create_app
from bastion.web.client import sign_device_id
from bastion.web.edge import Edge
from tests.conftest import DEFAULT_PASSWORD

HELD = "203.0.113.9"
NEIGHBOUR = "203.0.113.10"  # the same /24: held only when the subnet is
ELSEWHERE = "198.51.100.7"


def hold(services: Services, ip: str, failures: int | None = None) -> None:
    """The network's budget spent: the throttle places the hold (and this process meets it)."""
    now = services.clock.now()
    for _ in range(failures or services.throttle.limits["ip"].count):
        services.throttle.count_network_failure(ip, now)


def hold_in_the_store_only(services: Services, ip: str) -> None:
    """A hold this process has not met (placed by another worker)."""
    now = services.clock.now()
    services.throttle.store.hold(services.throttle.network_keys(ip)[0], now + timedelta(minutes=15), now)


class HoldingApp:
    """Stands for the application: holds the requests sent as `admitted` until released, answers the rest."""

    def __init__(self) -> None:
        self.entered = 0
        self.release = asyncio.Event()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.entered += 1
        if scope.get("hold"):
            await self.release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})


class Door:
    """The edge with the application's own answers, in front of an application that holds each request."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.app = HoldingApp()
        self.fastapi: FastAPI = create_app(services, deliver_mail=False)  # its refusal records, as the edge sees it
        self.edge = Edge(self.app, services, door_answers=DOOR_ANSWERS)

    def scope(self, ip: str, path: str = "/v1/login", headers: list[tuple[bytes, bytes]] | None = None) -> Any:
        return {"type": "http", "method": "POST", "path": path, "headers": headers or [], "client": (ip, 40000),
                "query_string": b"", "app": self.fastapi}

    async def answer(self, request_scope: Any) -> tuple[int, dict[bytes, bytes], bytes]:
        messages: list[Any] = []

        async def send(message: Any) -> None:
            messages.append(message)

        async def receive() -> Any:
            raise AssertionError("a request refused at the door is never read")

        await self.edge(request_scope, receive, send)
        return messages[0]["status"], dict(messages[0]["headers"]), b"".join(m.get("body", b"") for m in messages[1:])

    def admitted(self, request_scope: Any) -> asyncio.Task[Any]:
        """A request let in: it waits in the application until released."""
        async def receive() -> Any:
            return {"type": "http.request", "body": b""}

        async def send(_message: Any) -> None:
            pass

        return asyncio.create_task(self.edge({**request_scope, "hold": True}, receive, send))

    @property
    def queued(self) -> float:
        return self.services.hash_gate.state()["queued"]


def test_a_held_networks_sign_ins_are_refused_at_the_door_without_taking_a_place(services: Services) -> None:
    async def run() -> None:
        door = Door(services)
        hold(services, HELD)
        others = [door.admitted(door.scope(ip)) for ip in (ELSEWHERE, NEIGHBOUR)]
        await asyncio.sleep(0)
        assert door.app.entered == 2 and door.queued == 2  # other networks take places, the held one's /24 too
        for _ in range(3):
            status, headers, body = await door.answer(door.scope(HELD))
            problem = json.loads(body)
            assert status == 429 and problem["code"] == "ip.throttled" and problem["retry_after"] == 900
            assert headers[b"retry-after"] == b"900" and headers[b"content-type"] == b"application/problem+json"
            assert re.fullmatch(r"R-[0-9A-Z]{8}", problem["reference"]) and problem["help"]
            assert headers[b"x-frame-options"] == b"DENY"  # the edge's headers, as on every answer
        assert door.app.entered == 2 and door.queued == 2  # no place taken, none held
        assert services.hash_gate.refused["network_held"] == 3
        assert services.hash_gate.refused["wait_over_budget"] == 0
        door.app.release.set()
        await asyncio.gather(*others)
        assert door.queued == 0

    asyncio.run(run())


def test_a_held_subnet_is_refused_at_the_door_from_any_of_its_addresses(services: Services) -> None:
    async def run() -> None:
        door = Door(services)
        subnet_limit = services.throttle.limits["subnet"].count
        for number in range(subnet_limit):
            hold(services, f"203.0.113.{number % 8 + 1}", failures=1)
        status, _headers, body = await door.answer(door.scope("203.0.113.200"))
        assert status == 429 and json.loads(body)["code"] == "ip.throttled"
        elsewhere = door.admitted(door.scope("203.0.114.200"))
        await asyncio.sleep(0)
        assert door.app.entered == 1
        door.app.release.set()
        await elsewhere

    asyncio.run(run())


def test_when_the_hold_ends_the_network_takes_places_again(services: Services, clock) -> None:  # type: ignore[no-untyped-def]
    async def run() -> None:
        door = Door(services)
        hold(services, HELD)
        assert (await door.answer(door.scope(HELD)))[0] == 429
        clock.advance(minutes=15)
        back = door.admitted(door.scope(HELD))
        await asyncio.sleep(0)
        assert door.app.entered == 1 and door.queued == 1
        door.app.release.set()
        await back

    asyncio.run(run())


def test_a_sign_in_the_route_may_let_through_passes_the_door_of_a_held_network(services: Services) -> None:
    """A device the account knows is not held with its network, header or cookie; an app's version is
    judged before the network (requirements §32); no hold refuses a sign-up."""
    async def run() -> None:
        door = Door(services)
        hold(services, HELD)
        phone, laptop = sign_device_id(services.keys, "owners-phone"), sign_device_id(services.keys, "laptop")
        passing = [door.scope(HELD, headers=[(b"x-device-id", phone.encode())]),
                   door.scope(HELD, "/login", headers=[(b"cookie", f"a=b; bastion_device={laptop}".encode())]),
                   door.scope(HELD, headers=[(b"x-client-platform", b"ios"), (b"x-client-version", b"1.0.0")]),
                   door.scope(HELD, "/v1/accounts"), door.scope(HELD, "/signup")]
        admitted = [door.admitted(request_scope) for request_scope in passing]
        await asyncio.sleep(0)
        assert door.app.entered == len(passing)
        assert services.hash_gate.refused["network_held"] == 0
        door.app.release.set()
        await asyncio.gather(*admitted)

    asyncio.run(run())


def test_an_identifier_bastion_did_not_sign_is_refused_at_the_door_of_a_held_network(services: Services) -> None:
    """Only an identifier Bastion signed names a device (requirements §18): the route takes a made-up or
    forged one for none and refuses it for the network's hold, so the door refuses it first — once these
    passed, and each cost a thread and a database read before the same refusal."""
    async def run() -> None:
        door = Door(services)
        hold(services, HELD)
        signed = sign_device_id(services.keys, "owners-phone")
        forged = signed[:-1] + ("0" if signed[-1] != "0" else "1")
        for made_up in (b"legit-device-1", forged.encode()):
            status, _headers, body = await door.answer(door.scope(HELD, headers=[(b"x-device-id", made_up)]))
            assert status == 429 and json.loads(body)["code"] == "ip.throttled"
        cookie = door.scope(HELD, "/login", headers=[(b"cookie", b"a=b; bastion_device=laptop")])
        status, headers, _body = await door.answer(cookie)
        assert status == 303 and headers[b"location"] == b"/login"  # the page's refusal, shown on the page
        assert door.app.entered == 0 and door.queued == 0
        assert services.hash_gate.refused["network_held"] == 3

    asyncio.run(run())


def test_a_hold_lifted_in_the_store_stops_refusing_at_the_door(services: Services, clock) -> None:  # type: ignore[no-untyped-def]
    """Nothing in Bastion lifts a network's hold early, but one lifted by hand in the store (or lost
    with it) is looked at again within LOOK_AGAIN_AFTER — at once when something here looks it up."""
    async def run() -> None:
        door = Door(services)
        hold(services, HELD)
        services.throttle.store.reset(*services.throttle.network_keys(HELD))
        assert (await door.answer(door.scope(HELD)))[0] == 429  # believed a little longer
        clock.advance(seconds=LOOK_AGAIN_AFTER.total_seconds())
        first = door.admitted(door.scope(HELD))
        await asyncio.sleep(0)
        assert door.app.entered == 1

        hold(services, ELSEWHERE)
        services.throttle.store.reset(*services.throttle.network_keys(ELSEWHERE))
        services.throttle.check_network(ELSEWHERE, clock.now())  # any look-up: no hold, forgotten
        second = door.admitted(door.scope(ELSEWHERE))
        await asyncio.sleep(0)
        assert door.app.entered == 2
        door.app.release.set()
        await asyncio.gather(first, second)

    asyncio.run(run())


@pytest.fixture
def held_client(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services, deliver_mail=False), client=(HELD, 40000),
                    raise_server_exceptions=False) as client:
        yield client


def test_the_doors_refusal_is_the_one_the_route_gives(services: Services, held_client: TestClient) -> None:
    hold_in_the_store_only(services, HELD)
    sign_in = {"email": "someone@example.com", "password": DEFAULT_PASSWORD}
    by_route = held_client.post("/v1/login", json=sign_in)  # the route refuses it: now this process knows
    assert services.hash_gate.refused["network_held"] == 0
    at_door = held_client.post("/v1/login", json=sign_in)
    assert services.hash_gate.refused["network_held"] == 1
    assert at_door.status_code == by_route.status_code == 429
    for header in ("content-type", "retry-after"):
        assert at_door.headers[header] == by_route.headers[header]
    route_body, door_body = by_route.json(), at_door.json()
    references = route_body.pop("reference"), door_body.pop("reference")
    assert door_body == route_body and door_body["code"] == "ip.throttled"
    for reference in references:  # each found by support's look-up, with when the hold ends
        assert held_client.get(f"/v1/help/references/{reference}").json()["in_effect_until"] == "2026-01-05T09:15:00Z"


def test_the_sign_in_page_shows_the_doors_refusal_as_it_shows_the_routes(services: Services,
                                                                          held_client: TestClient) -> None:
    hold_in_the_store_only(services, HELD)
    for refused_at_door in (0, 1):  # by the route first: then this process knows
        token = re.search(r'name="csrf_token" value="([^"]+)"', held_client.get("/login").text)
        assert token
        answer = held_client.post("/login", data={"email": "someone@example.com", "password": DEFAULT_PASSWORD,
                                                  "csrf_token": token.group(1)},
                                  headers={"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"},
                                  follow_redirects=False)
        assert services.hash_gate.refused["network_held"] == refused_at_door
        assert answer.status_code == 303 and answer.headers["location"] == "/login"
        assert "bastion_refusal=" in answer.headers["set-cookie"]
        shown = held_client.get("/login")
        assert shown.status_code == 429 and "Too many attempts from your network" in shown.text
        assert re.search(r"R-[0-9A-Z]{8}", shown.text)


def test_a_known_device_signs_in_from_a_held_network(services: Services, held_client: TestClient,
                                                     account_factory) -> None:  # type: ignore[no-untyped-def]
    owner = account_factory()
    sign_in = {"email": owner["email"], "password": owner["password"]}
    desk = {"X-Device-Id": sign_device_id(services.keys, "desk")}
    assert held_client.post("/v1/login", json=sign_in, headers=desk).json()["status"] == "authenticated"
    hold(services, HELD)
    assert held_client.post("/v1/login", json=sign_in).json()["code"] == "ip.throttled"
    assert services.hash_gate.refused["network_held"] == 1
    assert held_client.post("/v1/login", json=sign_in, headers=desk).json()["status"] == "authenticated"


def test_a_made_up_identifier_is_no_known_device_and_is_refused_at_a_held_networks_door(
        services: Services, held_client: TestClient, account_factory) -> None:  # type: ignore[no-untyped-def]
    """The owner's app once sent a made-up identifier: it was answered a signed one, and the made-up one
    never became a device the account knows, so from a held network it is refused, at the door."""
    owner = account_factory()
    sign_in = {"email": owner["email"], "password": owner["password"]}
    made_up = {"X-Device-Id": "desk"}
    first = held_client.post("/v1/login", json=sign_in, headers=made_up).json()
    assert first["status"] == "authenticated" and first["device_id"] != "desk"
    held_client.cookies.clear()  # an app: it keeps no cookie, only the identifier it sends
    hold(services, HELD)
    refused = held_client.post("/v1/login", json=sign_in, headers=made_up)
    assert refused.status_code == 429 and refused.json()["code"] == "ip.throttled"
    assert services.hash_gate.refused["network_held"] == 1  # at the door
    issued = {"X-Device-Id": first["device_id"]}
    assert held_client.post("/v1/login", json=sign_in, headers=issued).json()["status"] == "authenticated"


def test_what_a_process_remembers_of_holds_ends_with_them_and_is_bounded(clock) -> None:  # type: ignore[no-untyped-def]
    now = clock.now()
    remembered = HeldNetworks(capacity=3, look_again_after=timedelta(seconds=10))
    assert not remembered
    for number in range(5):
        remembered.learn(f"ip:{number}", now + timedelta(seconds=5 + number), now)
    assert [remembered.held_until([f"ip:{number}"], now) is not None for number in range(5)] == \
        [False, False, True, True, True]  # the three learned last
    assert remembered.held_until(["ip:3", "ip:4"], now) == now + timedelta(seconds=9)
    assert remembered.held_until(["ip:2"], now + timedelta(seconds=7)) is None  # its hold ended
    remembered.learn("ip:long", now + timedelta(minutes=15), now)
    assert remembered.held_until(["ip:long"], now + timedelta(seconds=9)) == now + timedelta(minutes=15)
    assert remembered.held_until(["ip:long"], now + timedelta(seconds=10)) is None  # to be looked at again
    remembered.learn("ip:long", now + timedelta(minutes=15), now)
    remembered.forget("ip:long")
    assert remembered.held_until(["ip:long"], now) is None
