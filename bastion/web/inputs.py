"""What the API and the pages accept, each kind of value bounded once.

The JSON bodies, the path and query parameters and the page forms validate with these same
types, so a page refuses exactly what the API refuses (`request.invalid`, the field named) and
nothing typed is ever cut short to fit.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Annotated, Any

from pydantic import AfterValidator, StringConstraints, TypeAdapter, ValidationError

from bastion import errors
from bastion.clock import client_moment
from bastion.errors import BastionError
from bastion.i18n import _

# No control characters: PostgreSQL refuses a NUL in text, and nothing here needs a line break.
_PRINTABLE = r"^[^\x00-\x1f\x7f]*$"

# RFC 5321 caps a path at 256 octets; 320 is the common bound of local part (64) + @ + domain (255).
Email = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=320,
                                         pattern=r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+$")]
# Policy decides what a good password is; this only bounds the request.
Password = Annotated[str, StringConstraints(min_length=1, max_length=1024)]
# An emailed link's token or a case's access token.
Token = Annotated[str, StringConstraints(min_length=1, max_length=256)]
# A record's id in an address or a hidden field (sign-in flow, case, account, passkey, window…).
EntityId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=_PRINTABLE)]
# A second factor's code: an authenticator code, a backup code, the emailed device code.
OneTimeCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
# A second-factor method's name as a client sends it (`totp`, `backup-code`, `passkey`).
MethodName = Annotated[str, StringConstraints(max_length=32)]
PasskeyName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64,
                                               pattern=r"^[^\x00-\x1f\x7f]+$")]
# Why staff did something: audited, and for a decision read by the account holder.
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500)]
# An agent's internal note on a case.
NoteText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
# A refusal's reference as shown with it, e.g. R-7F3K9Q2M.
RefusalReference = Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=_PRINTABLE)]
# What staff type to find an account: part of an email, or an id.
SearchText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=320,
                                              pattern=_PRINTABLE)]
# The `next_cursor` of a page before.
Cursor = Annotated[str, StringConstraints(max_length=200, pattern=_PRINTABLE)]

# A time a client sends: within the years Bastion can compute with (else refused), kept in its own zone.
Moment = Annotated[datetime, AfterValidator(lambda moment: client_moment(moment) and moment)]


def invalid(fields: list[tuple[str, str]], detail: str | None = None) -> BastionError:
    """The refusal of a malformed request, as the API gives it: the fields named, never their values
    (they may be passwords)."""
    named_fields = [{"field": field, "message": message} for field, message in fields]
    if detail is None:
        named = sorted({field.removeprefix("body.") for field, _message in fields if field})
        detail = _("Check these fields: %(fields)s.") % {"fields": ", ".join(named)} if named else None
    return BastionError(errors.Reason.REQUEST_INVALID, detail=detail, extra={"errors": named_fields})


@lru_cache(maxsize=64)
def _adapter(kind: Any) -> TypeAdapter[Any]:
    return TypeAdapter(kind)


def checked(kind: Any, value: Any, field: str) -> Any:
    """One value against its input type: the value as the API would take it, or its refusal."""
    try:
        return _adapter(kind).validate_python(value)
    except ValidationError as error:
        raise invalid([(field, item.get("msg", "")) for item in error.errors()]) from None


def valid_id(value: str, field: str) -> str:
    """A record's id from an address or a hidden field, refused as the API refuses it."""
    return str(checked(EntityId, value, field))
