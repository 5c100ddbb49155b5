"""Paging and intercom (#18 item 4): phones that answer by themselves.

A phone answers a call by itself when the INVITE carries the auto-answer header its firmware looks for;
FreeSWITCH adds a header `X` to an outgoing leg from the leg's variable `sip_h_X`, so every leg to a
phone carries the headers of the phone's brand (AUTO_ANSWER), set in the leg's own `[...]` variables.

**Page group** (its internal number): one way, the caller speaks and the phones listen. FreeSWITCH 1.10
has no "page" application for live audio (mod_dptools' `page` plays a file), and a `bridge` to several
legs keeps only the first that answers, so a page is a mod_conference conference of its own
(`t<company>-page<group>-<call uuid>@callplan-page`, freeswitch/autoload_configs/conference.conf.xml):
`conference_set_auto_outcall` queues a leg per phone, which mod_conference originates when the caller
enters (conference_loop.c), each with the member flag `mute` (the leg's `outcall_flags`, which
mod_conference reads from the answered leg: the channel variable documented for it,
conference_auto_outcall_flags, is read as `conference_utils_auto_outcall_flags` in 1.10's source, so
the per-leg variable is the one that holds across versions). The caller enters with `endconf`: when the
caller hangs up the conference ends and every phone is hung up. The caller's own phone is not paged
(a condition on `${user_name}`, the directory user the call authenticated as, per phone), nor the phones
of a user on do not disturb. The caller hears a short beep once the phones are called (mod_conference's
member beep after the outcalls, at most OUTCALL_MAXWAIT_S later), then speaks.

**Intercom** (feature code, `*80` + extension): two way to one colleague, whose phones answer by
themselves: a plain `bridge` to each of the colleague's phones with its brand's headers.
"""

from __future__ import annotations

from callplan.xml import exact, literal

PAGE_PROFILE = "callplan-page"  # freeswitch/autoload_configs/conference.conf.xml
OUTCALL_TIMEOUT_S = 10  # how long a paged phone that does not answer by itself rings (mod_conference: 10..500)
OUTCALL_MAXWAIT_S = 3  # how long the caller waits for the phones before the beep

# Call-Info with answer-after=0 (RFC 3261's Call-Info, the parameter of draft-ietf-sip-answermode's
# predecessors): Yealink, Grandstream ("Allow Auto Answer by Call-Info"), Cisco SPA ("Auto Answer Page"),
# Snom and Panasonic answer on it; it is also what FreeSWITCH's own sip_auto_answer=true sends.
_CALL_INFO = ("Call-Info", "<sip:{domain}>;answer-after=0")
# Alert-Info info=alert-autoanswer: Snom's and Panasonic's documented intercom header (Broadsoft's form).
# Polycom answers by itself on an Alert-Info its configuration maps to the ring class autoAnswer: its
# provisioning file maps "alert-autoanswer" (web/provisioning/templates/polycom.xml). Not the bare
# "Alert-Info: Ring Answer" other PBXs send Polycoms: sofia-sip parses Alert-Info as <URI>;params and
# FreeSWITCH 1.10 leaves such a value out of the INVITE (seen on 1.10.12).
_ALERT_AUTOANSWER = ("Alert-Info", "<http://www.notused.com>;info=alert-autoanswer;delay=0")
# RFC 5373's header, for softphones that follow the standard rather than a vendor.
_P_AUTO_ANSWER = ("P-Auto-Answer", "normal")

AUTO_ANSWER: dict[str, tuple[tuple[str, str], ...]] = {
    "yealink": (_CALL_INFO,),
    "polycom": (_CALL_INFO, _ALERT_AUTOANSWER),
    "snom": (_CALL_INFO, _ALERT_AUTOANSWER),
    "grandstream": (_CALL_INFO,),
    "cisco_spa": (_CALL_INFO,),
    "panasonic": (_CALL_INFO, _ALERT_AUTOANSWER),
    "generic": (_CALL_INFO, _ALERT_AUTOANSWER, _P_AUTO_ANSWER),
}


def auto_answer_headers(brand: str, domain: str) -> list[tuple[str, str]]:
    """The headers (name, value) that make a phone of `brand` answer by itself; an unknown brand gets the
    generic set."""
    return [(name, value.format(domain=domain)) for name, value in AUTO_ANSWER.get(brand, AUTO_ANSWER["generic"])]


