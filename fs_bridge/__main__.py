"""`python -m fs_bridge`: follow FreeSWITCH over ESL. Started by `make run` beside the web app.

gevent monkey-patches this process (greenswitch needs it); that is why the bridge never shares a process
with the asyncio web app. The two talk through the database and the live feed (fs_bridge/live_feed.py)."""

from gevent import monkey

monkey.patch_all()  # first, before anything imports socket or ssl

import logging  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402

import gevent  # noqa: E402
import gevent.event  # noqa: E402

from fs_bridge.service import Bridge  # noqa: E402
from web.db import make_engine  # noqa: E402
from web.settings import get_settings  # noqa: E402


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        settings = get_settings()
    except ValueError as exc:  # a malformed variable (CALLPLAN_SWITCH_PASSWORDS...): named, no traceback
        logging.getLogger("fs_bridge").error("cannot start: %s", exc)
        return 1
    bridge = Bridge(settings, make_engine(settings.database_url))
    stopping = gevent.event.Event()
    gevent.signal_handler(signal.SIGTERM, stopping.set)
    gevent.signal_handler(signal.SIGINT, stopping.set)
    try:
        bridge.start()
    except OSError as exc:  # the live feed's port is taken, most often by another bridge
        logging.getLogger("fs_bridge").error(
            "cannot listen for the web app on %s:%s (%s): is another bridge running? CALLPLAN_BRIDGE_FEED_PORT "
            "chooses another port", settings.bridge_feed_host, settings.bridge_feed_port, exc.strerror or exc)
        return 1
    stopping.wait()
    bridge.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
