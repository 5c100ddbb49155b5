"""compose.yaml, loaded as Docker Compose reads it (no Docker engine runs here): the four services, how
they reach each other, the folders FreeSWITCH shares with the app and the bridge, secrets only from the
env file, a health check on each."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

yaml = pytest.importorskip("yaml", reason="PyYAML reads compose.yaml (test extra)")

REPO = Path(__file__).resolve().parent.parent
COMPOSE = REPO / "compose.yaml"
ENV_EXAMPLE = REPO / ".env.example"
SERVICES = {"postgres", "web", "bridge", "freeswitch"}
APP = ("web", "bridge")  # the app image: web app and ESL bridge
SECRETS = ("CALLPLAN_SECRET_KEY", "CALLPLAN_XML_CURL_PASSWORD", "CALLPLAN_ESL_PASSWORD", "POSTGRES_PASSWORD")
# What a service falls back to when neither compose.yaml nor .env.example sets a variable
# (web/settings.py, freeswitch/vars.xml).
DEFAULTS = {"CALLPLAN_ESL_HOST": "127.0.0.1", "CALLPLAN_ESL_PORT": "8021", "CALLPLAN_APP_URL": "http://127.0.0.1:8000"}


def load(path: Path = COMPOSE) -> dict:
    return yaml.safe_load(path.read_text())  # the safe loader resolves anchors and `<<` merges like Compose


@pytest.fixture(scope="module")
def compose() -> dict:
    return load()


@pytest.fixture(scope="module")
def env_example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#") and "=" in line:
            name, value = line.split("=", 1)
            values[name.strip()] = value.strip()
    return values


def environment(service: dict) -> dict[str, str]:
    value = service.get("environment") or {}
    if isinstance(value, list):
        value = dict(item.split("=", 1) if "=" in item else (item, "") for item in value)
    return {name: str(v) for name, v in value.items()}


def env_files(service: dict) -> list[str]:
    value = service.get("env_file") or []
    items = [value] if isinstance(value, (str, dict)) else value
    return [item if isinstance(item, str) else item["path"] for item in items]


def setting(service: dict, name: str, env_example: dict[str, str]) -> str:
    """A variable as the container sees it: compose's environment, else the env file (as .env.example
    has it), else the program's default."""
    value = environment(service).get(name)
    if value is None and ".env" in env_files(service):
        value = env_example.get(name) or None
    return value if value is not None else DEFAULTS.get(name, "")


def mounts(service: dict) -> dict[str, tuple[str, bool]]:
    """container path -> (source: named volume or host path, read-only)"""
    found = {}
    for entry in service.get("volumes") or []:
        if isinstance(entry, str):
            parts = entry.split(":")
            source, target, mode = parts[0], parts[1], parts[2] if len(parts) > 2 else "rw"
            found[target] = (source, "ro" in mode.split(","))
        else:
            found[entry["target"]] = (entry.get("source", ""), bool(entry.get("read_only")))
    return found


def published(service: dict) -> list[tuple[str, int]]:
    """(host address or "", container port) of every published port."""
    found = []
    for entry in service.get("ports") or []:
        if isinstance(entry, dict):
            found.append((entry.get("host_ip", ""), int(entry["target"])))
            continue
        parts = str(entry).split("/")[0].split(":")
        found.append((parts[0] if len(parts) == 3 else "", int(parts[-1])))
    return found


def host_network(service: dict) -> bool:
    return service.get("network_mode") == "host"


def reaches(compose: dict, client: str, server: str, address: str, port: int) -> bool:
    """Can `client` open address:port of `server`? Host-network services meet on the host's addresses
    (loopback included); compose-network services by service name; a host-network client reaches a
    compose-network server only through a port published on the host."""
    services = compose["services"]
    if host_network(services[server]):
        return host_network(services[client]) and address in ("127.0.0.1", "localhost")
    if host_network(services[client]):
        return address in ("127.0.0.1", "localhost") and port in [target for _, target in published(services[server])]
    return address == server


def test_the_four_services(compose):
    assert SERVICES <= set(compose["services"])


def test_ports(compose):
    services = compose["services"]
    # the web app answers on 8000: published, or directly on the host's network
    assert host_network(services["web"]) or any(target == 8000 for _, target in published(services["web"]))
    assert "--port 8000" in " ".join(services["web"]["command"])
    # SIP and RTP need the host's own addresses (NAT through Docker's proxy breaks RTP)
    assert host_network(services["freeswitch"])
    # the database is never reachable from outside the host
    assert all(address == "127.0.0.1" for address, _ in published(services["postgres"]))
    assert not published(services["bridge"]) or host_network(services["bridge"])


