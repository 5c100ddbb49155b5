"""Faxes (#18 item 5): what the bridge records when a fax call hangs up, and a fax sent from the portal.

Receiving: a plan's "receive fax" step (callplan/nodes/receive_fax.py) marks the call `cp_fax=rx:<plan>:
<version>:<step>` and mod_spandsp's rxfax writes rx-<uuid>.tif; when the call hangs up, the bridge reads
mod_spandsp's channel variables (fax_success, fax_result_code, fax_result_text,
fax_document_transferred_pages, fax_remote_station_id) and calls `received`.

Sending: `start_sending` stores the upload as tx-<id>.pdf, converts it to tx-<id>.tif and has FreeSWITCH
originate a loopback call into the company's own dialplan context with the number, so the call goes out
exactly as a phone's call would (the company's outbound route and blocking, the company number shown):

    bgapi originate {cp_fax=tx:<id>,...}loopback/<number>/<sip domain> &txfax(${callplan_fax_dir}/tx-<id>.tif)

The loopback's A leg runs txfax; its B leg runs the dialplan. When the A leg hangs up the bridge calls
`finished_sending` with the same variables."""

from __future__ import annotations

import logging
import os
import re
import uuid as uuids
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import update
from sqlmodel import select

from callplan import outbound
from web import clock, side_effects
from web.domain import fax_files
from web.domain.notices import local_time
from web.domain.problems import field_problem
from web.i18n import t
from web.models.fax import Fax

log = logging.getLogger("web.faxes")


# -- fax to e-mail: the address a user's faxes go to ------------------------------------------------------


def user_address(db, user) -> Optional[str]:
    """Where "fax to e-mail" naming `user` mails the PDF: the user's own address, else their login's
    (an account of the same company)."""
    from web.models.account import Account

    if user.email:
        return user.email
    if user.account_id is not None:
        account = db.get(Account, user.account_id)
        if account is not None and account.tenant_id == user.tenant_id and account.email:
            return account.email
    return None


def require_address(db, tenant_id: int, user_id, pointer: str, current=None) -> None:
    """Refuse (422 at `pointer`) a "fax to e-mail" destination whose user has no address to mail to: the
    call would be answered as a fax that reaches nobody (the company has no address of its own to fall
    back on). `current`: the row being saved; a user's own forwarding to their faxes is checked with the
    user's other fields (web/api/users.py: the address may be what this change removes)."""
    from web.models.pbx_user import PbxUser
    from web.scoping import scoped

    if isinstance(current, PbxUser) and current.id == user_id:
        return
    user = db.exec(scoped(PbxUser, tenant_id).where(PbxUser.id == user_id)).first()
    if user is not None and not user_address(db, user):
        raise field_problem(422, "fax_user_without_email", pointer,
                            "this user has no e-mail address to mail faxes to: give them one first")

ESL_TIMEOUT = 3.0
ANSWER_WITHIN_S = 60  # how long the number may ring before the fax counts as failed
MAX_DIGITS = 20
NUMBER = re.compile(r"^\+?[0-9]{3,15}\Z")  # what the outbound route dials (callplan/base_dialplan.py)
SEPARATORS = re.compile(r"[\s().\-/]")
_SAFE = re.compile(r"^[A-Za-z0-9+._@:-]*\Z")  # every value that goes into the originate command


class SwitchUnavailable(Exception):
    """FreeSWITCH's event socket did not answer."""


class SwitchRefused(Exception):
    """FreeSWITCH answered the originate with an error."""


def clean_number(value: str) -> Optional[str]:
    """The number as dialled (separators people paste dropped), or None when it is no phone number."""
    number = SEPARATORS.sub("", value or "")
    return number if NUMBER.fullmatch(number) else None


