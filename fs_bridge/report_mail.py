"""The periodic report mails (#17 item 5): the usage alert and the monthly report, checked every
CHECK_EVERY_S seconds from the bridge's heartbeat. What is due and the once-only claim are
web.domain.report_mail's; this only decides when to look and wakes the outbox after.

Several bridges (or a restarted one) may check at the same moment: each mail's claim row is unique per
company, kind and period, so it is queued once whoever checks."""

from __future__ import annotations

import time

import gevent

from web.domain import report_mail

# a limit passed is mailed within a minute; a check is two queries, and a SUM per company whose limit is
# not passed yet (bench/report_mail.py)
CHECK_EVERY_S = 60.0
_last_check = [float("-inf")]


def tick(ctx) -> None:
    now = time.monotonic()
    if now - _last_check[0] < CHECK_EVERY_S:
        return
    _last_check[0] = now
    # a pause between two companies: events keep flowing while many companies are checked
    if report_mail.run_due(ctx.bridge.engine, settings=ctx.settings, pause=lambda: gevent.sleep(0)):
        ctx.wake_outbox()
