"""The company's rate table: what its outbound calls cost (web.domain.call_records.price).

A rate matches a dialled number by E.164 prefix ("+3120": the longest matching prefix wins) or, failing
any prefix, by call type ("mobile"); a rate names exactly one of the two. Prices are per minute plus a
setup price per connected call, billed in whole increments; decimals, never negative."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from web.api.problems import field_problem
from web.api.resources import Resource
from web.models.call_record import CallRate

CallType = Literal["internal", "national", "mobile", "international", "premium_rate", "emergency"]
Prefix = Annotated[str, StringConstraints(pattern=r"^\+[0-9]{1,15}$")]
Price = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=4)]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]


class CallRateCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    prefix: Optional[Prefix] = None
    call_type: Optional[CallType] = None
    description: str = Field(default="", max_length=100)
    price_per_minute: Price
    setup_price: Price = Decimal("0")
    increment_seconds: int = Field(default=60, ge=1, le=3600)
    currency: Currency = "EUR"


class CallRateUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    prefix: Optional[Prefix] = None
    call_type: Optional[CallType] = None
    description: Optional[str] = Field(default=None, max_length=100)
    price_per_minute: Optional[Price] = None
    setup_price: Optional[Price] = None
    increment_seconds: Optional[int] = Field(default=None, ge=1, le=3600)
    currency: Optional[Currency] = None


class CallRatePublic(BaseModel):
    id: int
    prefix: Optional[str]
    call_type: Optional[str]
    description: str
    price_per_minute: Decimal
    setup_price: Decimal
    increment_seconds: int
    currency: str


def _validate(ctx, rate: CallRate) -> None:
    # Checked on the row (after a PATCH is applied), so create and change follow the same rule.
    if rate.prefix and rate.call_type:
        raise field_problem(422, "rate_prefix_or_type", "/call_type", "a rate has a prefix or a call type, not both")
    if not rate.prefix and not rate.call_type:
        raise field_problem(422, "rate_prefix_or_type", "/prefix", "give a prefix (+31...) or a call type")
    for name in ("price_per_minute", "setup_price"):
        if getattr(rate, name) is None:
            raise field_problem(422, "invalid", f"/{name}", "must be a price of 0 or more")
        setattr(rate, name, Decimal(str(getattr(rate, name))))


resource = Resource(
    kind="call_rate", path="/api/call-rates", table=CallRate, create_model=CallRateCreate,
    update_model=CallRateUpdate, public_model=CallRatePublic, label="call rate", validate=_validate,
)

routes = resource.routes()