def test_freeswitch_runs_the_repository_configuration(compose):
    freeswitch = compose["services"]["freeswitch"]
    command = freeswitch["command"]
    conf = command[command.index("-conf") + 1]
    assert mounts(freeswitch)[conf] == ("./freeswitch", True)
    assert (REPO / "freeswitch" / "freeswitch.xml").is_file()


def test_freeswitch_and_bridge_share_voicemail_recordings_and_audio(compose):
    services = compose["services"]
    for volume in ("voicemail", "recordings", "audio"):
        assert volume in compose["volumes"]
        where = {name: [target for target, (source, _) in mounts(services[name]).items() if source == volume]
                 for name in ("freeswitch", "bridge", "web")}
        assert where["freeswitch"] and where["freeswitch"] == where["bridge"], (volume, where)
    # FreeSWITCH records voicemail into the shared folder
    freeswitch = services["freeswitch"]
    vm_dir = environment(freeswitch).get("CALLPLAN_VOICEMAIL_DIR", "")
    assert any(vm_dir.startswith(target) for target, (source, _) in mounts(freeswitch).items() if source == "voicemail")


def test_audio_paths_agree(compose, env_example):
    """The dialplan names audio files by the app's CALLPLAN_AUDIO_DIR: FreeSWITCH must see them there."""
    services = compose["services"]
    for name in APP:
        audio_dir = setting(services[name], "CALLPLAN_AUDIO_DIR", env_example)
        assert mounts(services[name]).get(audio_dir, ("",))[0] == "audio", (name, audio_dir)
        assert mounts(services["freeswitch"]).get(audio_dir, ("",))[0] == "audio", (name, audio_dir)


def test_fallback_dialplan_written_by_the_app_read_by_freeswitch(compose, env_example):
    services = compose["services"]
    web_path = setting(services["web"], "CALLPLAN_FALLBACK_DIALPLAN", env_example)
    fs_path = setting(services["freeswitch"], "CALLPLAN_FALLBACK_DIALPLAN", env_example)
    assert web_path and web_path == fs_path
    folder = str(Path(web_path).parent)
    web_mount, fs_mount = mounts(services["web"]).get(folder), mounts(services["freeswitch"]).get(folder)
    assert web_mount and fs_mount and web_mount[0] == fs_mount[0] and not web_mount[1]
    assert web_mount[0] in compose["volumes"]


def test_services_reach_each_other(compose, env_example):
    services = compose["services"]
    # the bridge (and the web app, for its ESL commands) to FreeSWITCH's event socket
    for name in APP:
        host = setting(services[name], "CALLPLAN_ESL_HOST", env_example)
        port = int(setting(services[name], "CALLPLAN_ESL_PORT", env_example))
        assert reaches(compose, name, "freeswitch", host, port), (name, host)
    # FreeSWITCH to the app (mod_xml_curl, CDRs)
    url = urlsplit(setting(services["freeswitch"], "CALLPLAN_APP_URL", env_example))
    assert reaches(compose, "freeswitch", "web", url.hostname, url.port or 80), url.geturl()
    # the app to PostgreSQL
    for name in APP:
        database = urlsplit(setting(services[name], "CALLPLAN_DATABASE_URL", env_example))
        assert reaches(compose, name, "postgres", database.hostname, database.port or 5432), (name, database.hostname)


def test_secrets_come_from_the_env_file(compose, env_example):
    services = compose["services"]
    for name in ("web", "bridge", "freeswitch"):
        assert ".env" in env_files(services[name]), name
    for name, service in services.items():
        for variable, value in environment(service).items():
            if re.search(r"PASSWORD|SECRET|_KEY\b|CRED", variable):
                # a variable, or a variable with another variable as its default (never a literal)
                assert re.fullmatch(r"\$\{[A-Z0-9_]+(:-\$\{[A-Z0-9_]+\})?\}", value), \
                    f"{name}: {variable} is set in compose.yaml"
            # a URL with a password in it: the password is interpolated, never literal
            credentials = urlsplit(value).password if "://" in value else None
            assert credentials is None or re.fullmatch(r"\$\{[A-Z0-9_]+\}", credentials), f"{name}: {variable}"
    for variable in SECRETS:
        assert variable in env_example, f".env.example does not name {variable}"
        assert env_example[variable].startswith("change-me"), f".env.example holds a real-looking {variable}"
    assert ".env" in (REPO / ".gitignore").read_text().split(), "the real .env must not be committed"


