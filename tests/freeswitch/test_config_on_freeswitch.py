"""The project's own FreeSWITCH configuration (freeswitch/) on a real FreeSWITCH, wired to the app.

The app (the demo company on a migrated SQLite) is served by uvicorn in this process, so the test can
stop it and move its clock; FreeSWITCH runs the repository's freeswitch/ folder, copied, with every
deployment value from the environment as in production. SIPp plays the phone (REGISTER with the demo
device's real password), the carrier (a call into the public profile) and the fallback number's far
end (a UAS behind the gateway "default").

The tests without the `freeswitch` marker check the configuration and web/domain/fallback.py without a
switch."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import subprocess
import threading
import time
import wave
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Optional
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

import callplan.nodes  # noqa: F401  (ties the step types into the plan model)
from web import clock
from web.domain import fallback
from web.models.audio import AudioFile
from web.models.company import CompanySettings
from web.models.phone_number import PhoneNumber
from web.models.tenant import Tenant
from web.models.voicemail_box import VoicemailBox
from web.settings import Settings
from tests.freeswitch import harness
from tests.freeswitch.harness import ProjectFreeSwitch, register  # noqa: F401  (other modules import them from here)

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "freeswitch"
HOST = harness.HOST
FREESWITCH, SIPP = shutil.which("freeswitch"), shutil.which("sipp")
FS_LANG_DIR = harness.FS_LANG_DIR
MISSING = ", ".join(name for name, path in (("freeswitch", FREESWITCH), ("sipp", SIPP)) if path is None)


def needs_freeswitch(test):
    skip = pytest.mark.skipif(bool(MISSING), reason=f"needs FreeSWITCH and SIPp on PATH (missing: {MISSING})")
    return pytest.mark.freeswitch(skip(test))


MAIN_NUMBER = "+31201234567"  # the demo company's main number: the published plan "Reception"
FALLBACK_NUMBER = "+31612345678"
XML_CURL_TIMEOUT = 3  # seconds (production: 2): a cold directory build on a loaded test machine takes over 1 s, and FreeSWITCH then refuses the REGISTER with 403


# == the configuration itself (no FreeSWITCH needed) =================================================


def config_files() -> list[Path]:
    """The configuration as committed: not the carrier gateway files an installation adds (they hold the
    carrier's password, and git ignores them)."""
    return sorted(path for path in CONFIG.rglob("*")
                  if path.is_file() and not path.is_relative_to(CONFIG / "gateways"))


def test_no_shared_default_password_anywhere():
    for path in config_files():
        assert "cluecon" not in path.read_text().lower(), f"{path} names FreeSWITCH's well-known default password"


def test_secrets_only_from_the_environment():
    """Passwords in the configuration are variables set from the environment (or random), never text."""
    for path in config_files():
        if path.suffix != ".xml":
            continue
        for element in ET.parse(path).iter("param"):
            if element.get("name") in ("password", "cred", "gateway-credentials"):
                assert element.get("value", "").startswith("$${"), f"{path}: {element.attrib}"


def test_every_environment_variable_is_documented():
    used = set(re.findall(r"\$(CALLPLAN_[A-Z0-9_]+)", (CONFIG / "vars.xml").read_text()))
    readme = (CONFIG / "README.md").read_text()
    assert used, "vars.xml reads nothing from the environment"
    assert not {name for name in used if name not in readme}, "variables vars.xml reads but README.md does not list"


def test_xml_curl_bindings_have_timeouts_and_credentials():
    bindings = ET.parse(CONFIG / "autoload_configs/xml_curl.conf.xml").getroot().find("bindings")
    sections = {}
    for binding in bindings.iter("binding"):
        params = {p.get("name"): p for p in binding.iter("param")}
        sections[params["gateway-url"].get("bindings")] = params
        assert params["timeout"].get("value") == "$${callplan_xml_curl_timeout}"
        assert params["gateway-credentials"].get("value") == "$${callplan_xml_curl_user}:$${callplan_xml_curl_password}"
        assert params["gateway-url"].get("value") == "$${callplan_app_url}/freeswitch/xml"
    assert set(sections) == {"dialplan", "directory", "configuration"}


def test_freeswitch_and_the_app_default_to_the_same_folders():
    """Run on this folder (`-conf <repo>/freeswitch`), FreeSWITCH's defaults for what it shares with the app
    are the app's own: a message left or a record spooled is where the bridge looks, with nothing set."""
    defaults = dict(re.findall(r'cmd="set" data="(callplan_\w+)=([^"]*)"', (CONFIG / "vars.xml").read_text()))
    app = Settings.from_env({"CALLPLAN_SECRET_KEY": "x"})
    for variable, setting in (("callplan_voicemail_dir", app.voicemail_dir), ("callplan_cdr_spool_dir", app.cdr_spool_dir),
                              ("callplan_fax_dir", app.fax_dir),
                              ("callplan_recordings_dir", app.recordings_dir),
                              ("callplan_fallback_dialplan", app.fallback_dialplan)):
        path = defaults[variable].replace("$${conf_dir}", str(CONFIG))
        assert os.path.realpath(path) == os.path.realpath(setting), (variable, defaults[variable], setting)


def test_event_socket_and_sip_default_to_loopback():
    text = (CONFIG / "vars.xml").read_text()
    assert 'data="callplan_esl_listen_ip=127.0.0.1"' in text
    assert 'data="callplan_sip_ip=127.0.0.1"' in text
    assert 'data="callplan_esl_acl=loopback.auto"' in text


# == web/domain/fallback.py =================================================================================


def _tenant(db, domain: str, numbers: list[str], company_number: Optional[str] = "+31201234567") -> Tenant:
    tenant = Tenant(name=domain, sip_domain=domain, company_number=company_number)
    db.add(tenant)
    db.flush()
    db.add(CompanySettings(tenant_id=tenant.id))
    for number in numbers:
        db.add(PhoneNumber(tenant_id=tenant.id, number=number))
    db.flush()
    return tenant


def _setting(**destination) -> fallback.FallbackSettings:
    return fallback.FallbackSettings(destination=destination)


def _preprocessed(text: str) -> list[str]:
    """The lines FreeSWITCH's pre-processor keeps of an included file (what switch_xml.c drops)."""
    return [line for line in text.splitlines()
            if not any(mark in line for mark in ("<include>", "</include>", "<?"))
            and "x-pre-process" not in line.lower()]


def test_fallback_external_number(db, tmp_path):
    with db() as session:
        acme = _tenant(session, "acme.pbx.test", ["+31201234567", "+31201234568"])
        _tenant(session, "quiet.pbx.test", ["+31301234567"])  # no fallback: not in the file
        text = fallback.render(session, str(tmp_path), {acme.id: _setting(type="external", number="+31 6 12345678")})
    kept = _preprocessed(text)
    assert text.splitlines()[0] == "<include>" and text.splitlines()[-1] == "</include>"
    extensions = [ET.fromstring(line) for line in kept if line.startswith("<extension")]
    assert len(extensions) == 1 and not [line for line in kept if line.startswith("<domain")]
    condition = extensions[0].find("condition")
    # the dialled number, or (a later fetch in the company's context failing) the carrier's request URI
    assert condition.get("regex") == "any"
    assert [r.get("field") for r in condition.findall("regex")] == ["destination_number", "${sip_req_user}"]
    (pattern,) = {re.compile(r.get("expression")) for r in condition.findall("regex")}
    for dialled in ("+31201234567", "0031201234567", "31201234568"):
        assert pattern.fullmatch(dialled), dialled
    for dialled in ("+31301234567", "+312012345671", "1+31201234567"):
        assert not pattern.fullmatch(dialled), dialled
    actions = [(a.get("application"), a.get("data")) for a in condition.iter("action")]
    assert ("bridge", "[leg_timeout=60,origination_caller_id_number=+31201234567]"
                      "sofia/gateway/default/+31612345678") in actions
    assert ("set", f"cp_tenant_id={acme.id}") in actions and ("set", "cp_fallback=true") in actions


def test_fallback_announcement_and_voicemail_with_directory_entry(db, tmp_path):
    with db() as session:
        acme = _tenant(session, "acme.pbx.test", ["+31201234567"])
        box = VoicemailBox(tenant_id=acme.id, name="Company", extension="999", pin="1234")
        audio = AudioFile(tenant_id=acme.id, name="closed", original_filename="closed.wav", duration_ms=1000,
                          sample_rate_original=16000, channels_original=1, size_bytes=32044)
        session.add_all([box, audio])
        session.flush()
        text = fallback.render(session, "/srv/audio", {
            acme.id: _setting(type="announcement", audio_id=audio.id, voicemail_box_id=box.id)})
    elements = [ET.fromstring(line) for line in _preprocessed(text) if line.startswith(("<extension", "<domain"))]
    extension = next(e for e in elements if e.tag == "extension")
    actions = [(a.get("application"), a.get("data")) for a in extension.iter("action")]
    assert actions[-4:] == [("answer", None),
                            ("set", f"voicemail_greeting_path=/srv/audio/{acme.id}/16000/{audio.id}.wav"),
                            ("voicemail", "default acme.pbx.test 999"), ("hangup", "NORMAL_CLEARING")]
    domain = next(e for e in elements if e.tag == "domain")
    assert domain.get("name") == "acme.pbx.test"
    user = domain.find("groups/group/users/user")
    assert user.get("id") == "999"
    params = {p.get("name"): p.get("value") for p in user.iter("param")}
    # a directory entry without a password would otherwise authenticate with any password
    assert params == {"sip-forbid-register": "true", "allow-empty-password": "false"}


def test_fallback_leaves_out_what_no_longer_exists(db, tmp_path):
    with db() as session:
        acme = _tenant(session, "acme.pbx.test", ["+31201234567"])
        nothing = _tenant(session, "nothing.pbx.test", [])
        loop = _tenant(session, "loop.pbx.test", ["+31301234567"])
        chosen = {acme.id: _setting(type="announcement", audio_id=999, voicemail_box_id=998),  # both deleted
                  nothing.id: _setting(type="external", number="+31612345678"),  # no numbers to route
                  loop.id: _setting(type="external", number="+31301234567")}  # would come straight back
        assert fallback.collect(session, str(tmp_path), chosen) == []


def test_fallback_announcement_alone_is_played_then_the_call_ends(db, tmp_path):
    with db() as session:
        acme = _tenant(session, "acme.pbx.test", ["+31201234567"])
        audio = AudioFile(tenant_id=acme.id, name="closed", original_filename="closed.wav", duration_ms=1000,
                          sample_rate_original=16000, channels_original=1, size_bytes=32044)
        session.add(audio)
        session.flush()
        # the box was deleted since: the announcement still plays
        text = fallback.render(session, "/srv/audio", {
            acme.id: _setting(type="announcement", audio_id=audio.id, voicemail_box_id=12345)})
    lines = _preprocessed(text)
    assert not [line for line in lines if line.startswith("<domain")]
    extension = ET.fromstring(next(line for line in lines if line.startswith("<extension")))
    actions = [(a.get("application"), a.get("data")) for a in extension.iter("action")]
    assert actions[-3:] == [("answer", None), ("playback", f"/srv/audio/{acme.id}/16000/{audio.id}.wav"),
                            ("hangup", "NORMAL_CLEARING")]


def test_fallback_setting_read_from_the_company_row():
    assert fallback.configured(None) is None
    assert fallback.configured(SimpleNamespace()) is None  # before the column exists
    assert fallback.configured(SimpleNamespace(fallback=None)) is None
    stored = {"destination": {"type": "external", "number": "+31612345678"}}
    setting = fallback.configured(SimpleNamespace(fallback=stored))
    assert setting.destination.number == "+31612345678"
    with pytest.raises(ValueError):
        fallback.FallbackSettings(destination={"type": "announcement"})  # neither sound nor box
    with pytest.raises(ValueError):
        fallback.FallbackSettings(destination={"type": "external", "number": "12"})


def test_fallback_refuses_lines_the_preprocessor_would_change(monkeypatch):
    entry = fallback.TenantFallback(tenant_id=1, domain="acme.pbx.test", numbers=("+31201234567",),
                                    company_number=None, announcement="/audio/$${evil}.wav")
    with pytest.raises(ValueError, match="pre-processor"):
        fallback.render_fallbacks([entry])


def test_fallback_write_is_atomic_and_reports_changes(db, tmp_path):
    target = tmp_path / "sub" / "fallback.xml"
    with db() as session:
        acme = _tenant(session, "acme.pbx.test", ["+31201234567"])
        chosen = {acme.id: _setting(type="external", number="+31612345678")}
        assert fallback.write(target, session, str(tmp_path), chosen) is True
        first = target.read_text()
        assert fallback.write(target, session, str(tmp_path), chosen) is False  # unchanged: no reload needed
        assert fallback.write(target, session, str(tmp_path), {}) is True
    assert "fallback_t" in first and "fallback_t" not in target.read_text()
    assert [p.name for p in target.parent.iterdir()] == ["fallback.xml"]  # no temporary file left behind
    assert target.stat().st_mode & 0o777 == 0o644


# == on a real FreeSWITCH ============================================================================


class AppServer:
    """The app under uvicorn in a thread of this process (so stopping it is instant and its clock is
    the test's)."""

    def __init__(self, app, port: int):
        self.app, self.port = app, port
        self.server = self.thread = None

    def start(self) -> None:
        import uvicorn

        if self.thread and self.thread.is_alive():
            return
        self.server = uvicorn.Server(uvicorn.Config(self.app, host=HOST, port=self.port, log_level="warning",
                                                   lifespan="off", access_log=False))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.thread and self.thread.is_alive():
            self.server.should_exit = True
            self.thread.join(15)
            assert not self.thread.is_alive(), "uvicorn did not stop"


def listening_addresses(port: int, table: str) -> set[str]:
    """Local IPv4 addresses a socket on `port` is bound to, from /proc/net/<table> (tcp: listening only)."""
    found = set()
    for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, local_port = local.split(":")
        if int(local_port, 16) == port and (table != "tcp" or state == "0A"):
            found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return found


def prompts(folder: Path, voice: str = "en/us/callie") -> Path:
    """Stand-ins for FreeSWITCH's prompts (its sound package is not installed here): a tenth of a second
    of silence for every file mod_voicemail's and mod_directory's phrases name, the digits and the letters
    names are spelled with. Without them mod_voicemail gives up at its first prompt."""
    prefix = folder / voice
    names = {f"digits/{digit}.wav" for digit in range(10)} | {f"ascii/{code}.wav" for code in range(48, 91)}
    for phrases in (Path(FS_LANG_DIR) / "en" / "vm" / "sounds.xml", Path(FS_LANG_DIR) / "en" / "dir" / "sounds.xml"):
        names |= set(re.findall(r"[\w/.-]+\.wav", phrases.read_text())) if phrases.exists() else set()
    for name in names:
        path = prefix / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with wave.open(str(path), "wb") as output:
            output.setnchannels(1)
            output.setsampwidth(2)
            output.setframerate(8000)
            output.writeframes(b"\x00\x00" * 800)
    return prefix


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return tmp_path_factory.mktemp("fsconfig")


@pytest.fixture(scope="module")
def demo(work):
    """The demo company on a migrated SQLite, the app for it, its settings, with xml_curl credentials."""
    from tests.conftest import fast_settings
    from web.app import create_app
    from web.demo import ensure_demo
    from web.migrate import upgrade

    if MISSING:
        pytest.skip(f"needs FreeSWITCH and SIPp on PATH (missing: {MISSING})")
    url = f"sqlite:///{work / 'app.sqlite3'}"
    upgrade(url)
    settings = fast_settings(url, audio_dir=str(work / "audio"), xml_curl_user="freeswitch",
                             xml_curl_password=secrets.token_hex(16), public_base_url="http://127.0.0.1",
                             xml_curl_timeout_s=XML_CURL_TIMEOUT)
    app = create_app(settings)
    ensure_demo(app)
    yield SimpleNamespace(app=app, settings=settings, engine=app.state.engine)
    app.state.engine.dispose()


@pytest.fixture(scope="module")
def server(demo):
    app_server = AppServer(demo.app, harness.free_ports())
    app_server.start()
    yield app_server
    app_server.stop()


@pytest.fixture(scope="module")
def far_end(work):
    """What the gateway "default" leads to: a SIPp UAS that answers and hangs up after a second."""
    phone = harness.Phone(work, "uas_answer")
    yield phone
    phone.stop()


@pytest.fixture(scope="module")
def fs(work, demo, server, far_end):
    gateways = work / "gateways"
    gateways.mkdir()
    (gateways / "default.xml").write_text(
        '<include>\n<gateway name="default">\n'
        f'<param name="proxy" value="{HOST}:{far_end.port}"/>\n'
        '<param name="register" value="false"/>\n<param name="caller-id-in-from" value="true"/>\n'
        '</gateway>\n</include>\n')
    env = {
        "CALLPLAN_APP_URL": f"http://{HOST}:{server.port}",
        "CALLPLAN_XML_CURL_USER": demo.settings.xml_curl_user,
        "CALLPLAN_XML_CURL_PASSWORD": demo.settings.xml_curl_password,
        "CALLPLAN_XML_CURL_TIMEOUT": str(XML_CURL_TIMEOUT),
        "CALLPLAN_FS_LOG_LEVEL": "debug",  # tests read the log's debug lines (files played, conditions)
        "CALLPLAN_ESL_PORT": str(harness.free_ports()),
        "CALLPLAN_ESL_PASSWORD": secrets.token_hex(16),
        "CALLPLAN_INTERNAL_SIP_PORT": str(harness.free_ports()),
        "CALLPLAN_EXTERNAL_SIP_PORT": str(harness.free_ports()),
        "CALLPLAN_FALLBACK_DIALPLAN": str(work / "fallback" / "fallback_dialplan.xml"),
        "CALLPLAN_GATEWAYS_DIR": str(gateways),
        "CALLPLAN_VOICEMAIL_DIR": str(work / "voicemail"),
        "CALLPLAN_CDR_SPOOL_DIR": str(work / "cdr-spool"),
        "CALLPLAN_RECORDINGS_DIR": str(work / "recordings"),
        "CALLPLAN_CDR_RETRIES": "1",
        "CALLPLAN_CDR_DELAY": "1",
        "CALLPLAN_FS_LANG_DIR": FS_LANG_DIR,
        "CALLPLAN_SOUND_PREFIX": str(prompts(work / "sounds")),
        # Dutch prompts of their own, so a test can tell which language FreeSWITCH speaks
        "CALLPLAN_SOUND_PREFIX_NL": str(prompts(work / "sounds", voice="nl/nl/stand-in")),
    }
    switch = ProjectFreeSwitch(work / "fs", env)
    switch.start()
    yield switch
    switch.stop()


def fs_env(fs: ProjectFreeSwitch, name: str) -> str:
    return fs.settings[name]


# -- SIPp ---------------------------------------------------------------------------------------------


def carrier_call(work: Path, fs: ProjectFreeSwitch, caller: str, number: str = MAIN_NUMBER) -> harness.UacResult:
    """A call from outside: a SIPp UAC to the external profile (context "public")."""
    return harness.call(work, SimpleNamespace(sip_port=int(fs_env(fs, "CALLPLAN_EXTERNAL_SIP_PORT"))), number, caller,
                        timeout=40)


SPEAKER = """<?xml version="1.0" encoding="UTF-8"?>
<!-- A caller who talks once answered (a tone, looped) and hangs up after {seconds} s, as someone
     leaving a message does. -->
<scenario name="speaker">
  <send retrans="500"><![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "Caller" <sip:{caller}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:{caller}@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=caller 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0 101
      a=rtpmap:0 PCMU/8000
      a=rtpmap:101 telephone-event/8000
      a=ptime:20
  ]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rrs="true"><action><exec rtp_stream="tone.ulaw,-1,0"/></action></recv>
  <send><![CDATA[
      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "Caller" <sip:{caller}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Contact: <sip:{caller}@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0

  ]]></send>
  <pause milliseconds="{milliseconds}"/>
  <send retrans="500"><![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "Caller" <sip:{caller}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Contact: <sip:{caller}@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0

  ]]></send>
  <recv response="200"/>
</scenario>
"""


def ulaw_tone(seconds: float, frequency: int = 440) -> bytes:
    """A sine tone as G.711 u-law (loud enough that mod_voicemail does not take it for silence)."""
    import math

    def ulaw(sample: int) -> int:
        sign = 0x80 if sample < 0 else 0
        magnitude = min(abs(sample), 32635) + 0x84
        exponent = max(0, magnitude.bit_length() - 8)
        mantissa = (magnitude >> (exponent + 3)) & 0x0F
        return ~(sign | (exponent << 4) | mantissa) & 0xFF

    return bytes(ulaw(int(12000 * math.sin(2 * math.pi * frequency * n / 8000))) for n in range(int(8000 * seconds)))


def speaking_call(work: Path, fs: ProjectFreeSwitch, caller: str, seconds: int, number: str = MAIN_NUMBER) -> list[int]:
    """A call from outside whose caller talks for `seconds` after the answer and hangs up; the status
    codes of the responses to its INVITE."""
    folder = work / f"speaker-{caller}"
    folder.mkdir()
    (folder / "tone.ulaw").write_bytes(ulaw_tone(1.0))
    scenario = folder / "speaker.xml"
    scenario.write_text(SPEAKER.format(caller=caller, seconds=seconds, milliseconds=seconds * 1000))
    messages = folder / "messages.log"
    command = [SIPP, "-sf", str(scenario), "-i", HOST, "-bind_local", "-p", str(harness.free_ports()),
               "-mi", HOST, "-mp", str(harness.free_ports(4)), "-ci", HOST, "-cp", str(harness.free_ports()),
               "-nostdin", "-m", "1", "-s", number, "-timeout", f"{seconds + 30}s", "-timeout_error",
               "-trace_msg", "-message_file", str(messages), f"{HOST}:{fs_env(fs, 'CALLPLAN_EXTERNAL_SIP_PORT')}"]
    subprocess.run(command, cwd=folder, stdin=subprocess.DEVNULL, capture_output=True, timeout=seconds + 40,
                   preexec_fn=harness.die_with_parent)
    log = messages.read_text(errors="replace") if messages.exists() else ""
    return harness.UacResult(0, log, "").responses()


def demo_device(demo):
    from web.models.device import Device
    from web.secretbox import open_sealed

    from web.db import session_scope

    with session_scope(demo.engine) as db:
        device = db.exec(select(Device).order_by(Device.id)).first()
        tenant = db.get(Tenant, device.tenant_id)
        return device.sip_username, tenant.sip_domain, open_sealed(demo.settings.secret_key, device.sip_password_sealed)


def set_fallback(demo, fs: ProjectFreeSwitch, setting: fallback.FallbackSettings) -> str:
    """Store the demo company's fallback (in company_settings.fallback once that column exists), write
    the file where FreeSWITCH reads it, reload FreeSWITCH's XML."""
    from web.db import session_scope

    with session_scope(demo.engine) as db:
        tenant = db.exec(select(Tenant)).first()
        if "fallback" in CompanySettings.model_fields:
            row = db.exec(select(CompanySettings).where(CompanySettings.tenant_id == tenant.id)).one()
            row.fallback = setting.model_dump(mode="json")
            db.add(row)
            db.flush()
            chosen = None
        else:
            chosen = {tenant.id: setting}
        fallback.write(fs_env(fs, "CALLPLAN_FALLBACK_DIALPLAN"), db, demo.settings.audio_dir, chosen)
    reply = fs.api("reloadxml")
    assert reply.startswith("+OK"), reply
    return Path(fs_env(fs, "CALLPLAN_FALLBACK_DIALPLAN")).read_text()


def saturday_morning() -> datetime:
    """The next Saturday 10:00 in Amsterdam: the office is closed and it is not lunch (demo schedules),
    so the demo plan runs without waiting in a queue."""
    zone = ZoneInfo("Europe/Amsterdam")
    day = datetime.now(zone) + timedelta(days=1)
    while day.weekday() != 5:
        day += timedelta(days=1)
    return day.replace(hour=10, minute=0, second=0, microsecond=0)


def expected_marks(demo, at: datetime) -> list[str]:
    """The simulator's path through the demo's published plan on its main number at `at`."""
    from callplan.simulator import simulate_plan
    from web.domain.callplan_snapshot import published_documents, snapshot, with_diversions
    from web.db import session_scope
    from web.models.call_plan import CallPlanRecord

    with session_scope(demo.engine) as db:
        tenant = db.exec(select(Tenant)).first()
        objects = snapshot(db, tenant.id, demo.settings)
        for plan_id, version in published_documents(db, tenant.id).items():
            record = db.get(CallPlanRecord, plan_id)
            plan = with_diversions(version.document, record.active_diversions)
            if MAIN_NUMBER in plan.numbers:
                simulated = simulate_plan(plan, objects, at, plan_id=plan_id, caller_name="Alice")
                return [f"{plan_id}:{version.version}:{step}" for step in simulated.steps]
    raise AssertionError("the demo has no published plan on its main number")


# -- the tests ------------------------------------------------------------------------------------------


@needs_freeswitch
def test_freeswitch_starts_on_the_project_configuration(fs):
    modules = [element.get("module") for element in
               ET.parse(CONFIG / "autoload_configs/modules.conf.xml").getroot().iter("load")]
    for module in modules:
        assert fs.api(f"module_exists {module}").strip() == "true", f"{module} not loaded\n{fs.log_tail()}"
    status = fs.api("sofia status")
    for profile, port in (("internal", "CALLPLAN_INTERNAL_SIP_PORT"), ("external", "CALLPLAN_EXTERNAL_SIP_PORT")):
        address = rf"sip:mod_sofia@127\.0\.0\.1:{fs_env(fs, port)}"
        assert re.search(rf"^\s*{profile}\s+profile\s+{address}\s+RUNNING", status, re.M), status
        assert listening_addresses(int(fs_env(fs, port)), "udp") == {"127.0.0.1"}
    assert listening_addresses(fs.esl_port, "tcp") == {"127.0.0.1"}
    # the event socket takes the password from the environment, and no other
    with pytest.raises(RuntimeError, match="auth refused"):
        harness.EventSocket(fs.esl_port, password="ClueCon")
    with pytest.raises(RuntimeError, match="auth refused"):
        harness.EventSocket(fs.esl_port, password=fs.password + "x")
    assert fs.api("global_getvar callplan_xml_curl_timeout").strip() == str(XML_CURL_TIMEOUT)
    # the configuration fetched through xml_curl (callcenter.conf) did not break the start
    assert "[CRIT]" not in fs.log_text()


@needs_freeswitch
def test_demo_phone_registers_with_its_password_only(work, demo, server, fs):
    server.start()
    user, domain, password = demo_device(demo)
    assert register(work, fs, user, domain, password + "x") in ([403], [401]), fs.log_tail(60)
    assert f"{user}@{domain}" not in fs.api("show registrations")
    assert register(work, fs, user, domain, password) == [200], fs.log_tail(60)
    # sofia writes registrations through its SQL queue: poll for it
    deadline = time.monotonic() + 10
    while f"{user}@{domain}" not in (registrations := fs.api("sofia status profile internal reg")):
        assert time.monotonic() < deadline, f"{registrations}\n{fs.log_tail(80)}"
        time.sleep(0.2)
    # an account of another tenant's domain, or none at all, is refused as well
    assert register(work, fs, user, "other.pbx.localhost", password) in ([403], [401])


@needs_freeswitch
def test_carrier_call_follows_the_published_demo_plan(work, demo, server, fs):
    server.start()
    at = saturday_morning()
    clock.advance((at - datetime.now(timezone.utc)).total_seconds())
    marks = expected_marks(demo, clock.now().astimezone(at.tzinfo))
    assert marks[0].endswith(":s1")  # the time condition, whichever way it goes
    uac = carrier_call(work, fs, "0612000001")
    call = fs.calls.wait_hangup("0612000001", 40)
    assert call is not None, f"{uac.output}\n{fs.log_tail(200)}"
    assert call.marks == marks, fs.call_log(call)
    assert call.hangup.get("variable_cp_fallback") is None  # the app routed it


@needs_freeswitch
def test_app_down_fallback_to_an_external_number(work, demo, server, fs, far_end):
    setting = fallback.FallbackSettings(destination={"type": "external", "number": FALLBACK_NUMBER})
    text = set_fallback(demo, fs, setting)
    assert "fallback_t" in text
    server.stop()
    uac = carrier_call(work, fs, "0612000002")
    call = fs.calls.wait_hangup("0612000002", 40)
    assert call is not None, f"{uac.output}\n{fs.log_tail(200)}"
    log = fs.call_log(call)
    assert "Couldn't connect to server" in fs.log_text()  # the app really was asked, and was down
    assert call.marks == [], log  # no plan ran: the static dialplan did
    assert call.hangup.get("variable_cp_fallback") == "true", log
    bridges = [data for application, data in call.applications if application == "bridge"]
    assert bridges and bridges[0].endswith(f"sofia/gateway/default/{FALLBACK_NUMBER}"), log
    # the far end behind the gateway got the call, showing the company number, and answered it
    invites = [text for direction, text in harness.sip_messages(far_end.received())
               if direction == "received" and text.startswith(f"INVITE sip:{FALLBACK_NUMBER}@")]
    assert invites, far_end.received()[-3000:]
    assert re.search(r"^From:.*<sip:\+31201234567@", invites[-1], re.M | re.I), invites[-1]
    assert 200 in uac.responses() and uac.received_bye(), uac.messages[-3000:]
    # its CDR could not be posted (the app is down): it waits in the spool folder
    spool = Path(fs_env(fs, "CALLPLAN_CDR_SPOOL_DIR"))
    deadline = time.monotonic() + 15
    while not (spool / f"a_{call.uuid}.cdr.xml").exists():
        assert time.monotonic() < deadline, f"no spooled CDR in {spool}: {list(spool.glob('*'))}"
        time.sleep(0.2)
    # spooled as it is posted (the record's XML, encode=textxml), so it can be re-posted as is
    record = ET.fromstring((spool / f"a_{call.uuid}.cdr.xml").read_bytes())
    assert record.findtext("variables/cp_fallback") == "true"


@needs_freeswitch
@pytest.mark.skipif(not Path(FS_LANG_DIR).exists(), reason=f"mod_voicemail needs FreeSWITCH's phrases ({FS_LANG_DIR})")
def test_app_hanging_fallback_to_announcement_and_voicemail(work, demo, server, fs):
    from web.db import session_scope

    server.stop()
    with session_scope(demo.engine) as db:
        tenant = db.exec(select(Tenant)).first()
        box = db.exec(select(VoicemailBox).where(VoicemailBox.extension == "999")).one()
        audio = AudioFile(tenant_id=tenant.id, name="We are closed", original_filename="closed.wav", duration_ms=500,
                          sample_rate_original=16000, channels_original=1, size_bytes=16044)
        db.add(audio)
        db.flush()
        audio_id, box_id, domain = audio.id, box.id, tenant.sip_domain
    sound = Path(demo.settings.audio_dir) / str(tenant.id) / "16000" / f"{audio_id}.wav"
    sound.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(sound), "wb") as output:
        output.setnchannels(1)
        output.setsampwidth(2)
        output.setframerate(16000)
        output.writeframes(b"\x00\x10" * 8000)  # half a second
    set_fallback(demo, fs, fallback.FallbackSettings(destination={
        "type": "announcement", "audio_id": audio_id, "voicemail_box_id": box_id}))

    # The app's port accepts connections and never answers: only the binding's timeout ends the wait.
    hung = socket.socket()
    hung.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    hung.bind((HOST, server.port))
    hung.listen(64)
    try:
        responses = speaking_call(work, fs, "0612000003", seconds=10)
    finally:
        hung.close()  # refused from now on: the CDR goes to the spool without waiting out its timeout
    call = fs.calls.wait_hangup("0612000003", 30)
    assert call is not None, fs.log_tail(200)
    log = fs.call_log(call)
    assert "Timeout was reached" in log, log  # the dialplan fetch: the binding's timeout, then the fallback
    assert 200 in responses, log
    assert call.hangup.get("variable_cp_fallback") == "true", log
    assert ("set", f"voicemail_greeting_path={sound}") in call.applications, log
    assert ("voicemail", f"default {domain} 999") in call.applications, log
    # mod_voicemail found the box in the static directory (the app's directory hung too), played the
    # announcement as its greeting and kept the message
    assert f"Can't find user [999@{domain}]" not in log, log
    assert f"done playing file {sound}" in log, log
    messages = list((Path(fs_env(fs, "CALLPLAN_VOICEMAIL_DIR")) / domain / "999").glob("msg_*.wav"))
    assert len(messages) == 1, log
    with wave.open(str(messages[0])) as message:
        assert message.getnframes() / message.getframerate() >= 3  # min-record-len: shorter is discarded
    # The box is in the static directory only to take messages: nobody registers as it, whatever the
    # password. (Phones still register for a while: FreeSWITCH caches the app's directory answers.)
    assert register(work, fs, "999", domain, "guess") in ([403], [401]), fs.log_tail(40)


