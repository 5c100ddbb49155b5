"""The second factor by phone (seed 002, #18 item 7): the company's own FreeSWITCH calls the person's
number and speaks a one-time code, for a login or to prove a number before it becomes a factor.

The call. The code is spoken by the project's TTS (web.tts, espeak-ng) into a WAV of its own in the
audio folder FreeSWITCH shares (`<audio>/<tenant>/login-codes/<random>.wav`): "your login code is
4, 8, 2, ...; once more: ...", in the person's language (nl, en, de, fr; seed 002: the four it names).
FreeSWITCH is told over the event socket, like click-to-dial (web.api.click_to_dial):

    api originate {vars}loopback/<+E164>/<domain>/XML sleep:500,playback:<wav> inline      (outside)
    api originate {vars}user/<extension>@<domain> sleep:500,playback:<wav> inline           (a colleague)

An outside number goes through the company's own dialplan on a loopback leg, so its outbound route
applies exactly as to a phone's call: the gateway, the caller ID the company shows (cp_outbound_cid: the
company number), its outbound blocking. A number that is an extension of the company rings that user's
phones directly (not the user's forwarding or voicemail: a code spoken to a mailbox is a code lost).

When it is valid. `api originate` answers when the called phone picks up (ignore_early_media: not on a
ringing tone), so a thread of the web process waits for that reply and then sets the code's expiry to
the end of the speaking plus 30 s (seed 002: "within 30 seconds after the call"); a call that fails ends
the code at once. Until then the expiry is the latest moment the code could be heard. The WAV is deleted
once spoken (and any left over by a stopped process the next time a code is spoken for the company).

One-time and counted. A code is stored as an HMAC; it is spent by one conditional UPDATE (`used_at IS
NULL AND expires_at > now`), so of parallel requests with one code exactly one wins; a new code for the
same login or enrolment ends the one before. Wrong codes of a login count on its session (the same five
as the authenticator's, web/api/auth.py); of an enrolment on the code's row, by a conditional UPDATE too.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Callable, Optional

import phonenumbers
from sqlalchemy import update
from sqlmodel import Session, select

from callplan import outbound
from web import audio, clock, side_effects, tts
from web.db import session_scope
from web.domain.problems import Problem, field_problem
from web.models.pbx_user import PbxUser
from web.models.phone_code import PhoneCode
from web.models.tenant import Tenant
from web.scoping import scoped

log = logging.getLogger("web.phone_codes")

LANGUAGES = ("nl", "en", "de", "fr")
CODE_DIGITS = 6
VALID_S = 30  # seed 002: the code is valid for 30 seconds (after it was spoken)
RING_S = 30  # how long the phone rings before the call is given up
LEAD_IN_MS = 500  # a moment of silence after the answer: the first word is not clipped
MAX_CALLS_PER_LOGIN = 3  # the first call and two times "send again"
RESEND_AFTER_S = 30  # "send again" once the code before could have expired (seed 002)
MAX_CALLS_PER_HOUR = 10  # per account, whatever the logins: nobody is rung all day with a password alone
FOLDER = "login-codes"
_SAFE = re.compile(r"^[A-Za-z0-9+*#._@/:=-]*\Z")
_CODECS = re.compile(r"^'[A-Za-z0-9@.]+(?:\\,[A-Za-z0-9@.]+)*'\Z")  # a codec list, quoted and its commas escaped
_SEPARATORS = re.compile(r"[\s().\-/]")

# What is said: the purpose of the call, the code, and the code once more (seed 002).
_SPOKEN = {
    "en": "This is your phone system calling with your login code. Your code is: {code}. Once more: {code}. Goodbye.",
    "nl": "U wordt gebeld door uw telefooncentrale met uw inlogcode. Uw code is: {code}. Nogmaals: {code}. Tot ziens.",
    "de": "Hier ist Ihre Telefonanlage mit Ihrem Anmeldecode. Ihr Code lautet: {code}. Noch einmal: {code}. Auf Wiederhören.",
    "fr": "Ici votre standard téléphonique avec votre code de connexion. Votre code est : {code}. Je répète : {code}. Au revoir.",
}


@dataclass(frozen=True)
class Target:
    number: str  # E.164, or the extension of a user of the company
    internal: bool


def spoken_text(code: str, language: str) -> str:
    """The sentence spoken, the digits one by one (espeak-ng reads "4, 8, 2" as digits, not a number)."""
    return _SPOKEN.get(language, _SPOKEN["en"]).format(code=", ".join(code))


def speaking_language(language: Optional[str]) -> str:
    """Seed 002: another language than the four is spoken in English."""
    return language if language in LANGUAGES else "en"


def masked(number: str) -> str:
    """The number as the login screen shows it to whoever typed the password: enough to recognise it."""
    if len(number) <= 5:
        return number
    return number[:4] + "•" * (len(number) - 6) + number[-2:]


def _country(tenant: Tenant) -> str:
    try:
        if tenant.company_number:
            return phonenumbers.region_code_for_number(phonenumbers.parse(tenant.company_number, None)) or "NL"
    except phonenumbers.NumberParseException:
        pass
    return "NL"


def target(db: Session, tenant: Tenant, raw: str, settings=None) -> Target:
    """The number to call for what was typed: an extension of the company, or a phone number of 7 to 15
    digits with or without the country code (seed 002), national numbers read in the company's country.
    Refused (422 on /number) otherwise, and when the company's outbound blocking refuses it."""
    typed = _SEPARATORS.sub("", raw or "")
    if re.fullmatch(r"[0-9]{2,4}", typed):
        user = db.exec(scoped(PbxUser, tenant.id).where(PbxUser.extension == typed)).first()
        if user is None:
            raise field_problem(422, "phone_number_invalid", "/number", "no user of the company has this extension")
        return Target(typed, True)
    digits = typed[1:] if typed.startswith("+") else typed
    if not digits.isdigit() or not 7 <= len(digits) <= 15:
        raise field_problem(422, "phone_number_invalid", "/number", "must be a phone number of 7 to 15 digits")
    try:
        parsed = phonenumbers.parse(typed, _country(tenant))
    except phonenumbers.NumberParseException:
        raise field_problem(422, "phone_number_invalid", "/number", "must be a phone number of 7 to 15 digits") from None
    if not phonenumbers.is_valid_number(parsed):
        raise field_problem(422, "phone_number_invalid", "/number", "is not a valid phone number")
    number = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    company = _company(db, tenant, settings)
    if company is not None and outbound.blocked_category(number, company):
        raise field_problem(422, "phone_number_blocked", "/number", "the company does not call such numbers")
    return Target(number, False)


