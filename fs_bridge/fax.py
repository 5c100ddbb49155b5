"""Faxes (#18 item 5) from CHANNEL_HANGUP_COMPLETE: the channel that ran rxfax or txfax carries cp_fax
(set by the receive fax step, or by the portal's originate) and mod_spandsp's outcome in its variables.

    cp_fax=rx:<plan>:<version>:<step>   a fax received: recorded, its TIFF made into a PDF and mailed to
                                        the step's addresses (one outbox mail per call, replay-safe)
    cp_fax=rxu:<user id>                a fax received by a "fax to mail" destination (callplan.destinations):
                                        mailed to that user's address (the user's own, else their login's)
    cp_fax=tx:<fax id>                  a fax sent from the portal: its row gets the status and pages

The hang-up, not spandsp's own result event, because by then the TIFF is closed (spandsp writes the
last page as the session ends) and every variable is there. The loopback's B leg of a sent fax carries a
copy of the tx mark (mod_loopback copies the originate's variables) and is skipped for it; a fax sent to
one of the company's own numbers is received on that B leg, whose plan step sets the rx mark.

The TIFF -> PDF conversion (web/domain/fax_files.py, Pillow: tens of milliseconds to tenths of a second per
page, a 50-page fax seconds) is not done in the worker greenlet, where every other call's events would wait
for it and gevent's loop (the socket, the heartbeat, the outbox, the live feed) would stand still. The
handler checks the mark and the plan in the batch's transaction; a fax with pages is then converted in
gevent's thread pool after the commit (Pillow's decoders and encoders run without the GIL: the loop keeps
turning, tests/fs_bridge/test_fax.py measures its longest pause), and recorded and mailed in a transaction
of its own once its PDF is there. A thread, not a child process as for the statements
(fs_bridge/statement_drawing.py), because fpdf2 draws in Python, which holds the GIL, while this work is
Pillow's C. A bridge stopped in the middle of a conversion loses that fax's row as it would lose an event
not yet applied; FreeSWITCH's TIFF stays in the folder."""

from __future__ import annotations

import logging
from typing import Optional

import gevent
from sqlmodel import select

from fs_bridge.notices import call_time, dialled_number, enqueue_mail, find_step, tenant_of_channel
from web.domain import fax_files, faxes
from web.i18n import t
from web.models.call_plan import CallPlanVersion
from web.models.fax import Fax
from web.models.pbx_user import PbxUser
from web.models.tenant import Tenant

log = logging.getLogger("fs_bridge.fax")


def on_hangup(ctx, event) -> None:
    mark = event.var("cp_fax")
    if not mark or not event.uuid:
        return
    if mark.startswith(("rx:", "rxu:")):  # whichever leg ran the step: a fax to the company's own number stays
        received(ctx, event, mark)  # inside and is received on the loopback's B leg
    elif mark.startswith("tx:") and event.var("loopback_leg") != "B":
        sent(ctx, event, mark)


def received(ctx, event, mark: str) -> None:
    found = by_user(ctx, event, mark) if mark.startswith("rxu:") else by_step(ctx, event, mark)
    if found is None:
        return
    tenant_id, addresses, plan_id, step_id = found
    outcome = faxes.Outcome.from_variables(event.var)
    tiff_name = fax_files.own_name(event.var("cp_fax_file") or "")
    if ctx.db.exec(select(Fax.id).where(Fax.call_uuid == event.uuid)).first() is not None:
        return  # a replayed hang-up (after a reconnect): recorded and mailed already
    tiff = tiff_name if fax_files.existing_file(ctx.settings.fax_dir, tiff_name) else ""
    recipients = sorted({address.lower() for address in addresses if address})
    fax = faxes.received_row(tenant_id, event.uuid, outcome,
                             caller=event.get("Caller-Caller-ID-Number") or "", dialled=dialled_number(event),
                             tiff=tiff, pdf="", mailed_to=recipients, plan_id=plan_id, step=step_id, at=call_time(event))
    if not (tiff and (outcome.pages or outcome.success)):
        record(ctx, fax, None)  # no page came through: nothing to convert, recorded in this batch
        return
    bridge, fax_dir = ctx.bridge, ctx.settings.fax_dir

    def convert_and_record():
        # the greenlet waits for the thread cooperatively: other greenlets run meanwhile
        converted = gevent.get_hub().threadpool.apply(faxes.make_pdf, (fax_dir, tiff))
        bridge.with_context(lambda ctx: record(ctx, fax, converted))

    ctx.after_commit(convert_and_record)


