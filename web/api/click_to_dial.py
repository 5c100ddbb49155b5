"""Click-to-dial (seed 004): the caller's own phone rings first, showing the number it is about to call;
when picked up, the call goes to that number through the company's own dialplan, exactly as if it had
been dialled on the phone: outbound blocking (premium, mobile, international), the release PIN, the
caller ID the company shows, feature codes and internal numbers all apply (callplan/base_dialplan.py).

    bgapi originate {vars}user/<extension>@<domain> <number> XML <domain>

`bgapi`, so FreeSWITCH answers at once with a job id and the request never waits for the call.
`user/<extension>@<domain>` rings every phone of the user (the directory's dial string). The originated
leg is not a phone's own call, so it carries none of the channel variables the directory gives a
phone's calls: the ones the base dialplan reads are set here (web.xml_curl.directory.phone_variables
makes the same ones). origination_caller_id_* is what the user's phone shows; effective_caller_id_* is
what the leg shows onwards inside the company (the outbound route replaces it with cp_outbound_cid).

Only the user's extension and a checked number go into the command: no free text (names) that could
carry the spaces, commas or braces that delimit originate's arguments and variables."""

from __future__ import annotations

import re
from typing import Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator

from callplan import outbound
from web.domain import agents
from web.api.me import own_user
from web.api.problems import Problem
from web.api.routing import api
from web.domain.callplan_snapshot import snapshot
from web.models.pbx_user import PbxUser
from web.models.tenant import Tenant
from web.scoping import scoped

MAX_DIGITS = 32
# digits, * and #; a + at the start, or after a * (the release PIN form "<pin>*+31...", base dialplan)
NUMBER = re.compile(r"^\+?(?:[0-9*#]|(?<=\*)\+)+\Z")
# what people paste from an address book or a web page between the digits
SEPARATORS = re.compile(r"[\s().\-/]")
ANSWER_WITHIN_S = 30  # the user's phone rings this long
_SAFE = re.compile(r"^[A-Za-z0-9+*#._@-]*\Z")  # every value that goes into the command line


class DialRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: str = Field(max_length=64)

    @field_validator("number")
    @classmethod
    def _number(cls, value: str) -> str:
        number = SEPARATORS.sub("", value)
        if not NUMBER.fullmatch(number) or len(number) > MAX_DIGITS or not any(c.isdigit() for c in number):
            raise ValueError(f"must be a phone number: digits, a leading +, * and #, at most {MAX_DIGITS}")
        return number


class DialStarted(BaseModel):
    number: str
    job_uuid: Optional[str] = None  # FreeSWITCH's background job; BACKGROUND_JOB tells how it went
    phone_registered: bool  # false: no phone of the user is registered, the call will not ring


def originate_command(user: PbxUser, domain: str, number: str, outbound_cid: Optional[str], withhold: bool) -> str:
    variables = {
        "origination_caller_id_number": number,
        "origination_caller_id_name": number,
        "effective_caller_id_number": user.extension,
        "effective_caller_id_name": user.extension,
        "user_context": domain,
        "cp_user_id": str(user.id),
        "cp_extension": user.extension,
        "cp_outbound_cid": outbound_cid or "",
        "cp_withhold": "true" if withhold else "false",
        "cp_click_to_dial": "true",
        "originate_timeout": str(ANSWER_WITHIN_S),
    }
    for value in (*variables.values(), domain):
        if not _SAFE.match(value):  # every value is ours and checked; this guards the rule itself
            raise ValueError(f"unsafe value in an originate command: {value!r}")
    joined = ",".join(f"{name}={value}" for name, value in variables.items())
    return f"bgapi originate {{{joined}}}user/{user.extension}@{domain} {number} XML {domain}"


def command_for(db, settings, tenant_id: int, user: PbxUser, number: str) -> str:
    """The originate for `user` calling `number`, with the caller ID the user's own calls show."""
    domain = db.get(Tenant, tenant_id).sip_domain
    objects = snapshot(db, tenant_id, settings)
    info = objects.users.get(user.id)
    shown = outbound.caller_id(info, objects) if info is not None else None
    return originate_command(user, domain, number, shown.number if shown else None, bool(shown and shown.withheld))


def click_to_dial(ctx, body: DialRequest):
    """Ring one's own phone, then call the number through the company's outbound rules."""
    from web.domain import switches
    from web.domain.switch import EslError

    user = own_user(ctx)
    command = command_for(ctx.db, ctx.settings, ctx.tenant_id, user, body.number)
    # the switch the phone registered on (it reaches the phone without the edge), else the first live one
    switch = switches.pick(ctx.settings, ctx.db, prefer=switches.of_user(ctx.db, ctx.tenant_id, user.id))
    try:
        reply = switches.ask(ctx.settings, switch, [command], agents.ESL_TIMEOUT)[0]
    except (OSError, EslError):
        raise Problem(503, "freeswitch_unavailable", headers={"Retry-After": "10"})
    if not reply.startswith("+OK"):
        raise Problem(502, "freeswitch_refused", reply.strip()[:200])
    job = reply.split("Job-UUID:", 1)[1].strip() if "Job-UUID:" in reply else None
    return DialStarted(number=body.number, job_uuid=job,
                       phone_registered=agents.user_registered(ctx.db, ctx.tenant_id, user.id))


routes = [
    api("POST", "/api/click-to-dial", click_to_dial, permission="phone.self", body=DialRequest, response=DialStarted,
        status=202),
]