def _company(db: Session, tenant: Tenant, settings):
    from web.domain.callplan_snapshot import snapshot

    try:
        return snapshot(db, tenant.id, settings).company
    except Exception:  # noqa: BLE001  (a snapshot that cannot be taken blocks nothing here; the dialplan still does)
        log.exception("no company snapshot for tenant %s", tenant.id)
        return None


def code_hash(secret_key: str, account_id: int, code: str) -> str:
    return hmac.new(secret_key.encode(), f"{account_id}:{code}".encode(), hashlib.sha256).hexdigest()


def new_code() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))


def normalised(code: str) -> str:
    return (code or "").replace(" ", "").strip()


# -- the sound ---------------------------------------------------------------------------------------


def code_folder(settings, tenant_id: int) -> Path:
    return audio.audio_root(settings) / str(int(tenant_id)) / FOLDER


def render(settings, tenant_id: int, code: str, language: str) -> tuple[Path, float]:
    """The code spoken into its own WAV (16 kHz, as the audio library's), and how long it speaks."""
    root = audio.audio_root(settings)
    converted = tts.render(spoken_text(code, language), language, root)
    try:
        folder = code_folder(settings, tenant_id)
        folder.mkdir(parents=True, exist_ok=True)
        side_effects.happened("wrote a spoken code")
        _sweep(folder)
        path = folder / f"{secrets.token_hex(16)}.wav"
        os.replace(converted.files.pop(16000), path)
        return path, converted.duration_ms / 1000
    finally:
        audio.discard(converted)


