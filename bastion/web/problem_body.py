"""The problem+json body (RFC 9457) as a schema, for the OpenAPI document and the help answers."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ActionOut(BaseModel):
    label: str
    href: str
    endpoint: str | None = None


class Problem(BaseModel):
    """RFC 9457 problem details, with Bastion's reason code, reference and help steps."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    reference: str
    help: list[str]
    help_url: str = Field(description="The guided troubleshooter's page for this problem (relative to Bastion's URL)")
    action: ActionOut | None = Field(None, description="What fixes it: a page, and for apps the endpoint")
    retry_after: int | None = None
