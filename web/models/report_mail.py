"""Report mail (#17 items 5-6): which of a company's portal accounts get which mailed report, the
company's usage limit (seed 001 §8.1), and the record of each periodic mail sent (one row per company,
kind and period, so a mail due once is sent once however many processes check)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Optional

from sqlalchemy import Column, Numeric, String
from sqlmodel import Field, UniqueConstraint

from web.models.base import TenantOwned, created_at_field

# monthly_report: last month's totals on the 1st; usage_alert: the month's cost passed the limit;
# statement: the monthly statement (#17 item 6)
REPORT_KINDS = ("monthly_report", "usage_alert", "statement")


class ReportSubscription(TenantOwned, table=True):
    """An account of the company that gets one kind of report mail."""

    __tablename__ = "report_subscription"
    __table_args__ = (UniqueConstraint("tenant_id", "account_id", "kind", name="uq_report_subscription"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", ondelete="CASCADE", index=True)
    kind: str = Field(sa_type=String(32))
    created_at: datetime = created_at_field()


class ReportMailSetting(TenantOwned, table=True):
    """The company's usage limit: a month whose calls cost more (in `currency`, the rate table's) mails
    the usage_alert subscribers once. None or 0: no limit (seed 001 §8.1)."""

    __tablename__ = "report_mail_setting"
    __table_args__ = (UniqueConstraint("tenant_id", name="uq_report_mail_setting_tenant"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    usage_limit: Optional[Decimal] = Field(default=None, sa_column=Column(Numeric(12, 2), nullable=True))
    currency: str = Field(default="EUR", max_length=3)


class ReportMailRun(TenantOwned, table=True):
    """A periodic mail that went out (or is in the outbox): claimed by inserting this row, which the
    unique constraint lets only one process do per company, kind and period ("2026-11")."""

    __tablename__ = "report_mail_run"
    __table_args__ = (UniqueConstraint("tenant_id", "kind", "period", name="uq_report_mail_run"),)
    __audit__ = False  # the system's own doing, not a change anyone made

    id: Optional[int] = Field(default=None, primary_key=True)
    kind: str = Field(sa_type=String(32))
    period: str = Field(max_length=16)
    recipients: int = 0
    created_at: datetime = created_at_field()
