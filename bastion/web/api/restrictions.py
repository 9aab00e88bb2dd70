"""The account holder's brakes: freeze now, freeze from an email link, the IP allowlist."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field, StringConstraints

from bastion.accounts.settings import get_ip_allowlist, set_ip_allowlist
from bastion.accounts.status import freeze_account, freeze_with_link
from bastion.web.api.schemas import Body, StatusOut, TokenIn
from bastion.web.deps import ClientDep, ServicesDep, SessionDep
from bastion.web.openapi import problems

router = APIRouter(prefix="/v1", tags=["restrictions"])

Cidr = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class AllowlistIn(Body):
    cidrs: list[Cidr] = Field(max_length=20, description="IPv4/IPv6 addresses or CIDRs; empty allows anywhere.")


class AllowlistOut(BaseModel):
    cidrs: list[str]
    current_ip_allowed: bool = Field(description="Whether the network of this request is on the list.")


@router.post("/me/freeze", response_model=StatusOut, responses=problems(401, 403, 503))
def freeze_me(session: SessionDep, services: ServicesDep, client: ClientDep) -> StatusOut:
    """Freeze the account now: every session ends (this one too) and nobody can sign in."""
    freeze_account(services, session.account_id, client, via="self_service")
    return StatusOut(status="frozen")


@router.post("/freeze", response_model=StatusOut, responses=problems(400, 410, 422, 429))
def freeze_from_email(body: TokenIn, services: ServicesDep, client: ClientDep) -> StatusOut:
    """"This wasn't me": the link in a security email freezes the account."""
    freeze_with_link(services, body.token, client)
    return StatusOut(status="frozen")


@router.get("/me/ip-allowlist", response_model=AllowlistOut, responses=problems(401, 403, 503))
def read_allowlist(session: SessionDep, services: ServicesDep, client: ClientDep) -> AllowlistOut:
    from bastion.signin.gates import ip_allowed

    cidrs = get_ip_allowlist(services, session.account_id)
    return AllowlistOut(cidrs=cidrs, current_ip_allowed=ip_allowed(cidrs, client.ip))


@router.put("/me/ip-allowlist", response_model=AllowlistOut, responses=problems(401, 403, 422, 503))
def replace_allowlist(body: AllowlistIn, session: SessionDep, services: ServicesDep,
                      client: ClientDep) -> AllowlistOut:
    """Sign-in only from these networks (at most 20). Needs a recent sign-in or re-authentication."""
    from bastion.signin.gates import ip_allowed

    cidrs = set_ip_allowlist(services, session, body.cidrs, client)
    return AllowlistOut(cidrs=cidrs, current_ip_allowed=ip_allowed(cidrs, client.ip))