def _sweep(folder: Path) -> None:
    """Codes spoken before a restart: nothing waits to delete them any more."""
    stale = time.time() - (RING_S + 5 * 60)
    for path in folder.glob("*.wav"):
        try:
            if path.stat().st_mtime < stale:
                path.unlink()
        except OSError:
            pass


# -- the call ----------------------------------------------------------------------------------------


def originate_command(domain: str, to: Target, sound: Path, caller_id: Optional[str],
                      codecs: str = "OPUS,PCMA,PCMU") -> str:
    variables = {
        "ignore_early_media": "true",  # answered means picked up, not a ringing tone
        "originate_timeout": str(RING_S),
        "origination_caller_id_name": "Login",
        "origination_caller_id_number": caller_id or "anonymous",
        "hangup_after_bridge": "true",
        "cp_login_code": "true",
    }
    if not to.internal:
        # what the company's outbound route reads on a phone's call (web.xml_curl.directory)
        variables.update({"user_context": domain, "cp_outbound_cid": caller_id or "", "cp_withhold": "false",
                          # the loopback legs run at L16, which the carrier would otherwise be offered alone
                          # (FreeSWITCH offers the calling leg's codec): the leg to the carrier is given the
                          # installation's codecs (CALLPLAN_CODECS, as freeswitch/vars.xml) instead. The
                          # commas are escaped: mod_loopback hands the variables to its other leg as one
                          # comma-separated list, which would cut the codec list at its first comma.
                          "absolute_codec_string": "'" + codecs.replace(",", "\\,") + "'", "export_vars": "absolute_codec_string"})
    for name, value in (*variables.items(), ("", domain), ("", to.number), ("", str(sound))):
        if not (_CODECS if name == "absolute_codec_string" else _SAFE).match(value):  # every value is ours and checked; this guards the rule itself
            raise ValueError(f"unsafe value in an originate command: {value!r}")
    joined = ",".join(f"{name}={value}" for name, value in variables.items())
    leg = f"user/{to.number}@{domain}" if to.internal else f"loopback/{to.number}/{domain}/XML"
    return f"originate {{{joined}}}{leg} sleep:{LEAD_IN_MS},playback:{sound} inline"


def caller_id(db: Session, tenant: Tenant, settings) -> Optional[str]:
    """The company number, as the company's calls out show it."""
    from web.domain.callplan_snapshot import snapshot

    try:
        shown = outbound.company_caller_id(snapshot(db, tenant.id, settings))
    except Exception:  # noqa: BLE001
        shown = tenant.company_number
    return shown if shown and shown != outbound.ANONYMOUS else None


def _call(settings, engine, code_id: int, command: str, sound: Path, speaks_s: float, switch=None) -> None:
    """Place the call and wait for FreeSWITCH's answer: the code's validity starts when it is spoken.
    `switch`: the live switch to call from (web.domain.switches.pick); None: the settings' own."""
    from web.domain import switches
    from web.domain.switch import EslError

    try:
        reply = switches.ask(settings, switch or switches.own(settings), [command], RING_S + 15)[0]
    except (OSError, EslError) as exc:
        reply = f"-ERR {exc}"
    answered = reply.startswith("+OK")
    now = clock.now()
    expires = now + timedelta(seconds=LEAD_IN_MS / 1000 + speaks_s + VALID_S) if answered else now
    try:
        with session_scope(engine) as db:
            db.execute(update(PhoneCode).where(PhoneCode.id == code_id, PhoneCode.used_at == None)  # noqa: E711
                       .values(call_state="answered" if answered else "failed", expires_at=expires))
    except Exception:  # noqa: BLE001  (the thread must not die loudly; the code then keeps its upper bound)
        log.exception("could not record how the call for code %s went", code_id)
    if not answered:
        log.warning("login code call %s not answered: %s", code_id, reply.strip()[:200])
    else:
        time.sleep(LEAD_IN_MS / 1000 + speaks_s + 5)  # FreeSWITCH has read the file by then
    sound.unlink(missing_ok=True)


