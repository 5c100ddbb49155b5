"""Settings, read once from the environment.

Every process (web app, bridge, migrations, tests) builds one `Settings` from `os.environ` and passes it
down; nothing else reads the environment, so a test can run an app with settings of its own.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = REPO_ROOT / "var"
LOOPBACK = ("127.0.0.0/8", "::1")


def _int(env: dict, name: str, default: int) -> int:
    value = env.get(name)
    return int(value) if value not in (None, "") else default


def _bool(env: dict, name: str, default: bool) -> bool:
    value = env.get(name)
    if value in (None, ""):
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _list(env: dict, name: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in env.get(name, "").split(",") if part.strip())


SWITCH_PASSWORDS = "CALLPLAN_SWITCH_PASSWORDS"


def _switch_passwords(env: dict) -> tuple[tuple[str, str], ...]:
    """CALLPLAN_SWITCH_PASSWORDS="fs1=secret1,fs2=secret2": each switch's event-socket password by its name
    (its bridge's CALLPLAN_SWITCH_NAME), for switches that do not take CALLPLAN_ESL_PASSWORD. Read at start:
    a malformed value stops the process with an error naming the variable, never a switch silently asked
    with the wrong password. A password holds no comma, space or line break (the event socket's `auth`
    line ends at the first line break; a comma separates the entries)."""
    text = env.get(SWITCH_PASSWORDS, "").strip()
    if not text:
        return ()
    found: dict[str, str] = {}
    for number, entry in enumerate(text.split(","), start=1):
        name, equals, password = entry.strip().partition("=")
        name = name.strip()
        if not equals or not name or not password:
            raise ValueError(f"{SWITCH_PASSWORDS}: entry {number} ({name or 'empty'}) is not name=password; "
                             "expected e.g. fs1=secret1,fs2=secret2")
        if len(name) > 100 or any(c.isspace() for c in name):
            raise ValueError(f"{SWITCH_PASSWORDS}: entry {number}: a switch name is at most 100 characters "
                             "without spaces (its bridge's CALLPLAN_SWITCH_NAME)")
        if any(c.isspace() for c in password):
            raise ValueError(f"{SWITCH_PASSWORDS}: the password of {name} holds a space or line break")
        if name in found:
            raise ValueError(f"{SWITCH_PASSWORDS}: {name} is named twice")
        found[name] = password
    return tuple(found.items())


def _secret_key(env: dict) -> str:
    """The secret key signs nothing a stranger can forge without it; keep one stable per install.

    Without CALLPLAN_SECRET_KEY a random key is kept in var/secret_key so restarts keep it.
    """
    if env.get("CALLPLAN_SECRET_KEY"):
        return env["CALLPLAN_SECRET_KEY"]
    path = VAR_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    public_base_url: str = "http://127.0.0.1:8000"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    mail_from: str = "PBX <noreply@localhost>"
    xml_curl_user: str = "freeswitch"
    xml_curl_password: str = ""
    # where FreeSWITCH's fetches and CDR posts may come from (addresses or networks); loopback by default
    xml_curl_allowed_addresses: tuple[str, ...] = LOOPBACK
    # FreeSWITCH's mod_xml_curl timeout (the same CALLPLAN_XML_CURL_TIMEOUT, freeswitch/vars.xml): a fetch
    # answered later than this went to the fallback routing; the endpoint warns when one comes near it.
    # 6, not less: a switch past its CPU delays its own calls by seconds (bench/switch_load.py), and a
    # fetch waiting in that queue must not turn the delay into a refused call (freeswitch/README.md)
    xml_curl_timeout_s: int = 6
    # how many MB (about) of dialplans and directories each web process keeps; past it the companies asked
    # about least recently are let go and built again at their next fetch (web.xml_curl.cache.Budget); 0: no limit
    xml_cache_mb: int = 1024
    esl_host: str = "127.0.0.1"
    esl_port: int = 8021
    esl_password: str = ""  # never FreeSWITCH's well-known default
    # (switch name, password) of switches with an event-socket password of their own
    # (CALLPLAN_SWITCH_PASSWORDS; the others take esl_password): web/domain/switches.py password
    switch_passwords: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    # FreeSWITCH's codecs (freeswitch/vars.xml reads the same variable): what a call the app originates
    # through a loopback leg offers the carrier (web/domain/phone_codes.py)
    codecs: str = "OPUS,PCMA,PCMU"
    trusted_proxies: tuple[str, ...] = ()
    # the bridge's loopback feed of live changes (fs_bridge/live_feed.py), read by the web app
    bridge_feed_host: str = "127.0.0.1"
    bridge_feed_port: int = 8025
    # which FreeSWITCH this bridge follows (one bridge per switch); empty: its event socket's host:port
    switch_name: str = ""
    # the switch (a bridge's CALLPLAN_SWITCH_NAME) holding what lives in one switch's memory: conference
    # rooms, parking lots, queues, mod_voicemail's boxes; the other switches hand such calls to it over SIP
    # (web/domain/switches.py, web/xml_curl/dialplan.py); empty: the first live switch, no hand-over
    home_switch: str = ""
    # the home switch's external SIP profile as the other switches reach it ("host:port"): where they hand
    # such calls; empty: no hand-over (one switch, or services not shared)
    home_switch_sip: str = ""
    # where a web process hears of live changes: "feed" (the one bridge's loopback feed above), "notify"
    # (PostgreSQL LISTEN/NOTIFY: every bridge on the database), "auto": notify on PostgreSQL, else feed
    live_source: str = "auto"
    # voicemail messages as FreeSWITCH stores them (a folder shared with the bridge, which mails them)
    voicemail_dir: str = str(VAR_DIR / "voicemail")
    # where mod_xml_cdr leaves records it could not post; the app collects and stores them
    cdr_spool_dir: str = str(VAR_DIR / "cdr-spool")
    # faxes as FreeSWITCH's mod_spandsp reads and writes them (TIFF) and their PDFs: one folder shared by the
    # app (which writes the TIFFs it sends), the bridge (which mails received ones) and FreeSWITCH
    fax_dir: str = str(VAR_DIR / "fax")
    # call recordings as FreeSWITCH writes them (record_session): <dir>/<tenant>/<leg uuid>_<why>.wav, shared
    # with the bridge (which stores them as recording rows) and the web app (which plays them)
    recordings_dir: str = str(VAR_DIR / "recordings")
    # SIP brute force: this many failed registrations from one address within the window blocks it
    brute_force_failures: int = 10
    brute_force_window_s: int = 60
    brute_force_block_s: int = 3600  # 0: until an admin lifts it
    webhook_timeout_s: float = 5.0
    # webhooks may post to loopback and private addresses (an on-premises installation's own network)
    webhook_allow_private: bool = False
    # tenants' audio as FreeSWITCH plays it: <audio_dir>/<tenant>/<8000|16000>/<id>.wav
    audio_dir: str = str(VAR_DIR / "audio")
    # the static dialplan FreeSWITCH falls back to when the app does not answer (web/domain/fallback.py writes it)
    fallback_dialplan: str = str(VAR_DIR / "fallback_dialplan.xml")
    # where phones send SIP (provisioning files); empty: the host of public_base_url
    sip_server: str = ""
    # the port phones register at: FreeSWITCH's internal profile (freeswitch/vars.xml reads the same variable)
    sip_port: int = 5060
    # the SIP edge (kamailio/) in front of several switches, as they reach it ("host:port" of its phone
    # side): a call to a phone goes through it from any switch, not only the one the phone registered on
    sip_edge: str = ""
    # argon2id cost; the defaults are argon2-cffi's (RFC 9106 low-memory profile).
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    argon2_parallelism: int = 4

    @property
    def switch(self) -> str:
        """The name live rows and messages carry for this bridge's FreeSWITCH."""
        return (self.switch_name or f"{self.esl_host}:{self.esl_port}")[:100]

    @property
    def live_notify(self) -> bool:
        """Live changes go through PostgreSQL's LISTEN/NOTIFY (web/live_notify.py) rather than the feed."""
        if self.live_source in ("notify", "feed"):
            return self.live_source == "notify"
        return self.database_url.startswith("postgresql")

    @property
    def secure_cookies(self) -> bool:
        return self.public_base_url.startswith("https://")

    @classmethod
    def from_env(cls, env: dict | None = None) -> "Settings":
        env = dict(os.environ if env is None else env)
        default_db = f"sqlite:///{VAR_DIR / 'callplan.sqlite3'}"
        return cls(
            database_url=env.get("CALLPLAN_DATABASE_URL") or default_db,
            secret_key=_secret_key(env),
            public_base_url=(env.get("CALLPLAN_PUBLIC_BASE_URL") or "http://127.0.0.1:8000").rstrip("/"),
            smtp_host=env.get("CALLPLAN_SMTP_HOST", "127.0.0.1"),
            smtp_port=_int(env, "CALLPLAN_SMTP_PORT", 25),
            smtp_user=env.get("CALLPLAN_SMTP_USER", ""),
            smtp_password=env.get("CALLPLAN_SMTP_PASSWORD", ""),
            smtp_starttls=_bool(env, "CALLPLAN_SMTP_STARTTLS", False),
            mail_from=env.get("CALLPLAN_MAIL_FROM", "PBX <noreply@localhost>"),
            xml_curl_user=env.get("CALLPLAN_XML_CURL_USER", "freeswitch"),
            xml_curl_password=env.get("CALLPLAN_XML_CURL_PASSWORD", ""),
            xml_curl_allowed_addresses=_list(env, "CALLPLAN_XML_CURL_ALLOWED_ADDRESSES") or LOOPBACK,
            xml_curl_timeout_s=_int(env, "CALLPLAN_XML_CURL_TIMEOUT", 6),
            xml_cache_mb=_int(env, "CALLPLAN_XML_CACHE_MB", 1024),
            esl_host=env.get("CALLPLAN_ESL_HOST", "127.0.0.1"),
            esl_port=_int(env, "CALLPLAN_ESL_PORT", 8021),
            esl_password=env.get("CALLPLAN_ESL_PASSWORD", ""),
            switch_passwords=_switch_passwords(env),
            codecs=env.get("CALLPLAN_CODECS", "OPUS,PCMA,PCMU"),
            trusted_proxies=_list(env, "CALLPLAN_TRUSTED_PROXIES"),
            bridge_feed_host=env.get("CALLPLAN_BRIDGE_FEED_HOST", "127.0.0.1"),
            bridge_feed_port=_int(env, "CALLPLAN_BRIDGE_FEED_PORT", 8025),
            switch_name=env.get("CALLPLAN_SWITCH_NAME", "").strip(),
            home_switch=env.get("CALLPLAN_HOME_SWITCH", "").strip()[:100],
            home_switch_sip=env.get("CALLPLAN_HOME_SWITCH_SIP", "").strip()[:100],
            live_source=env.get("CALLPLAN_LIVE_SOURCE", "auto").strip().lower() or "auto",
            voicemail_dir=env.get("CALLPLAN_VOICEMAIL_DIR") or str(VAR_DIR / "voicemail"),
            cdr_spool_dir=env.get("CALLPLAN_CDR_SPOOL_DIR") or str(VAR_DIR / "cdr-spool"),
            fax_dir=env.get("CALLPLAN_FAX_DIR") or str(VAR_DIR / "fax"),
            recordings_dir=env.get("CALLPLAN_RECORDINGS_DIR") or str(VAR_DIR / "recordings"),
            brute_force_failures=_int(env, "CALLPLAN_BRUTE_FORCE_FAILURES", 10),
            brute_force_window_s=_int(env, "CALLPLAN_BRUTE_FORCE_WINDOW", 60),
            brute_force_block_s=_int(env, "CALLPLAN_BRUTE_FORCE_BLOCK", 3600),
            webhook_allow_private=_bool(env, "CALLPLAN_WEBHOOK_ALLOW_PRIVATE", False),
            audio_dir=env.get("CALLPLAN_AUDIO_DIR") or str(VAR_DIR / "audio"),
            sip_server=env.get("CALLPLAN_SIP_SERVER", ""),
            sip_port=_int(env, "CALLPLAN_INTERNAL_SIP_PORT", 5060),
            sip_edge=env.get("CALLPLAN_SIP_EDGE", "").strip(),
            fallback_dialplan=env.get("CALLPLAN_FALLBACK_DIALPLAN") or str(VAR_DIR / "fallback_dialplan.xml"),
            argon2_time_cost=_int(env, "CALLPLAN_ARGON2_TIME_COST", 3),
            argon2_memory_kib=_int(env, "CALLPLAN_ARGON2_MEMORY_KIB", 65536),
            argon2_parallelism=_int(env, "CALLPLAN_ARGON2_PARALLELISM", 4),
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read from the environment the first time they are asked for."""
    return Settings.from_env()