@dataclass
class Outcome:
    """What mod_spandsp says of a fax call when it hangs up."""

    success: bool
    pages: int
    result_code: Optional[int]
    result_text: str
    remote_station_id: str

    @classmethod
    def from_variables(cls, var) -> "Outcome":
        """`var(name)` reads a channel variable. A call that never reached the fax part has none of them:
        a failure without pages, the hang-up cause as the reason."""
        code = var("fax_result_code") or ""
        pages = var("fax_document_transferred_pages") or "0"
        text = var("fax_result_text") or ""
        if not code and not text:
            text = var("hangup_cause") or var("originate_disposition") or ""
        return cls(success=var("fax_success") == "1", pages=int(pages) if pages.isdigit() else 0,
                   result_code=int(code) if code.lstrip("-").isdigit() else None,
                   result_text=" ".join(text.split())[:200],
                   remote_station_id=" ".join((var("fax_remote_station_id") or "").split())[:64])


# -- receiving (the bridge) ----------------------------------------------------------------------------


def received_row(tenant_id: int, call_uuid: str, outcome: Outcome, *, caller: str, dialled: str, tiff: str,
                 pdf: str, mailed_to: list[str], plan_id: Optional[int], step: str, at) -> dict:
    return dict(tenant_id=tenant_id, direction="in", status="received" if outcome.success else "failed",
                remote_number=caller[:64], local_number=dialled[:64], remote_station_id=outcome.remote_station_id,
                pages=outcome.pages, result_code=outcome.result_code, result_text=outcome.result_text,
                call_uuid=call_uuid, tiff_file=tiff, pdf_file=pdf, mailed_to=mailed_to, plan_id=plan_id,
                step=step[:64], sent_by_account_id=None, created_at=at, finished_at=clock.now())


def make_pdf(fax_dir: str, tiff_name: str) -> tuple[str, int]:
    """The received TIFF as a PDF beside it: (PDF name, pages), or ("", 0) when there is nothing to read
    (no page came through, or the file is not there on this side)."""
    tiff = fax_files.existing_file(fax_dir, tiff_name)
    if tiff is None:
        return "", 0
    pdf_name = os.path.basename(tiff)[:-4] + ".pdf"
    try:
        pages = fax_files.tiff_to_pdf(tiff, os.path.join(fax_dir, pdf_name))
    except Exception:  # a TIFF spandsp left half-written (the line dropped): no PDF, the row says failed
        log.exception("fax %s: the TIFF could not be read", tiff_name)
        return "", 0
    return pdf_name, pages


def received_mail(lang: str, zone_name: str, fax: dict) -> tuple[str, str]:
    sender = fax.get("remote_number") or t(lang, "notice.caller_unknown")
    params = dict(sender=" ".join(str(sender).split())[:64], station=fax.get("remote_station_id") or "-",
                  number=fax.get("local_number") or "-", pages=fax.get("pages", 0),
                  time=local_time(lang, zone_name, fax["created_at"]),
                  result=fax.get("result_text") or "-")
    key = "notice.fax.text" if fax.get("status") == "received" else "notice.fax.failed_text"
    text = t(lang, key, **params)
    if not fax.get("pdf_file"):
        text += "\n" + t(lang, "notice.fax.no_pages") + "\n"
    return t(lang, "notice.fax.subject", **params), text


# -- sending (the portal) -----------------------------------------------------------------------------