def issue(db: Session, settings, account, purpose: str, raw_number: str, language: str,
          login_session_id: Optional[int] = None, to: Optional[Target] = None) -> tuple[PhoneCode, Callable[[], None]]:
    """A new code for `account` (spoken to `raw_number` in `language`), stored; and the call that speaks
    it, to start once the row is committed (`ctx.after_commit`). Earlier live codes of the same login or
    enrolment end now. Raises Problem 503 when the code cannot be spoken (no TTS engine)."""
    tenant = db.get(Tenant, account.tenant_id) if account.tenant_id else None
    if tenant is None:
        raise Problem(409, "phone_factor_needs_company")
    to = to or target(db, tenant, raw_number, settings)
    language = speaking_language(language)
    now = clock.now()
    earlier = update(PhoneCode).where(PhoneCode.account_id == account.id, PhoneCode.purpose == purpose,
                                      PhoneCode.used_at == None, PhoneCode.expires_at > now)  # noqa: E711
    if login_session_id is not None:
        earlier = earlier.where(PhoneCode.login_session_id == login_session_id)
    db.execute(earlier.values(expires_at=now))
    code = new_code()
    try:
        sound, speaks_s = render(settings, tenant.id, code, language)
    except tts.TtsUnavailable:
        raise Problem(503, "tts_unavailable", headers={"Retry-After": "60"}) from None
    command = originate_command(tenant.sip_domain, to, sound, caller_id(db, tenant, settings),
                               getattr(settings, "codecs", "OPUS,PCMA,PCMU"))
    row = PhoneCode(tenant_id=tenant.id, account_id=account.id, login_session_id=login_session_id, purpose=purpose,
                    number=to.number, language=language, code_hash=code_hash(settings.secret_key, account.id, code),
                    expires_at=now + timedelta(seconds=RING_S + LEAD_IN_MS / 1000 + speaks_s + VALID_S))
    db.add(row)
    db.flush()
    engine, code_id = db.get_bind(), row.id
    from web.domain import switches

    switch = switches.pick(settings, db)  # any live switch can call out (the sound folder is shared)

    def start() -> None:
        side_effects.happened("called a phone")
        threading.Thread(target=_call, args=(settings, engine, code_id, command, sound, speaks_s, switch), daemon=True,
                         name=f"login-code-call-{code_id}").start()

    return row, start


def calls_this_hour(db: Session, account_id: int) -> int:
    since = clock.now() - timedelta(hours=1)
    return len(db.exec(select(PhoneCode.id).where(PhoneCode.account_id == account_id, PhoneCode.created_at > since)).all())


def spend_login_code(db: Session, settings, account, login_session_id: int, code: str) -> bool:
    """Spend `code` if it is the live code of this pending login: one conditional UPDATE."""
    wanted = normalised(code)
    if not (wanted.isdigit() and len(wanted) == CODE_DIGITS):
        return False
    spent = db.execute(update(PhoneCode).where(
        PhoneCode.account_id == account.id, PhoneCode.login_session_id == login_session_id,
        PhoneCode.purpose == "login", PhoneCode.used_at == None, PhoneCode.expires_at > clock.now(),  # noqa: E711
        PhoneCode.code_hash == code_hash(settings.secret_key, account.id, wanted),
    ).values(used_at=clock.now()))
    return spent.rowcount == 1


def latest(db: Session, account_id: int, purpose: str, login_session_id: Optional[int] = None) -> Optional[PhoneCode]:
    query = select(PhoneCode).where(PhoneCode.account_id == account_id, PhoneCode.purpose == purpose)
    if login_session_id is not None:
        query = query.where(PhoneCode.login_session_id == login_session_id)
    return db.exec(query.order_by(PhoneCode.id.desc())).first()
