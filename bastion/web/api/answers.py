"""Answer bodies made from the domain's own records: a field is declared once, where the domain
builds it, and the API's model (with its OpenAPI descriptions) follows from it."""

from __future__ import annotations

import dataclasses
from typing import Any, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, create_model


def answer_model(record: type[Any], name: str, descriptions: dict[str, str] | None = None) -> type[BaseModel]:
    """The answer model of a domain dataclass, its fields in their order.

    A field with a plain default keeps it; one built by a factory (a list) is required, as every
    answer carries it.
    """
    described = descriptions or {}
    unknown = set(described) - {item.name for item in dataclasses.fields(record)}
    if unknown:
        raise TypeError(f"{record.__name__} has no field {sorted(unknown)}")
    hints = get_type_hints(record)
    fields: dict[str, Any] = {}
    for item in dataclasses.fields(record):
        default = item.default if item.default is not dataclasses.MISSING else ...
        fields[item.name] = (hints[item.name], Field(default, description=described.get(item.name)))
    return create_model(name, __config__=ConfigDict(from_attributes=True), **fields)