def test_every_service_has_a_health_check(compose):
    for name, service in compose["services"].items():
        test = (service.get("healthcheck") or {}).get("test")
        assert test and test != ["NONE"], f"{name} has no health check"


def test_freeswitch_health_check_uses_the_configured_event_socket_password(compose):
    test = compose["services"]["freeswitch"]["healthcheck"]["test"]
    text = " ".join(test) if isinstance(test, list) else test
    # fs_cli without -p tries FreeSWITCH's well-known default password, which freeswitch/ never sets
    assert "fs_cli" in text and re.search(r"-p\s+\S*\$\$?\{?CALLPLAN_ESL_PASSWORD", text), text


# -- past one switch: the profile "edge" (kamailio/README.md) ---------------------------------------------

EDGE = {"kamailio", "freeswitch-2", "bridge-2"}


def default_of(value: str) -> str:
    """The value a `${VAR:-default}` (nested too) gives when nothing is set."""
    while (match := re.fullmatch(r"\$\{[A-Z0-9_]+:-(.*)\}", value)):
        value = match.group(1)
    return value


def test_the_edge_is_an_option(compose):
    services = compose["services"]
    assert EDGE <= set(services)
    for name, service in services.items():
        assert (service.get("profiles") == ["edge"]) == (name in EDGE), name


def test_the_edge_runs_the_repository_configuration(compose):
    kamailio = compose["services"]["kamailio"]
    assert kamailio["build"] == "./kamailio" and host_network(kamailio)
    dockerfile = (REPO / "kamailio" / "Dockerfile").read_text()
    assert "COPY kamailio.cfg run /etc/callplan/kamailio/" in dockerfile
    assert 'ENTRYPOINT ["/etc/callplan/kamailio/run"]' in dockerfile
    assert "dispatcher.list" in " ".join(kamailio["healthcheck"]["test"])


def test_the_edge_sends_to_both_switches_where_they_listen(compose):
    services = compose["services"]
    switches = default_of(environment(services["kamailio"])["CALLPLAN_EDGE_SWITCHES"]).split(",")
    second = environment(services["freeswitch-2"])
    assert f"127.0.0.1:{default_of(second['CALLPLAN_INTERNAL_SIP_PORT'])}:{default_of(second['CALLPLAN_EXTERNAL_SIP_PORT'])}" \
        in switches
    # the first switch moves off the edge's ports by the SWITCH1_* variables the comment tells to set
    first = environment(services["freeswitch"])
    assert first["CALLPLAN_INTERNAL_SIP_PORT"].startswith("${SWITCH1_INTERNAL_SIP_PORT:-")
    assert "127.0.0.1:5070:5090" in switches and "SWITCH1_INTERNAL_SIP_PORT=5070" in COMPOSE.read_text()
    # alone, the first switch keeps the phones' port as before
    assert default_of(first["CALLPLAN_INTERNAL_SIP_PORT"]) == "5060"
    # media ports do not overlap
    assert int(default_of(second["CALLPLAN_RTP_START_PORT"])) > 24575 and "SWITCH1_RTP_END_PORT=24575" in COMPOSE.read_text()


def test_each_switch_has_its_own_bridge(compose, env_example):
    services = compose["services"]
    assert environment(services["freeswitch-2"])["CALLPLAN_ESL_PORT"] == environment(services["bridge-2"])["CALLPLAN_ESL_PORT"]
    assert setting(services["bridge"], "CALLPLAN_ESL_PORT", env_example) != environment(services["bridge-2"])["CALLPLAN_ESL_PORT"]
    feeds = {setting(services[name], "CALLPLAN_BRIDGE_FEED_PORT", env_example) or "8025" for name in ("bridge", "bridge-2")}
    assert len(feeds) == 2
    # both switches and both bridges share voicemail and the CDR spool
    for volume in ("voicemail", "cdr-spool"):
        for name in ("freeswitch-2", "bridge-2"):
            assert volume in {source for source, _ in mounts(services[name]).values()}, (name, volume)
    assert environment(services["bridge-2"])["CALLPLAN_DATABASE_URL"] == environment(services["bridge"])["CALLPLAN_DATABASE_URL"]
