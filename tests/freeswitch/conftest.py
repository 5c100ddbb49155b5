"""Fixtures for the FreeSWITCH tests: the SIPp phones the plans ring, and a FreeSWITCH started on a
generated configuration. Both are module-scoped: one switch serves every call of a test module."""

from __future__ import annotations

from typing import Callable, Iterator

import pytest

from tests.freeswitch import harness


@pytest.fixture(scope="module")
def fs_dir(tmp_path_factory):
    # Skips here too, not only by the modules' markers: a module that borrows a fixture built on these
    # skips with the reason instead of erroring when a tool is missing.
    missing = harness.missing_tools()
    if missing:
        pytest.skip(f"needs FreeSWITCH and SIPp ({missing})")
    return tmp_path_factory.mktemp("freeswitch")


@pytest.fixture(scope="module")
def phones(fs_dir) -> Iterator[dict[str, harness.Phone]]:
    """One SIPp UAS per behaviour, each on its own fixed address: busy, ringing forever, answering."""
    started = {behaviour: harness.Phone(fs_dir, f"uas_{behaviour}") for behaviour in ("busy", "ring", "answer")}
    try:
        yield started
    finally:
        for phone in started.values():
            phone.stop()


@pytest.fixture(scope="module")
def start_freeswitch(fs_dir) -> Iterator[Callable[..., harness.FreeSwitch]]:
    """start_freeswitch(domain, documents, users, **options) -> a running FreeSwitch (options as for
    harness.FreeSwitch), stopped after the module."""
    running: list[harness.FreeSwitch] = []

    def start(domain: str, documents: list[str], users: dict[str, str], **options) -> harness.FreeSwitch:
        fs = harness.FreeSwitch(fs_dir / f"fs{len(running)}", domain, documents, users, **options)
        running.append(fs)
        fs.start()
        return fs

    try:
        yield start
    finally:
        for fs in running:
            fs.stop()
