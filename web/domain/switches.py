"""Which FreeSWITCH the web app tells things, when there are several behind the SIP edge (#19).

The registry is the bridges' own heartbeat rows (web/models/bridge_status.py): every bridge writes one,
naming its switch (CALLPLAN_SWITCH_NAME) and the event socket it follows, so "the switches" are those
whose bridge is not dead. No row alive (one machine, or its bridge not started yet): the settings' own
switch (CALLPLAN_ESL_HOST/_PORT), exactly as before there were several. A switch is asked with its own
password when CALLPLAN_SWITCH_PASSWORDS names it ("fs1=secret1,fs2=secret2", by the name its bridge
registers; kept in each process's environment, never in the database), else with CALLPLAN_ESL_PASSWORD;
and each bridge's CALLPLAN_ESL_HOST must be an address the web processes reach too (a service name such
as `freeswitch2`, not 127.0.0.1 on the switch's own machine).

The bridges use the same registry for what they do themselves that every switch must hear (a blocked
address's `reloadacl`, an agent's status, a directory flush): fs_bridge/service.py tell_every_switch.

Three ways to tell them:
- `broadcast`: what every switch must hear (cache flushes, reloadxml, reloadacl, agent status,
  callcenter configuration): all asked at once, each bounded by the timeout, the unreachable logged
  and reported, never failing the others;
- `ask_all`: what lives in each switch's memory (conference rooms, parked calls): every switch's
  answers, each with the switch that gave them, for the caller to merge and to act on the right one;
- `pick` / `by_name`: one switch for one call (an originate: the phone's own switch, else the first
  live one; a live call: the switch its row names).

`home` names the switch that holds the services living in one switch's memory (CALLPLAN_HOME_SWITCH:
conference rooms, parking lots, queues, mod_voicemail's database); the dialplan of the others sends
such calls there (web/xml_curl/dialplan.py)."""

from __future__ import annotations

import hashlib
import hmac
import logging
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Iterable, Optional

from web import side_effects

log = logging.getLogger("web.switches")

# The engine each database URL is read through, for callers that hold only the settings (threads started
# after a commit). The web app registers its own (web/app.py); weak, so a finished app's engine goes.
_engines: "weakref.WeakValueDictionary[str, object]" = weakref.WeakValueDictionary()


@dataclass(frozen=True)
class Switch:
    name: str
    host: str
    port: int

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass
class Answer:
    """One switch's replies to a list of commands, or why it gave none."""

    switch: Switch
    replies: list[str] = field(default_factory=list)
    error: Optional[str] = None  # set: the switch could not be asked (down, refused the password, timed out)

    @property
    def reached(self) -> bool:
        return self.error is None


def use_engine(settings, engine) -> None:
    """The engine to read the registry through for these settings' database (web/app.py)."""
    _engines[settings.database_url] = engine


def own(settings) -> Switch:
    return Switch(settings.switch, settings.esl_host, settings.esl_port)


def _parse(address: str) -> Optional[tuple[str, int]]:
    host, _, port = address.rpartition(":")
    host = host.strip("[]")  # an IPv6 address written [::1]:8021
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        return None
    return host, int(port)


def _rows(db):
    from sqlmodel import select

    from web.models.bridge_status import BridgeStatus

    return db.exec(select(BridgeStatus).order_by(BridgeStatus.id)).all()


def live(settings, db=None, now: Optional[datetime] = None) -> list[Switch]:
    """Every switch whose bridge is not dead (heartbeat within bridge_status.DEAD_AFTER), in the order the
    bridges first registered; none such: the settings' own switch."""
    from web.models.bridge_status import DEAD_AFTER, _aware

    rows = []
    if db is not None:
        rows = _rows(db)
    else:
        engine = _engines.get(settings.database_url)
        if engine is not None:
            from web.db import session_scope

            try:
                with session_scope(engine) as session:
                    rows = _rows(session)
            except Exception:  # noqa: BLE001  (a database away must not stop telling the one switch we know)
                log.exception("could not read the switches' registry; telling %s only", own(settings).address)
    now = now or datetime.now(timezone.utc)
    found: list[Switch] = []
    for row in rows:
        if row.heartbeat_at is None or now - _aware(row.heartbeat_at) > DEAD_AFTER:
            continue
        parsed = _parse(row.esl_address)
        if parsed is None:
            continue
        switch = Switch(row.switch_name or row.esl_address, *parsed)
        if all(known.address != switch.address for known in found):
            found.append(switch)
    return found or [own(settings)]


def by_name(settings, name: str, db=None, switches: Optional[list[Switch]] = None) -> Optional[Switch]:
    """The live switch of that name (a live call's `switch`); None when no live bridge names it."""
    for switch in switches if switches is not None else live(settings, db):
        if name and name in (switch.name, switch.address):
            return switch
    return None


def home(settings, db=None, switches: Optional[list[Switch]] = None) -> Switch:
    """The switch holding the services that live in one switch's memory: CALLPLAN_HOME_SWITCH when its
    bridge is alive, else the first live switch (one machine: the settings' own)."""
    switches = switches if switches is not None else live(settings, db)
    named = by_name(settings, settings.home_switch, switches=switches) if settings.home_switch else None
    if settings.home_switch and named is None:
        log.warning("home switch %r has no live bridge; using %s", settings.home_switch, switches[0].name)
    return named or switches[0]


