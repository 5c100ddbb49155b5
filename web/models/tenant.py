"""A tenant is one company on the platform: its own SIP domain, time zone and language."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import String
from sqlmodel import Field, SQLModel

from web.models.base import Checked, created_at_field
from web.validation import CompanyName, CompanyNumber, Language, PersonName, SipDomain, TimeZoneName


class TenantBase(SQLModel):
    name: CompanyName = Field(min_length=1, max_length=200)
    sip_domain: SipDomain = Field(sa_column_kwargs={"unique": True})
    timezone: TimeZoneName = "Europe/Amsterdam"
    language: Language = Field(default="nl", sa_type=String(8))
    company_number: Optional[CompanyNumber] = None
    require_2fa: bool = False


class Tenant(TenantBase, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    created_at: datetime = created_at_field()
    # Bumped (web.domain.audit) by every flush that changes one of the tenant's rows: the documents served to
    # FreeSWITCH (web.xml_curl) are cached per (tenant, generation), so every process sees a change
    # with one cheap query and no messaging. Never part of the API's shapes.
    config_generation: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class TenantCreate(TenantBase):
    """What an operator sends to create a tenant; the first admin gets a welcome mail."""

    admin_email: str = Field(max_length=254)
    admin_first_name: PersonName = Field(default="", max_length=100)
    admin_last_name: PersonName = Field(default="", max_length=100)


class TenantUpdate(SQLModel):
    name: Optional[CompanyName] = Field(default=None, min_length=1, max_length=200)
    sip_domain: Optional[SipDomain] = None
    timezone: Optional[TimeZoneName] = None
    language: Optional[Language] = None
    company_number: Optional[CompanyNumber] = None
    require_2fa: Optional[bool] = None


class TenantPublic(TenantBase, Checked):
    id: int
    created_at: datetime
