"""Answer models built from the domain's records: a field is declared once, in the record."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from bastion.ops.client_versions import Policy
from bastion.recovery.cases import CaseStatus
from bastion.risk.device_list import KnownDevice
from bastion.web.api.answers import answer_model
from bastion.web.api.cases import CaseStatusOut
from bastion.web.api.schemas import DeviceOut
from bastion.web.api.status import ClientVersionOut
from bastion.web.client import sign_device_id
from tests.conftest import DEFAULT_PASSWORD


@dataclass(frozen=True)
class Parcel:
    id: str
    sent_at: datetime
    note: str | None = None
    labels: list[str] = field(default_factory=list)


def test_the_answer_has_the_records_fields_in_order_with_their_descriptions() -> None:
    model = answer_model(Parcel, "ParcelOut", {"note": "What the sender wrote"})
    assert list(model.model_fields) == ["id", "sent_at", "note", "labels"]
    schema = model.model_json_schema()
    assert schema["title"] == "ParcelOut" and "description" not in schema
    # Defaults are kept; a list the record builds is in every answer, so it is required.
    assert schema["required"] == ["id", "sent_at", "labels"]
    assert schema["properties"]["note"]["description"] == "What the sender wrote"
    sent = Parcel("p1", datetime(2026, 1, 5, tzinfo=UTC), labels=["fragile"])
    assert model.model_validate(sent).model_dump() == dataclasses.asdict(sent)


def test_a_description_of_a_field_the_record_lacks_is_refused() -> None:
    with pytest.raises(TypeError, match="weight"):
        answer_model(Parcel, "ParcelOut", {"weight": "In grams"})


@pytest.mark.parametrize("record, model", [(CaseStatus, CaseStatusOut), (KnownDevice, DeviceOut),
                                           (Policy, ClientVersionOut)])
def test_the_api_answers_follow_the_domain_records(record: type, model: type) -> None:
    assert list(model.model_fields) == [item.name for item in dataclasses.fields(record)]


def test_the_device_list_answers_every_field_of_the_record(app_client, account_factory, services) -> None:
    account = account_factory()
    token = app_client.post("/v1/login", json={"email": account["email"], "password": DEFAULT_PASSWORD},
                            headers={"X-Device-Id": sign_device_id(services.keys, "laptop")}).json()["session"]["token"]
    devices = app_client.get("/v1/me/devices", headers={"Authorization": f"Bearer {token}"}).json()["devices"]
    assert devices and all(list(item) == [f.name for f in dataclasses.fields(KnownDevice)] for item in devices)