def handover_token(settings) -> str:
    """What a call handed to the home switch carries (X-Callplan-Home) to be let into a company's context
    from its public one: derived from the installation's secret, the same in every web process."""
    return hmac.new(settings.secret_key.encode(), b"callplan home switch hand-over", hashlib.sha256).hexdigest()[:32]


def home_info(settings):
    """The home switch as the dialplan needs it (callplan.objects.HomeSwitchInfo), or None when calls are
    not handed over: no CALLPLAN_HOME_SWITCH or no CALLPLAN_HOME_SWITCH_SIP."""
    from callplan.objects import HomeSwitchInfo

    if not settings.home_switch or not settings.home_switch_sip:
        return None
    return HomeSwitchInfo(name=settings.home_switch, address=settings.home_switch_sip,
                          handover_key=handover_token(settings))


def pick(settings, db=None, prefer: Iterable[str] = ()) -> Switch:
    """One switch for a new call: the first live one named in `prefer` (the phone's own switch), else the
    first live one."""
    switches = live(settings, db)
    for name in prefer:
        found = by_name(settings, name, switches=switches)
        if found is not None:
            return found
    return switches[0]


def password(settings, name: str) -> str:
    """The event-socket password of the switch of that name: its own (CALLPLAN_SWITCH_PASSWORDS), else the
    common CALLPLAN_ESL_PASSWORD."""
    return dict(settings.switch_passwords).get(name, settings.esl_password)


def ask(settings, switch: Switch, commands: list[str], timeout: float) -> list[str]:
    """Run the commands on one switch; raises OSError / EslError as web.domain.switch.esl_api does."""
    from web.domain.switch import esl_api

    return esl_api(switch.host, switch.port, password(settings, switch.name), commands, timeout)


def answer(settings, switch: Switch, commands: list[str], timeout: float) -> Answer:
    """One switch's Answer: its replies, or why it gave none (never raises for a switch away)."""
    return _answer(settings, switch, commands, timeout)


def _answer(settings, switch: Switch, commands: list[str], timeout: float) -> Answer:
    from web.domain.switch import EslError

    try:
        return Answer(switch, ask(settings, switch, commands, timeout))
    except (OSError, EslError) as exc:
        return Answer(switch, error=str(exc) or type(exc).__name__)


def ask_all(settings, commands: Iterable[str], timeout: float = 2.0, db=None,
            switches: Optional[list[Switch]] = None) -> list[Answer]:
    """Every switch's replies, asked at once (so a switch that does not answer costs `timeout`, not
    `timeout` per switch), in the registry's order. One switch: asked on this thread, as before."""
    commands = list(commands)
    switches = switches if switches is not None else live(settings, db)
    return ask_each(settings, [(switch, commands) for switch in switches], timeout)


def ask_each(settings, plan: list[tuple[Switch, list[str]]], timeout: float = 2.0) -> list[Answer]:
    """Each switch its own commands, all at once; the answers in the plan's order."""
    if len(plan) == 1:
        return [_answer(settings, plan[0][0], plan[0][1], timeout)]
    if not plan:
        return []
    side_effects.happened("told FreeSWITCH")  # here: the pool's threads do not see the request's context
    with ThreadPoolExecutor(max_workers=len(plan), thread_name_prefix="switch") as pool:
        return list(pool.map(lambda item: _answer(settings, item[0], item[1], timeout), plan))


def broadcast(settings, commands: Iterable[str], timeout: float = 2.0, db=None,
              switches: Optional[list[Switch]] = None) -> list[Answer]:
    """`ask_all` for what every switch must hear; the switches that could not be told are logged."""
    commands = list(commands)
    answers = ask_all(settings, commands, timeout, db, switches)
    for answer in answers:
        if not answer.reached:
            log.warning("switch %s (%s) not told %s: %s", answer.switch.name, answer.switch.address,
                        commands[:3], answer.error)
    return answers


def unreachable(answers: list[Answer]) -> list[str]:
    """The names of the switches that could not be asked."""
    return [answer.switch.name for answer in answers if not answer.reached]


def of_user(db, tenant_id: int, user_id: int) -> list[str]:
    """The switches the user's phones are registered on now, the latest registration first: where a call
    that rings the phone first (click-to-dial, a login code's call) is best started, the phone's own
    switch reaching it without the edge."""
    from sqlmodel import col

    from web.domain.agents import live_registrations
    from web.models.live import SipRegistration

    rows = db.exec(live_registrations(db, tenant_id).where(SipRegistration.user_id == user_id)
                   .order_by(col(SipRegistration.registered_at).desc())).all()
    return list(dict.fromkeys(row.switch for row in rows if row.switch))


def send_event(settings, switches: list[Switch], name: str, headers: dict[str, str],
               timeout: float = 2.0) -> list[Answer]:
    """Fire the event inside each of these switches (the event socket's `sendevent`), all at once; those
    that could not be told are logged and reported, never failing the others."""
    from web.domain.switch import EslError, esl_sendevent

    def one(switch: Switch) -> Answer:
        try:
            return Answer(switch, [esl_sendevent(switch.host, switch.port, settings.esl_password, name, headers, timeout)])
        except (OSError, EslError) as exc:
            log.warning("switch %s (%s) not sent %s: %s", switch.name, switch.address, name, exc)
            return Answer(switch, error=str(exc) or type(exc).__name__)

    if len(switches) <= 1:
        return [one(switch) for switch in switches]
    side_effects.happened("told FreeSWITCH")  # here: the pool's threads do not see the request's context
    with ThreadPoolExecutor(max_workers=len(switches), thread_name_prefix="switch") as pool:
        return list(pool.map(one, switches))
