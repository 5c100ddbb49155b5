"""`python -m web` (what `make run` runs): migrate, create the demo on first run, then run the web app
and the FreeSWITCH bridge side by side until Ctrl-C.

The bridge is its own process on purpose: it runs on gevent, whose monkey-patching must not touch the
asyncio web server."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time

from web.app import create_app
from web.demo import ensure_demo
from web.migrate import upgrade
from web.settings import get_settings


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = get_settings()
    host = os.environ.get("CALLPLAN_HOST", "127.0.0.1")
    port = os.environ.get("CALLPLAN_PORT", "8000")
    print(f"database: {settings.database_url}", flush=True)
    upgrade(settings.database_url)
    app = create_app(settings)
    made = ensure_demo(app)
    app.state.engine.dispose()
    if made:
        print("\nFirst run: accounts created (the password works once; you choose a new one at login):")
        for role, login, password in made:
            print(f"  {role:9} login: {login:32} one-time password: {password}")
        print()
    print(f"Portal: http://{host}:{port}/login\n", flush=True)

    children = [
        subprocess.Popen([sys.executable, "-m", "uvicorn", "web.app:app", "--host", host, "--port", port,
                          "--no-access-log"]),
        subprocess.Popen([sys.executable, "-m", "fs_bridge"]),
    ]

    def stop(*_):
        for child in children:
            if child.poll() is None:
                child.terminate()

    signal.signal(signal.SIGTERM, stop)
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        stop()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
