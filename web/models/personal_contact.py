"""A user's own contacts (issue #15 item 1, "My phone"): beside the company phonebook, each user keeps a
list of their own. Same fields and checks as the company's contacts (web.models.phonebook); a row
belongs to one company and one PBX user, and goes with that user. A number is unique per user (the CSV
import skips the ones already there, as the company book does)."""

from __future__ import annotations

from typing import Optional

from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from web.models.base import TenantOwned
from web.models.phonebook import ContactFields


class PersonalContact(ContactFields, TenantOwned, table=True):
    __tablename__ = "personal_contact"
    __table_args__ = (UniqueConstraint("user_id", "number", name="uq_personal_contact_user_number"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="pbx_user.id", index=True, ondelete="CASCADE")
