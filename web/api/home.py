"""The portal's home page: GET /api/home (a company's admin: the set-up checklist, today's calls, phones,
diversions, what needs attention) and GET /api/platform/companies (the operator: every company with its
counts). The logic is web/domain/home.py."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from pydantic import BaseModel

from web import clock
from web.api.routing import api
from web.domain import home


class Checklist(BaseModel):
    company_number: bool
    user_with_phone: bool
    phone_registered: bool
    plan_on_number: bool
    opening_hours: bool
    voicemail_email: bool


class AttentionItem(BaseModel):
    kind: str  # "bridge" (message: disconnected | down), or the kind of an object left out of calls
    id: Optional[int] = None
    name: str = ""
    pointer: str = ""  # the first field at fault
    message: str = ""
    object_kept: bool = False  # only that value is left out


class DiversionState(BaseModel):
    id: str
    name: str
    category: str
    active: bool


class PlanDiversions(BaseModel):
    plan_id: int
    plan_name: str
    diversions: list[DiversionState]


class HomePublic(BaseModel):
    checklist: Checklist
    calls_now: int
    missed_today: int  # since midnight in the company's time zone
    phones_configured: int
    phones_registered: int
    bridge: str  # connected | disconnected | down
    attention: list[AttentionItem]
    diversions: list[PlanDiversions]


class CompanyCounts(BaseModel):
    id: int
    name: str
    sip_domain: str
    company_number: Optional[str]
    users: int
    phones: int
    phones_registered: int
    numbers: int
    accounts: int
    created_at: datetime


def get_home(ctx):
    """The company's home page: the set-up checklist (seed 001 6.9), calls now, missed calls today, phones
    registered of those configured, the published plans' diversions, and what needs attention."""
    return HomePublic.model_validate(home.home(ctx.db, ctx.tenant_id, ctx.settings, clock.now()).as_dict())


def list_companies(ctx):
    """Every company on the platform with its users, phones (registered now), numbers and portal accounts."""
    return [CompanyCounts.model_validate(row, from_attributes=True) for row in home.companies(ctx.db, clock.now())]


routes = [
    api("GET", "/api/home", get_home, permission="pbx.manage", response=HomePublic),
    api("GET", "/api/platform/companies", list_companies, permission="tenants.manage", response=list[CompanyCounts]),
]
