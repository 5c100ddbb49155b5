"""Print what logging in and an authenticated read cost, with production argon2 parameters.

    .venv/bin/python bench/auth.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from starlette.testclient import TestClient  # noqa: E402

from web.app import create_app  # noqa: E402
from web.auth.passwords import hash_password, verify_password  # noqa: E402
from web.db import session_scope  # noqa: E402
from web.migrate import upgrade  # noqa: E402
from web.models import Account, Tenant  # noqa: E402
from web.settings import Settings  # noqa: E402


def timed(fn, n):
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


def main():
    tmp = tempfile.mkdtemp()
    url = f"sqlite:///{tmp}/bench.sqlite3"
    upgrade(url)
    settings = Settings(database_url=url, secret_key="bench")
    app = create_app(settings)
    stored = hash_password(settings, "a bench password")
    p50, p99 = timed(lambda: verify_password(settings, stored, "a bench password"), 20)
    print(f"argon2id verify (t={settings.argon2_time_cost}, m={settings.argon2_memory_kib} KiB, p={settings.argon2_parallelism}): p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    with session_scope(app.state.engine) as db:
        tenant = Tenant(name="Bench", sip_domain="bench.pbx.test")
        db.add(tenant)
        db.flush()
        db.add(Account(tenant_id=tenant.id, email="bench@bench.test", role="admin", password_hash=stored))
    client = TestClient(app)
    p50, p99 = timed(lambda: client.post("/api/auth/login", json={"email": "bench@bench.test", "password": "a bench password"}), 20)
    print(f"POST /api/auth/login: p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    client.headers["x-csrf-token"] = client.get("/api/auth/me").json()["csrf_token"]
    p50, p99 = timed(lambda: client.get("/api/tenant"), 500)
    print(f"GET /api/tenant with a session cookie (in-process): p50 {p50:.2f} ms, p99 {p99:.2f} ms")
    token = client.post("/api/account/tokens", json={"name": "bench"}).json()["token"]
    bearer = TestClient(app, headers={"authorization": f"Bearer {token}"})
    p50, p99 = timed(lambda: bearer.get("/api/tenant"), 500)
    print(f"GET /api/tenant with an API token (in-process): p50 {p50:.2f} ms, p99 {p99:.2f} ms")


if __name__ == "__main__":
    main()
