"""Factories for the core PBX tables (see tests/web/factories.py)."""

from __future__ import annotations

from sqlmodel import select

from web.models.company import Department
from web.models.feature_code import FeatureCode
from web.models.ivr_menu import IvrMenu
from web.models.pbx_user import PbxUser
from web.models.phone_number import PhoneNumber
from web.models.queue import CallQueue
from web.models.ring_group import RingGroup
from web.models.voicemail_box import VoicemailBox


def _row(db, row) -> int:
    with db() as session:
        session.add(row)
        session.flush()
        return row.id


def _user(db, settings, tenant_id, owner) -> int:
    return _row(db, PbxUser(tenant_id=tenant_id, first_name="Bea", extension="299"))


def _number(db, settings, tenant_id, owner) -> int:
    # a public number as the operator assigns it (web.domain.numbers.assign makes the same row)
    return _row(db, PhoneNumber(tenant_id=tenant_id, number=f"+3120555{tenant_id:04d}"))


def _feature_code(db, settings, tenant_id, owner) -> int:
    return _row(db, FeatureCode(tenant_id=tenant_id, function="voicemail", code="*97"))


FACTORIES = {
    PbxUser: _user,
    PhoneNumber: _number,
    Department: lambda db, s, tenant_id, owner: _row(db, Department(tenant_id=tenant_id, name="Sales")),
    RingGroup: lambda db, s, tenant_id, owner: _row(db, RingGroup(tenant_id=tenant_id, name="Sales")),
    CallQueue: lambda db, s, tenant_id, owner: _row(db, CallQueue(tenant_id=tenant_id, name="Support")),
    IvrMenu: lambda db, s, tenant_id, owner: _row(db, IvrMenu(tenant_id=tenant_id, name="Main")),
    VoicemailBox: lambda db, s, tenant_id, owner: _row(db, VoicemailBox(tenant_id=tenant_id, name="Company", extension="999", pin="1234")),
    FeatureCode: _feature_code,
}
