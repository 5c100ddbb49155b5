"""README.md's commands for connecting a real FreeSWITCH, run as written: the `sh` block of "Connecting a
real FreeSWITCH and a phone", line by line in bash, in a terminal (a pseudo-terminal: `-nf` keeps
FreeSWITCH's console on it). Only what must differ on a test machine is changed, each by name below, and
the test fails if the README no longer has a line it changes, so the two cannot drift apart:

- `CALLPLAN_SIP_IP`: loopback instead of the example address;
- `make run &`: the same program (`python -m web`) on this test's own database and ports;
- `/tmp/fs`: this test's folder.

The repository's freeswitch/ folder is copied into a checkout of the test's own, so `$PWD/freeswitch` and
the defaults FreeSWITCH derives from it (the `var/` folder beside it) are the test's, and the app's
defaults (the repository's `var/`) are moved there with it. Ports come from the environment, which
FreeSWITCH and the app read alike. The gateway is the README of freeswitch/gateways/'s IP-trunk example.
"""

from __future__ import annotations

import os
import pty
import re
import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.freeswitch import harness
from web.settings import REPO_ROOT, Settings

README = REPO_ROOT / "README.md"
GATEWAYS_README = REPO_ROOT / "freeswitch" / "gateways" / "README.md"
HOST = harness.HOST
DEMO_DOMAIN = "demo.pbx.localhost"


def needs_freeswitch(test):
    skip = pytest.mark.skipif(harness.FREESWITCH is None, reason="needs a `freeswitch` binary on PATH")
    return pytest.mark.freeswitch(skip(test))


def readme_commands() -> list[str]:
    """The lines of the first `sh` block of the README's FreeSWITCH section."""
    text = README.read_text()
    section = text[text.index("## Connecting a real FreeSWITCH"):]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "README.md: no sh block under 'Connecting a real FreeSWITCH'"
    return [line for line in block.group(1).splitlines() if line.strip()]


def command_of(line: str) -> str:
    return line.split("  #")[0].strip()


def gateway_examples() -> list[str]:
    return re.findall(r"```xml\n(.*?)```", GATEWAYS_README.read_text(), re.S)


def test_the_readme_block_starts_the_app_and_freeswitch():
    """What the live test below changes is there (without FreeSWITCH too)."""
    commands = [command_of(line) for line in readme_commands()]
    assert "make run &" in commands
    assert any(command.startswith("export CALLPLAN_SIP_IP=") for command in commands)
    assert commands[-1].startswith("freeswitch ") and "-temp /tmp/fs" in commands[-1]
    assert "-conf \"$PWD/freeswitch\"" in commands[-1]


def test_the_gateway_examples_are_gateways_named_default():
    import xml.etree.ElementTree as ET

    examples = gateway_examples()
    assert len(examples) == 2
    for example in examples:
        gateway = ET.fromstring(example).find("gateway")
        assert gateway is not None and gateway.get("name") == "default"
        assert {param.get("name") for param in gateway.iter("param")} >= {"proxy", "register"}


class ReadmeFreeSwitch(harness.SwitchProcess):
    """FreeSWITCH started by the README's lines in bash; the event socket's password is the one they
    generate (the script leaves it in a file for the test)."""

    def __init__(self, work: Path, script: str, env: dict[str, str], esl_port: int):
        self.script, self.environment = script, env
        fs = work / "fs"
        super().__init__(work, esl_port, "", {"log": fs})

    def launch(self) -> subprocess.Popen:
        self.terminal, console = pty.openpty()
        (self.base / "readme.sh").write_text(self.script)
        try:
            process = subprocess.Popen(["bash", str(self.base / "readme.sh")], cwd=self.base / "checkout",
                                       stdin=console, stdout=self.stdout, stderr=subprocess.STDOUT, env=self.environment,
                                       start_new_session=True, preexec_fn=harness.die_with_parent)
        finally:
            os.close(console)
        password = self.base / "esl_password"
        assert harness.wait_for(password.exists, 30), (self.base / "stdout.txt").read_text(errors="replace")
        self.password = password.read_text()
        return process

    def ready(self, sofia_status: str) -> bool:
        return len(re.findall(r"^\s*(internal|external)\s+profile\s.*RUNNING", sofia_status, re.M)) == 2

    def stop(self) -> None:
        super().stop()
        os.close(self.terminal)


def app_defaults_moved_to(checkout: Path) -> dict[str, str]:
    """The app's default folders and files in the repository's var/, at the same place in `checkout`."""
    defaults = Settings.from_env({"CALLPLAN_SECRET_KEY": "x"})
    return {variable: str(checkout / Path(getattr(defaults, name)).relative_to(REPO_ROOT)) for variable, name in (
        ("CALLPLAN_FALLBACK_DIALPLAN", "fallback_dialplan"), ("CALLPLAN_VOICEMAIL_DIR", "voicemail_dir"),
        ("CALLPLAN_CDR_SPOOL_DIR", "cdr_spool_dir"), ("CALLPLAN_AUDIO_DIR", "audio_dir"))}


