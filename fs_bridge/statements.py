"""The monthly statements' periodic job (#17 item 6): once a minute, every company whose last month (in
its own time zone) has no statement yet gets one, so last month's is made within a minute of midnight
on the 1st, and on the first check after it when no bridge ran then; each is mailed (PDF attached) to
the company's "statement" subscribers (web.domain.statement_mail, through the outbox).

The work is web.domain.statements.make_due: several bridges may run it at the same moment and each
month is stored once (INSERT ... ON CONFLICT on the unique company and month). Drawing a PDF is CPU work
(0.3 to 1.5 s and more; bench/statements.py), done in a child process (fs_bridge.statement_drawing) while
this greenlet waits cooperatively: FreeSWITCH's events are handled meanwhile, not after the drawing."""

from __future__ import annotations

import logging

import gevent

from fs_bridge.statement_drawing import Drawer
from web.domain import statement_mail, statements

log = logging.getLogger("fs_bridge.statements")

HANDLES: dict = {}
CHECK_SECONDS = 60.0
BATCH = 20  # statements per check: a platform's 1st is spread over the first minutes


def check(engine, settings, pause=lambda: None) -> list[tuple[int, str]]:
    """One round: make what is due (at most BATCH), each mailed to the company's "statement" subscribers
    (queued in the outbox in the transaction that stored it); returns the (company, month) stored by this
    process."""
    def mail(db, tenant_id, found):
        statement_mail.queue(db, tenant_id, found, settings)

    with Drawer() as drawer:  # one child process for the round, started only when something is due
        made = statements.make_due(engine, limit=BATCH, pause=pause, on_made=mail, draw=drawer.draw)
    for tenant_id, month in made:
        log.info("statement %s of company %s made", month, tenant_id)
    return made


def run(bridge) -> None:
    """The bridge's job (a greenlet of its own, see fs_bridge.service.Bridge.start)."""
    while bridge.running:
        try:
            made = check(bridge.engine, bridge.settings, pause=lambda: gevent.sleep(0))
            if made:
                bridge.outbox_wakeup.set()  # their mails go out now, not at the outbox's next poll
        except Exception:
            log.exception("making the monthly statements failed; trying again in a minute")
            made = []
        # a full batch: more may be due, come back soon instead of in a minute
        gevent.sleep(0.5 if len(made) >= BATCH else CHECK_SECONDS)