def originate_command(fax_id: int, call_uuid: str, number: str, domain: str, caller_id: str) -> str:
    variables = {
        "origination_uuid": call_uuid,
        "cp_fax": f"tx:{int(fax_id)}",
        "origination_caller_id_number": caller_id,
        "origination_caller_id_name": caller_id,
        "user_context": domain,
        # the company's outbound route reads these (callplan/base_dialplan.py: outbound)
        "cp_outbound_cid": caller_id,
        "cp_withhold": "false",
        "fax_ident": caller_id,
        # G.711 first; T.38 when the far end asks for it (as the receive fax step)
        "fax_enable_t38": "true",
        "fax_enable_t38_request": "false",
        "originate_timeout": str(ANSWER_WITHIN_S),
        "hangup_after_bridge": "true",
        # the leg to the carrier speaks G.711 (fax tones do not survive a compressing codec such as Opus):
        # exported to the loopback's other leg, which makes that call; the comma escaped, as mod_loopback
        # hands the variables on as one comma-separated list (web/domain/phone_codes.py does the same)
        "absolute_codec_string": "'PCMU\\,PCMA'",
        "export_vars": "absolute_codec_string",
    }
    for name, value in (*variables.items(), ("", number), ("", domain)):
        if name != "absolute_codec_string" and not _SAFE.match(value):  # every value is ours and checked; this guards the rule itself
            raise ValueError(f"unsafe value in an originate command: {value!r}")
    joined = ",".join(f"{name}={value}" for name, value in variables.items())
    tiff, _ = fax_files.sent_names(fax_id)
    return f"bgapi originate {{{joined}}}loopback/{number}/{domain} &txfax(${{callplan_fax_dir}}/{tiff})"


def company_number(db, settings, tenant_id: int) -> str:
    from web.domain.callplan_snapshot import snapshot

    return outbound.company_caller_id(snapshot(db, tenant_id, settings)) or ""


def store_upload(db, settings, tenant_id: int, account_id: Optional[int], number: str, data: bytes) -> Fax:
    """A queued fax row with its PDF and TIFF in the fax folder (NotAPdf when the upload is none)."""
    pages = fax_files.pdf_pages(data)
    row = Fax(tenant_id=tenant_id, direction="out", status="queued", remote_number=number,
              local_number=company_number(db, settings, tenant_id), pages=0, sent_by_account_id=account_id,
              call_uuid=str(uuids.uuid4()))
    db.add(row)
    db.flush()
    tiff, pdf = fax_files.sent_names(row.id)
    fax_files.ensure_folder(settings.fax_dir)
    side_effects.happened("wrote a fax file")
    with open(os.path.join(settings.fax_dir, pdf), "wb") as file:
        file.write(data)
    fax_files.pdf_to_tiff(data, os.path.join(settings.fax_dir, tiff))
    row.tiff_file, row.pdf_file = tiff, pdf
    row.result_text = ""
    log.info("fax %s: %d pages queued for %s", row.id, pages, number)
    return row


def start_sending(db, settings, row: Fax, domain: str) -> str:
    """Ask FreeSWITCH to call; the background job's id. The row says "sending" from here on."""
    from web.domain import switches
    from web.domain.switch import EslError

    if not row.local_number:
        raise SwitchRefused("no company number to send from")
    command = originate_command(row.id, row.call_uuid, row.remote_number, domain, row.local_number)
    try:  # any live switch calls out (the fax folder is shared with every one)
        reply = switches.ask(settings, switches.pick(settings, db), [command], ESL_TIMEOUT)[0]
    except (OSError, EslError) as exc:
        raise SwitchUnavailable(str(exc)) from exc
    if not reply.startswith("+OK"):
        raise SwitchRefused(reply.strip()[:200])
    return reply.split("Job-UUID:", 1)[1].strip() if "Job-UUID:" in reply else ""


def finished_sending(db, tenant_id: int, fax_id: int, outcome: Outcome) -> bool:
    """The bridge's word on a sent fax; False when there is no such fax of this tenant still going out."""
    result = db.execute(
        update(Fax.__table__)
        .where(Fax.__table__.c.id == fax_id, Fax.__table__.c.tenant_id == tenant_id,
               Fax.__table__.c.direction == "out", Fax.__table__.c.status.in_(("queued", "sending")))
        .values(status="sent" if outcome.success else "failed", pages=outcome.pages,
                result_code=outcome.result_code, result_text=outcome.result_text,
                remote_station_id=outcome.remote_station_id, finished_at=clock.now()))
    return bool(result.rowcount)


def for_call(db, tenant_id: int, call_uuid: str) -> Optional[Fax]:
    return db.exec(select(Fax).where(Fax.tenant_id == tenant_id, Fax.call_uuid == call_uuid)).first()
