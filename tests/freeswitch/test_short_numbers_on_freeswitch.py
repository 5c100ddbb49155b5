"""A short number that is no extension of the company ends in "number not in use" on a real FreeSWITCH
and never reaches the carrier (#16 item 4): a call placed into the company's context (loopback, as a
phone's call runs there) to 298 (no extension of the demo company, which has a 203) is hung up with UNALLOCATED_NUMBER and the gateway's far end gets no
INVITE, while an outside number still goes out through the gateway."""

from __future__ import annotations

import re

from sqlmodel import select

from tests.freeswitch import harness
from tests.freeswitch.harness import wait_for
from tests.freeswitch.test_config_on_freeswitch import (  # noqa: F401  (fixtures)
    demo, far_end, fs, needs_freeswitch, server, work,
)
from web.db import session_scope
from web.models.tenant import Tenant


def invites(phone, number: str) -> list[str]:
    return [text for direction, text in harness.sip_messages(phone.received())
            if direction == "received" and re.match(rf"INVITE sip:{re.escape(number)}@", text)]


@needs_freeswitch
def test_298_is_not_in_use_and_an_outside_number_goes_out(work, demo, server, fs, far_end):
    server.start()
    with session_scope(demo.engine) as db:
        domain = db.exec(select(Tenant)).first().sip_domain
    phone = "{cp_outbound_cid=+31201234567,cp_tenant_id=1,origination_caller_id_number=201}"
    reply = fs.api(f"originate {phone}loopback/298/{domain} &park()")
    assert "UNALLOCATED_NUMBER" in reply, f"{reply}\n{fs.log_tail(80)}"
    out = fs.api(f"originate {phone}loopback/0612345678/{domain} &park()")
    assert wait_for(lambda: invites(far_end, "0612345678"), 20), f"{out}\n{far_end.received()[-2000:]}\n{fs.log_tail(120)}"
    assert not invites(far_end, "298"), far_end.received()[-2000:]
    fs.api("hupall NORMAL_CLEARING")
