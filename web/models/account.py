"""Accounts are the people who log in to the portal: platform operators (no tenant) and tenant staff."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import Index, String, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from web.models.base import TenantOwned, created_at_field
from web.permissions import Role
from web.validation import Email, Language, PersonName


class AccountBase(SQLModel):
    email: Email = Field(index=True, max_length=254)
    first_name: PersonName = ""
    last_name: PersonName = ""
    role: Role = Field(default="user", sa_type=String(16))
    language: Language = Field(default="nl", sa_type=String(8))
    blocked: bool = False


class Account(AccountBase, TenantOwned, table=True):
    # Secrets never reach the audit log's before/after summaries.
    __audit_redact__ = {"password_hash", "totp_secret", "totp_last_step"}
    # An address is one account per company (and one among the operators), not one on the platform: a
    # company must not learn that another company has an account with an address. A person with
    # accounts in two companies logs in with the address and the password of the one meant; two
    # accounts of one address never share a password (web/api/auth.py, _require_own).
    __table_args__ = (
        UniqueConstraint("tenant_id", "email", name="uq_account_tenant_email"),
        Index("uq_account_operator_email", "email", unique=True,
              sqlite_where=text("tenant_id IS NULL"), postgresql_where=text("tenant_id IS NULL")),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    password_hash: Optional[str] = None  # None until the welcome link is used
    must_change_password: bool = False
    failed_logins: int = 0  # consecutive; reset by a success
    locked_at: Optional[datetime] = None
    totp_secret: Optional[str] = None
    totp_enabled: bool = False
    totp_last_step: int = 0  # the last TOTP time step accepted: a code works once
    primary_factor: Optional[str] = None  # "totp" or "phone": the factor asked first at login
    # The code by phone (seed 002, #18 item 7): the number called (E.164, or an extension of the company)
    # once a call to it was proven, and the language the code is spoken in (nl, en, de, fr)
    phone_factor_number: Optional[str] = Field(default=None, max_length=32)
    phone_factor_language: Optional[str] = Field(default=None, max_length=8)
    created_at: datetime = created_at_field()
    last_login_at: Optional[datetime] = None


class AccountCreate(AccountBase):
    send_welcome: bool = True


class AccountUpdate(SQLModel):
    first_name: Optional[PersonName] = None
    last_name: Optional[PersonName] = None
    role: Optional[Role] = None
    language: Optional[Language] = None
    blocked: Optional[bool] = None


class AccountPublic(AccountBase):
    id: int
    tenant_id: Optional[int]
    locked: bool
    totp_enabled: bool
    phone_factor_enabled: bool = False  # a code by phone is set up (its number is the account's own business)
    created_at: datetime
    last_login_at: Optional[datetime]

    @classmethod
    def of(cls, account: Account) -> "AccountPublic":
        return cls.model_validate(
            {**account.model_dump(), "locked": account.locked_at is not None,
             "phone_factor_enabled": account.phone_factor_number is not None}
        )


class RecoveryCode(TenantOwned, table=True):
    """One-time backup codes for 2FA, stored as SHA-256 of a 50-bit random code."""

    __audit__ = False
    __tablename__ = "recovery_code"

    id: Optional[int] = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    code_hash: str
    used_at: Optional[datetime] = None
