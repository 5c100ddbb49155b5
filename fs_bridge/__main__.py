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
    settings = get_settings()
    bridge = Bridge(settings, make_engine(settings.database_url))
    stopping = gevent.event.Event()
    gevent.signal_handler(signal.SIGTERM, stopping.set)
    gevent.signal_handler(signal.SIGINT, stopping.set)
    bridge.start()
    stopping.wait()
    bridge.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
