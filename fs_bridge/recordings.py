"""Call recordings (#18 item 1): FreeSWITCH fires RECORD_STOP when a record_session ends (the call hung
up, or the in-call feature code pressed again); the file it wrote is stored as a `recording` row of its
company and call (web.domain.recordings). The retention (each company's recording_retention_days) is
applied from the heartbeat, once every CHECK_EVERY_S."""

from __future__ import annotations

import logging
import time

from web.domain import recordings

log = logging.getLogger("fs_bridge.recordings")

CHECK_EVERY_S = 600.0  # retention is in days: a check every ten minutes deletes within the hour
_last_check = [float("-inf")]


def on_record_stop(ctx, event) -> None:
    stopped = recordings.from_event(event.get, event.var, event.at)
    if stopped is None:
        return  # not one of callplan's recordings (a voicemail message, a greeting recorded on the phone)
    recordings.store(ctx.db, ctx.settings.recordings_dir, stopped)


def tick(ctx) -> None:
    now = time.monotonic()
    if now - _last_check[0] < CHECK_EVERY_S:
        return
    _last_check[0] = now
    deleted = recordings.expire(ctx.db, ctx.settings.recordings_dir)
    if deleted:
        log.info("retention: %d recordings deleted", deleted)


HANDLES = {"RECORD_STOP": on_record_stop}