def by_step(ctx, event, mark: str) -> Optional[tuple[int, list[str], Optional[int], str]]:
    """rx:<plan>:<version>:<step>: the company and the receive fax step's addresses."""
    parts = mark.split(":")
    if len(parts) != 4 or not (parts[1].isdigit() and parts[2].isdigit() and parts[3]):
        log.warning("fax call %s with a bad mark %r", event.uuid, mark)
        return None
    plan_id, version, step_id = int(parts[1]), int(parts[2]), parts[3]
    row = ctx.db.exec(select(CallPlanVersion.tenant_id, CallPlanVersion.document)
                      .where(CallPlanVersion.plan_id == plan_id, CallPlanVersion.version == version)).first()
    if row is None:
        log.warning("fax call %s for plan %s version %s, which does not exist", event.uuid, plan_id, version)
        return None
    tenant_id, document = row
    # as the e-mail step: a plan of another company named on this channel would mail its fax there
    if tenant_of_channel(ctx, event) not in (None, tenant_id):
        log.warning("fax call %s: plan %s is another company's; ignored", event.uuid, plan_id)
        return None
    step = find_step(document, step_id) or {}
    if step.get("type") != "receive_fax":
        log.warning("fax call %s: plan %s version %s has no fax step %s", event.uuid, plan_id, version, step_id)
        step = {}
    return tenant_id, list(step.get("mail_to") or []), plan_id, step_id


def by_user(ctx, event, mark: str) -> Optional[tuple[int, list[str], Optional[int], str]]:
    """rxu:<user id>: the channel's company and that user's address, when the user is the company's."""
    user_id = mark[4:]
    tenant_id = tenant_of_channel(ctx, event)
    user = ctx.db.get(PbxUser, int(user_id)) if user_id.isdigit() and len(user_id) <= 12 else None
    if tenant_id is None or user is None or user.tenant_id != tenant_id:
        log.warning("fax call %s with mark %r: no such user of the channel's company", event.uuid, mark)
        return None
    address = faxes.user_address(ctx.db, user)
    return tenant_id, [address] if address else [], None, ""


def record(ctx, fax: dict, converted: Optional[tuple[str, int]]) -> None:
    """Store the received fax (its PDF's name and pages when one was made) and queue its mail."""
    pdf_name, pages = converted or ("", 0)
    fax = {**fax, "pdf_file": pdf_name, "pages": fax["pages"] or pages}
    ctx.writes.insert(Fax.__table__, fax, unique=("call_uuid",))
    recipients = fax["mailed_to"]
    if recipients:
        tenant = ctx.db.get(Tenant, fax["tenant_id"])
        subject, text = faxes.received_mail(tenant.language, tenant.timezone, fax)
        path = fax_files.shared_file(ctx.settings.fax_dir, pdf_name) if pdf_name else None
        enqueue_mail(ctx, fax["tenant_id"], "fax", recipients, subject, text, f"fax:{fax['call_uuid']}",
                     attachment_path=path, attachment_note=t(tenant.language, "notice.fax.attachment_missing"))


def sent(ctx, event, mark: str) -> None:
    fax_id = mark[3:]
    tenant_id = tenant_of_channel(ctx, event)
    if not fax_id.isdigit() or tenant_id is None:
        log.warning("sent fax call %s with mark %r and no company", event.uuid, mark)
        return
    outcome = faxes.Outcome.from_variables(event.var)
    if not faxes.finished_sending(ctx.db, tenant_id, int(fax_id), outcome):
        log.info("sent fax %s of company %s: no such fax still going out", fax_id, tenant_id)


HANDLES = {"CHANNEL_HANGUP_COMPLETE": on_hangup}
