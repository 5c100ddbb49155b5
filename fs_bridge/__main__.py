"""`python -m fs_bridge`: follow FreeSWITCH over ESL. Started by `make run` beside the web app."""

from gevent import monkey

monkey.patch_all()  # first, before anything imports socket or ssl

import logging  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402

from fs_bridge.connection import run_forever  # noqa: E402
from web.settings import get_settings  # noqa: E402


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    settings = get_settings()
    try:
        run_forever(settings.esl_host, settings.esl_port, settings.esl_password)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