def targets(members: list[dict], objects) -> list[tuple[str, str]]:
    """The phones the members stand for, as (directory user, brand), each once, in the members' order: a
    user's phones (a user without any: the user's own extension, generic), a phone by itself. Users on
    do not disturb, and phones of such users, are left out; so are members that are gone."""
    found: dict[str, str] = {}
    for member in members:
        kind, ident = member.get("type"), member.get("id")
        if kind == "user":
            user = objects.users.get(ident)
            if user is None or user.dnd:
                continue
            phones = sorted((d for d in objects.devices.values() if d.user_id == user.id), key=lambda d: d.id)
            for phone in phones or [None]:
                name, brand = (phone.sip_username, phone.brand) if phone else (user.extension, "generic")
                found.setdefault(name, brand)
        elif kind == "device":
            phone = objects.devices.get(ident)
            owner = objects.users.get(phone.user_id) if phone is not None and phone.user_id is not None else None
            if phone is None or (owner is not None and owner.dnd):
                continue
            found.setdefault(phone.sip_username, phone.brand)
    return list(found.items())


def leg(name: str, brand: str, domain: str, extra: tuple[str, ...] = ()) -> str:
    """One leg to directory user `name` with its brand's auto-answer headers (per leg: `[...]`)."""
    variables = [f"sip_h_{header}={value}" for header, value in auto_answer_headers(brand, domain)] + list(extra)
    return f"[{','.join(variables)}]user/{name}@{domain}"


def page_name(tenant_id: int, group_id: int) -> str:
    """The page's conference: one per call (`${uuid}`), so two pages of one group never share phones'
    outcalls, with the company's id as in conference rooms' names."""
    return f"t{int(tenant_id)}-page{int(group_id)}-${{uuid}}"


def page(segment, objects, group) -> None:
    """Fill `segment` (a segment with `then` conditions, base_dialplan.ConditionalSegment) with the page:
    the outcall settings, a condition per phone that queues its leg unless the caller is that phone
    (break="never": FreeSWITCH goes on to the next condition either way), then the conference."""
    domain = objects.domain
    phones = targets(group.members, objects)
    if not phones:
        segment.action("hangup", "NO_ROUTE_DESTINATION")
        return
    segment.action("answer")
    segment.action("set", f"conference_auto_outcall_caller_id_name={literal(group.name) or 'Page'}")
    segment.action("set", "conference_auto_outcall_caller_id_number=${caller_id_number}")
    segment.action("set", f"conference_auto_outcall_timeout={OUTCALL_TIMEOUT_S}")
    segment.action("set", f"conference_auto_outcall_maxwait={OUTCALL_MAXWAIT_S}")
    segment.action("set", f"conference_auto_outcall_profile={PAGE_PROFILE}")
    # one leg per conference_set_auto_outcall; mod_conference splits each at the delimiter (a comma unless
    # set), which would cut a leg's [...] variables apart
    segment.action("set", "conference_auto_outcall_delimiter=|")
    # a colleague's phone pages as the colleague's extension (the directory's cp_extension), not as the
    # phone's SIP account, which is its caller_id_number
    segment.then.append(("${cp_extension}", r"^[0-9]{2,4}$",
                         [("set", "conference_auto_outcall_caller_id_number=${cp_extension}")], [], "never"))
    for name, brand in phones:
        outcall = leg(name, brand, domain, ("outcall_flags=mute",))
        segment.then.append(("${user_name}", exact(name), [], [("conference_set_auto_outcall", outcall)], "never"))
    segment.then.append(("destination_number", segment.match, [
        ("conference", f"{page_name(objects.tenant_id, group.id)}@{PAGE_PROFILE}+flags{{endconf}}"),
        ("hangup", "NORMAL_CLEARING"),
    ], []))


def intercom(objects, user) -> list[tuple[str, str]]:
    """The actions of an intercom call to `user`: each of the user's phones rung at once with its
    auto-answer headers, two way; a user on do not disturb is busy."""
    phones = targets([{"type": "user", "id": user.id}], objects)
    if not phones:
        return [("hangup", "USER_BUSY")]
    legs = ",".join(leg(name, brand, objects.domain) for name, brand in phones)
    return [("set", "hangup_after_bridge=true"), ("bridge", legs)]
