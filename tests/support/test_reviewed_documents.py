"""An approval covers the documents the agent reviewed: a document replaced during review drops the
claim, and the approvals given before no longer count (the case's timeline says so), an approval sent with the digest of other
documents is refused, and each approval records the digest it approved."""

from __future__ import annotations

from sqlalchemy import select

from bastion.support.models import CaseApproval
from tests.recovery.conftest import case_link, png, upload
from tests.support.conftest import act


def test_a_replacement_during_review_drops_the_claim_and_the_approvals(four_eyes) -> None:
    floor = four_eyes
    first, second = floor.agent(), floor.agent()
    owner, case_id = floor.case()
    _, token = case_link(floor.mailbox, owner["email"])
    seen = floor.client.get(f"/v1/support/cases/{case_id}", headers=first["headers"]).json()["documents_sha256"]
    assert act(floor.client, first, case_id, "approve", reason="the photo matches", documents_sha256=seen
               ).json() == {"status": "in_review"}
    assert act(floor.client, second, case_id, "claim").json() == {"status": "claimed"}
    assert upload(floor.client, case_id, token, "id_front", png(65, 48)).status_code == 201
    case = floor.client.get(f"/v1/support/cases/{case_id}", headers=second["headers"]).json()
    assert case["approvals"] == [] and case["claimed_by"] is None and case["documents_sha256"] != seen
    story = floor.client.get(f"/v1/support/cases/{case_id}/timeline", headers=second["headers"]).json()
    assert any(entry["kind"] == "case.review_restarted" and "earlier approvals no longer count" in entry["what"]
               for entry in story["entries"])
    # The second agent decides on what they saw: the old digest is refused, the new one approved.
    stale = act(floor.client, second, case_id, "approve", reason="fine", documents_sha256=seen)
    assert (stale.status_code, stale.json()["code"]) == (409, "case.documents_changed")
    assert act(floor.client, second, case_id, "approve", reason="fine", documents_sha256=case["documents_sha256"]
               ).json() == {"status": "in_review"}
    with floor.services.db.transaction() as tx:
        approved = dict(tx.execute(select(CaseApproval.agent_id, CaseApproval.documents_sha256)
                                   .where(CaseApproval.case_id == case_id)).all())
    assert approved == {first["id"]: seen, second["id"]: case["documents_sha256"]}  # the first's: on the record
    after = floor.client.get(f"/v1/support/cases/{case_id}", headers=second["headers"]).json()
    assert [approval["agent_id"] for approval in after["approvals"]] == [second["id"]]