PHONE_CALL = """<?xml version="1.0" encoding="UTF-8"?>
<!-- A registered phone's call out: INVITE, digest auth on the 407, and whatever the far end does. -->
<scenario name="phone_call">
  <send retrans="500"><![CDATA[
      INVITE sip:[service]@{domain} SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:{user}@{domain}>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@{domain}>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:{user}@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=phone 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000
  ]]></send>
  <recv response="100" optional="true"/>
  <recv response="407" auth="true"/>
  <send><![CDATA[
      ACK sip:[service]@{domain} SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:{user}@{domain}>;tag=[pid]SIPpTag00[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

  ]]></send>
  <send retrans="500"><![CDATA[
      INVITE sip:[service]@{domain} SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:{user}@{domain}>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@{domain}>
      Call-ID: [call_id]
      CSeq: 2 INVITE
      Contact: <sip:{user}@[local_ip]:[local_port]>
      [authentication username={user} password={password}]
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=phone 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000
  ]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rrs="true"/>
  <send><![CDATA[
      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:{user}@{domain}>;tag=[pid]SIPpTag00[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 2 ACK
      Max-Forwards: 70
      Content-Length: 0

  ]]></send>
  <recv request="BYE"/>
  <send><![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

  ]]></send>
</scenario>
"""


def phone_call(work: Path, fs: ProjectFreeSwitch, user: str, domain: str, password: str, number: str) -> str:
    """A call out from the demo phone `user` (digest auth as a phone does); the SIP messages it saw."""
    folder = work / f"call-{user}-{secrets.token_hex(3)}"
    folder.mkdir()
    scenario = folder / "phone_call.xml"
    scenario.write_text(PHONE_CALL.format(user=user, domain=domain, password=password))
    messages = folder / "messages.log"
    command = [SIPP, "-sf", str(scenario), "-i", HOST, "-bind_local", "-p", str(harness.free_ports()),
               "-mi", HOST, "-mp", str(harness.free_ports(4)), "-nostdin", "-m", "1", "-s", number,
               "-timeout", "30s", "-timeout_error", "-trace_msg", "-message_file", str(messages),
               f"{HOST}:{fs_env(fs, 'CALLPLAN_INTERNAL_SIP_PORT')}"]
    subprocess.run(command, cwd=folder, stdin=subprocess.DEVNULL, capture_output=True, timeout=40,
                   preexec_fn=harness.die_with_parent)
    return messages.read_text(errors="replace") if messages.exists() else ""