@pytest.fixture
def readme_switch(tmp_path):
    checkout = tmp_path / "checkout"
    shutil.copytree(REPO_ROOT / "freeswitch", checkout / "freeswitch")
    ip_trunk = gateway_examples()[1].replace("203.0.113.5:5060", f"{HOST}:{harness.free_ports()}")
    (checkout / "freeswitch" / "gateways" / "default.xml").write_text(ip_trunk)

    app_port = free_port()
    shared = {  # both read these: where FreeSWITCH finds the app, the ports of this test
        "CALLPLAN_APP_URL": f"http://{HOST}:{app_port}", "CALLPLAN_ESL_PORT": str(harness.free_ports()),
        "CALLPLAN_INTERNAL_SIP_PORT": str(harness.free_ports()), "CALLPLAN_EXTERNAL_SIP_PORT": str(harness.free_ports())}
    app = {"CALLPLAN_DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite3'}", "CALLPLAN_PORT": str(app_port),
           "CALLPLAN_BRIDGE_FEED_PORT": str(free_port()), "CALLPLAN_SECRET_KEY": "readme-test",
           "CALLPLAN_ARGON2_MEMORY_KIB": "1024", "CALLPLAN_ARGON2_TIME_COST": "1", "CALLPLAN_SMTP_PORT": "1",
           "PYTHONUNBUFFERED": "1", **app_defaults_moved_to(checkout)}
    changed = {"sip_ip": False, "make_run": False}
    script = ["set -e"]
    for line in readme_commands():
        command = command_of(line)
        if command.startswith("export CALLPLAN_SIP_IP="):
            line, changed["sip_ip"] = f"export CALLPLAN_SIP_IP={HOST}", True
        elif command == "make run &":
            settings = " ".join(f"{name}={shlex.quote(value)}" for name, value in app.items())
            line = (f"(cd {shlex.quote(str(REPO_ROOT))} && exec env {settings} {shlex.quote(sys.executable)} -m web)"
                    f" > {shlex.quote(str(tmp_path / 'app.log'))} 2>&1 &\necho $! > {shlex.quote(str(tmp_path / 'app.pid'))}")
            changed["make_run"] = True
        elif command.startswith("freeswitch "):
            script.append(f'printf %s "$CALLPLAN_ESL_PASSWORD" > {shlex.quote(str(tmp_path / "esl_password"))}')
            line = "exec " + line  # FreeSWITCH itself, not a shell, is the test's child (it dies with the test)
        script.append(line.replace("/tmp/fs", str(tmp_path / "fs")))
    assert all(changed.values()), f"README.md's block lost a line this test runs: {changed}"

    env = {key: value for key, value in os.environ.items() if not key.startswith("CALLPLAN_")} | shared
    switch = ReadmeFreeSwitch(tmp_path, "\n".join(script) + "\n", env, int(shared["CALLPLAN_ESL_PORT"]))
    try:
        switch.start(timeout=60)
        yield switch, checkout, tmp_path
    finally:
        app_pid = tmp_path / "app.pid"
        if app_pid.exists():
            try:
                os.kill(int(app_pid.read_text()), signal.SIGINT)  # Ctrl-C for `make run`
            except ProcessLookupError:
                pass
        switch.stop()


def app_log(folder: Path) -> str:
    path = folder / "app.log"
    return path.read_text(errors="replace") if path.exists() else ""


@needs_freeswitch
def test_the_readmes_commands_run_freeswitch_with_the_app(readme_switch):
    fs, checkout, folder = readme_switch
    # the bridge (of `make run`) got in with the password the README's lines made
    assert harness.wait_for(lambda: "connected to FreeSWITCH event socket" in app_log(folder), 60), app_log(folder)
    # FreeSWITCH asks the app for the directory with the other password, and gets the demo's phones
    assert harness.wait_for(lambda: fs.api(f"user_exists id 201 {DEMO_DOMAIN}").strip() == "true", 30), fs.log_tail()

    # the folders they share are the same by default: the app's var/ defaults, moved with the checkout
    for variable, path in app_defaults_moved_to(checkout).items():
        if variable != "CALLPLAN_AUDIO_DIR":  # the app's alone: FreeSWITCH is handed full paths
            value = fs.api(f"global_getvar {variable.lower()}").strip()
            assert os.path.realpath(value) == os.path.realpath(path), (variable, value)

    # FreeSWITCH's own phrase macros, wherever this FreeSWITCH was installed
    lang = fs.api("global_getvar callplan_lang_dir").strip()
    candidates = [Path(harness.FREESWITCH).resolve().parents[1] / "etc/freeswitch/lang", Path("/etc/freeswitch/lang")]
    if any(candidate.is_dir() for candidate in candidates):
        assert (Path(lang) / "en" / "en.xml").exists(), lang
    assert "callie" in fs.api("global_getvar sound_prefix")

    # the gateway example of freeswitch/gateways/README.md loads as the carrier's trunk
    gateway = fs.api("sofia status gateway default")
    assert re.search(r"^Name\s+default", gateway, re.M) and re.search(r"^State\s+NOREG", gateway, re.M), gateway