@needs_freeswitch
def test_a_phone_calling_out_shows_only_a_number_the_company_holds(work, demo, server, fs, far_end):
    """Old rows naming another company's number as caller ID reach FreeSWITCH as the company number, or as
    anonymous when the company number itself is not the company's: never as the other's number."""
    from web.db import session_scope
    from web.models.company import Department
    from web.models.device import Device
    from web.models.pbx_user import PbxUser
    from web.secretbox import open_sealed

    server.start()
    theirs = "+31209999999"
    with session_scope(demo.engine) as db:
        other = Tenant(name="Other", sip_domain="other.pbx.localhost")
        db.add(other)
        db.flush()
        db.add(PhoneNumber(tenant_id=other.id, number=theirs))
        sales = db.exec(select(Department).where(Department.name == "Sales")).one()
        device, user = db.exec(select(Device, PbxUser).join(PbxUser, PbxUser.id == Device.user_id)
                               .where(PbxUser.department_id == sales.id)).first()
        assert user.caller_id_mode == "department"
        sales.caller_id_number = theirs  # a row from before numbers were assigned
        tenant = db.get(Tenant, device.tenant_id)
        phone = (device.sip_username, tenant.sip_domain, open_sealed(demo.settings.secret_key, device.sip_password_sealed))
    fs.api("xml_flush_cache")

    def shown(number: str) -> str:
        messages = phone_call(work, fs, *phone, number)
        invites = [text for direction, text in harness.sip_messages(far_end.received())
                   if direction == "received" and text.startswith(f"INVITE sip:{number}@")]
        assert invites, f"{messages[-3000:]}\n{fs.log_tail(120)}"
        return re.search(r"^From:.*<sip:([^@>]+)@", invites[-1], re.M | re.I).group(1)

    try:
        assert shown("0612000011") == "+31201234567"  # the company number instead of the department's row
        with session_scope(demo.engine) as db:
            db.get(Tenant, tenant.id).company_number = theirs
        fs.api("xml_flush_cache")
        assert shown("0612000012") == "anonymous"  # withheld, rather than refusing every call out
    finally:  # the demo company as the other tests of this module know it
        with session_scope(demo.engine) as db:
            db.get(Tenant, tenant.id).company_number = MAIN_NUMBER
            db.get(Department, sales.id).caller_id_number = "+31201234568"
        fs.api("xml_flush_cache")
