"""Phone provisioning by MAC (seed 001 6.6.1): each brand's file, served only with the device's own
credentials, well-formed with hostile values, refusals that reveal nothing, the per-address rate limit,
and the admin's view of the provisioning address and credentials."""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import text
from starlette.testclient import TestClient

from tests.web.helpers import PASSWORD, make_account, make_token
from tests.web.pbx import admin, other_admin  # noqa: F401  (fixtures)
from web import clock
from web.models.device import Device
from web.provisioning import routes as provisioning
from web.provisioning.render import one_line, parse_file_name, xml_value
from web.provisioning.timezones import posix, zone_rule

# brand, model, the file name the phone asks for (from its MAC), the media type
BRANDS = {
    "yealink": ("T46U", "{mac}.cfg", "text/plain"),
    "polycom": ("VVX 250", "{mac}-callplan.cfg", "application/xml"),
    "snom": ("D735", "{MAC}.xml", "application/xml"),
    "grandstream": ("GXP2170", "cfg{mac}.xml", "application/xml"),
    "generic": ("Generic SIP phone", "{mac}", "text/plain"),
}
MACS = {"yealink": "001565aabb01", "polycom": "0004f2aabb02", "snom": "000413aabb03",
        "grandstream": "000b82aabb04", "generic": "02aabbccdd05"}
YEALINK_LINE = re.compile(r"^[a-z0-9_.]+ = [^\n]*$")
GENERIC_LINE = re.compile(r"^[a-z_]+=[^\n]*$")


def file_of(brand: str, mac: str) -> str:
    return BRANDS[brand][1].format(mac=mac, MAC=mac.upper())


def add_device(admin, brand, user_id=None, mac=None, **fields) -> dict:
    """A device made through the API, with its provisioning credentials from the admin's view."""
    model = BRANDS[brand][0]
    device = admin.create("/api/devices", name=f"{brand} phone", brand=brand, model=model,
                          mac=mac or MACS[brand], user_id=user_id, **fields)
    shown = admin.client.post(f"/api/devices/{device['id']}/provisioning", json={"password": PASSWORD})
    assert shown.status_code == 200, shown.text
    return {**device, "provisioning": shown.json()}


def fetch(client, name, device=None, auth=None):
    if auth is None and device is not None:
        auth = (device["provisioning"]["username"], device["provisioning"]["password"])
    return client.get(f"/provision/{name}", auth=auth)


def settings_of(brand: str, body: str) -> dict[str, str]:
    """The file as {setting: value}, parsed the way the brand's phone reads it (and so proving the file
    well-formed: XML parses, every line of a line file is one key and one value)."""
    if brand in ("yealink", "generic"):
        lines = body.splitlines()
        if brand == "yealink":
            assert lines[0] == "#!version:1.0.0.1"
        pattern, sep = (YEALINK_LINE, " = ") if brand == "yealink" else (GENERIC_LINE, "=")
        found = {}
        for line in lines:
            if not line or line.startswith("#"):
                continue
            assert pattern.match(line), line
            key, _, value = line.partition(sep)
            assert key not in found, f"{key} twice"
            found[key] = value
        return found
    root = ET.fromstring(body.encode())
    if brand == "polycom":
        return {key: value for element in root.iter() for key, value in element.attrib.items()}
    if brand == "snom":
        return {el.tag + (f"#{el.get('idx')}" if el.get("idx") else ""): el.text or "" for el in root.iter()}
    return {el.tag: el.text or "" for el in root.iter()}  # grandstream


# what each brand calls the account's fields
FIELDS = {
    "yealink": {"user": "account.1.user_name", "auth": "account.1.auth_name", "password": "account.1.password",
                "registrar": "account.1.sip_server.1.address", "proxy": "account.1.outbound_proxy.1.address",
                "display": "account.1.display_name", "label": "account.1.label", "voicemail": "voice_mail.number.1",
                "language": "lang.gui", "ntp": "local_time.ntp_server1"},
    "polycom": {"user": "reg.1.address", "auth": "reg.1.auth.userId", "password": "reg.1.auth.password",
                "registrar": "reg.1.server.1.address", "proxy": "reg.1.outboundProxy.address",
                "display": "reg.1.displayName", "label": "reg.1.label", "voicemail": "msg.mwi.1.callBack",
                "language": "lcl.ml.lang", "ntp": "tcpIpApp.sntp.address"},
    "snom": {"user": "user_name#1", "auth": "user_pname#1", "password": "user_pass#1", "registrar": "user_host#1",
             "proxy": "user_outbound#1", "display": "user_realname#1", "label": "user_idle_text#1",
             "voicemail": "user_mailbox#1", "language": "language", "ntp": "ntp_server"},
    "grandstream": {"user": "P35", "auth": "P36", "password": "P34", "registrar": "P47", "proxy": "P48",
                    "display": "P3", "label": "P270", "voicemail": "P33", "language": "P1362", "ntp": "P30"},
    "generic": {"user": "sip_username", "auth": "sip_auth_username", "password": "sip_password",
                "registrar": "sip_registrar", "proxy": "sip_server", "display": "display_name", "label": "label",
                "voicemail": "voicemail_number", "language": "language", "ntp": "ntp_server"},
}
LANGUAGE_NL = {"yealink": "Dutch", "polycom": "Dutch_Netherlands", "snom": "Nederlands", "grandstream": "nl",
               "generic": "nl"}


def account_of(brand, body) -> dict[str, str]:
    found = settings_of(brand, body)
    return {name: found[key] for name, key in FIELDS[brand].items()}


@pytest.fixture
def phone(app):
    return TestClient(app)


# --- each brand's file ---------------------------------------------------------------------------


@pytest.mark.parametrize("brand", sorted(BRANDS))
def test_each_brand_gets_its_file_with_the_sip_account(brand, admin, phone):
    user = admin.user(extension="201", first_name="Anna", last_name="de Vries")
    device = add_device(admin, brand, user_id=user["id"])
    response = fetch(phone, file_of(brand, device["mac"]), device)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(BRANDS[brand][2])
    assert response.headers["cache-control"] == "no-store"
    account = account_of(brand, response.text)
    assert account["user"] == account["auth"] == device["sip_username"]
    assert account["password"] == device["sip_password"]
    assert account["registrar"] == "acme.pbx.test"  # the tenant's SIP domain
    assert account["proxy"].split(":")[0] == "testserver"  # the host of public_base_url
    assert account["display"] == "Anna de Vries" and account["label"] == "201"
    assert account["voicemail"] == "*97" and account["language"] == LANGUAGE_NL[brand]
    assert account["ntp"] == provisioning.NTP_SERVER


def test_the_polycom_master_file_names_the_phones_own_file(admin, phone):
    device = add_device(admin, "polycom")
    response = fetch(phone, f"{device['mac']}.cfg", device)
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(response.content)
    assert root.tag == "APPLICATION" and root.get("CONFIG_FILES") == f"{device['mac']}-callplan.cfg"
    assert device["sip_password"] not in response.text


def test_the_tenants_time_zone_in_each_notation(admin, phone):
    # make_tenant's default zone is Europe/Amsterdam: CET, CEST from the last Sunday of March 02:00
    # to the last Sunday of October 03:00
    files = {brand: settings_of(brand, fetch(phone, file_of(brand, d["mac"]), d).text)
             for brand, d in ((b, add_device(admin, b)) for b in BRANDS)}
    yealink = files["yealink"]
    assert (yealink["local_time.time_zone"], yealink["local_time.summer_time"]) == ("+1", "1")
    assert (yealink["local_time.start_time"], yealink["local_time.end_time"]) == ("3/5/7/2", "10/5/7/3")
    assert yealink["local_time.offset_time"] == "60"
    polycom = files["polycom"]
    assert polycom["tcpIpApp.sntp.gmtOffset"] == "3600" and polycom["tcpIpApp.sntp.daylightSavings.enable"] == "1"
    assert [polycom[f"tcpIpApp.sntp.daylightSavings.start.{k}"] for k in ("month", "dayOfWeek", "dayOfWeek.lastInMonth", "time")] == ["3", "1", "1", "2"]
    assert [polycom[f"tcpIpApp.sntp.daylightSavings.stop.{k}"] for k in ("month", "dayOfWeek", "dayOfWeek.lastInMonth", "time")] == ["10", "1", "1", "3"]
    assert files["snom"]["utc_offset"] == "3600"
    assert files["snom"]["dst"] == "3600 03.05.07 02:00:00 10.05.07 03:00:00"
    assert files["grandstream"]["P64"] == "CET-1CEST-2,M3.5.0/02:00:00,M10.5.0/03:00:00"
    assert files["generic"]["time_zone"] == "Europe/Amsterdam"


def test_zone_rules_north_south_and_without_daylight_saving():
    new_york = zone_rule("America/New_York", 2025)
    assert new_york.std_offset == -5 * 3600 and new_york.dst_offset == -4 * 3600
    assert (new_york.start.month, new_york.start.week, new_york.start.weekday) == (3, 2, 6)  # 2nd Sunday
    assert (new_york.end.month, new_york.end.week, new_york.end.hour) == (11, 1, 2)
    assert posix(new_york) == "EST5EDT4,M3.2.0/02:00:00,M11.1.0/02:00:00"
    sydney = zone_rule("Australia/Sydney", 2025)  # leaves daylight saving in April, enters it in October
    assert sydney.std_offset == 10 * 3600 and (sydney.start.month, sydney.end.month) == (10, 4)
    kolkata = zone_rule("Asia/Kolkata", 2025)
    assert kolkata.start is None and posix(kolkata) == "IST-5:30"
    assert posix(zone_rule("America/Sao_Paulo", 2025)) == "<-03>3"


def test_a_switched_off_voicemail_code_leaves_the_key_empty(admin, phone):
    codes = admin.client.get("/api/feature-codes").json()
    voicemail = next(code for code in codes if code["function"] == "voicemail")
    assert admin.client.patch(f"/api/feature-codes/{voicemail['id']}", json={"enabled": False}).status_code == 200
    yealink, polycom = add_device(admin, "yealink"), add_device(admin, "polycom")
    assert settings_of("yealink", fetch(phone, file_of("yealink", yealink["mac"]), yealink).text)["voice_mail.number.1"] == ""
    found = settings_of("polycom", fetch(phone, file_of("polycom", polycom["mac"]), polycom).text)
    assert found["msg.mwi.1.callBackMode"] == "disabled" and found["msg.mwi.1.callBack"] == ""


def test_the_username_may_be_the_mac_in_any_notation(admin, phone):
    # (not with colons: basic auth ends the username at the first one, RFC 7617)
    device = add_device(admin, "yealink")
    password = device["provisioning"]["password"]
    for username in ("00-15-65-AA-BB-01", "001565aabb01", "0015.65aa.bb01", device["sip_username"].upper()):
        assert fetch(phone, f"{device['mac']}.cfg", auth=(username, password)).status_code == 200, username
    assert fetch(phone, f"{device['mac'].upper()}.cfg", device).status_code == 200  # file name in upper case


def test_every_device_has_the_generic_profile_but_not_another_brands_file(admin, phone):
    device = add_device(admin, "yealink")
    assert fetch(phone, device["mac"], device).status_code == 200
    for name in (f"{device['mac']}.xml", f"cfg{device['mac']}.xml", f"{device['mac']}-callplan.cfg"):
        assert fetch(phone, name, device).status_code == 404, name


# --- refusals ------------------------------------------------------------------------------------


def test_no_credentials_get_a_challenge(admin, phone):
    device = add_device(admin, "yealink")
    for name in (f"{device['mac']}.cfg", "ffffffffffff.cfg", "not-a-file"):
        response = phone.get(f"/provision/{name}")
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith('Basic realm="provisioning"')
    # another scheme is answered with the challenge too: it names the one we take
    assert phone.get(f"/provision/{device['mac']}.cfg", headers={"authorization": "Bearer x"}).status_code == 401


def test_unknown_mac_wrong_or_foreign_credentials_look_the_same(admin, other_admin, phone):
    mine, neighbours = add_device(admin, "yealink"), add_device(admin, "snom")
    foreign = add_device(other_admin, "grandstream")
    mac, password = mine["mac"], mine["provisioning"]["password"]
    refusals = {
        "wrong password": fetch(phone, f"{mac}.cfg", auth=(mine["sip_username"], password + "x")),
        "wrong username": fetch(phone, f"{mac}.cfg", auth=("someone", password)),
        "another device's credentials": fetch(phone, f"{mac}.cfg", neighbours),
        "another tenant's device's credentials": fetch(phone, f"{mac}.cfg", foreign),
        "unknown MAC": fetch(phone, "0015650000ff.cfg", mine),
        "garbled header": phone.get(f"/provision/{mac}.cfg", headers={"authorization": "Basic !!!"}),
        "a name we never serve": fetch(phone, "y000000000028.cfg", mine),
        "not found at all": phone.get("/provision/a/b"),
    }
    expected = refusals.pop("not found at all")  # the app's own 404 for a path that does not exist
    assert expected.status_code == 404
    for why, response in refusals.items():
        assert response.status_code == 404, why
        assert response.content == expected.content, why
        assert response.headers["content-type"] == expected.headers["content-type"], why
        assert "www-authenticate" not in response.headers, why


def test_two_companies_with_one_mac_each_get_their_own_file(admin, other_admin, phone, caplog):
    ours, theirs = add_device(admin, "yealink"), add_device(other_admin, "yealink")
    assert ours["mac"] == theirs["mac"]  # neither company could tell the other had it
    name = file_of("yealink", ours["mac"])
    for device, domain in ((ours, "acme.pbx.test"), (theirs, "other.pbx.test")):
        response = fetch(phone, name, device)
        assert response.status_code == 200, response.text
        account = account_of("yealink", response.text)
        assert account["registrar"] == domain and account["password"] == device["sip_password"]
        by_mac = fetch(phone, name, auth=(ours["mac"].upper(), device["provisioning"]["password"]))
        assert account_of("yealink", by_mac.text)["registrar"] == domain
    mixed = fetch(phone, name, auth=(ours["provisioning"]["username"], theirs["provisioning"]["password"]))
    assert mixed.status_code == 404
    assert "wrong credentials, wrong credentials" in caplog.text  # both devices were checked


def test_a_device_without_provisioning_credentials_is_not_served(admin, phone, db):
    device = add_device(admin, "yealink")
    with db() as session:
        session.get(Device, device["id"]).provisioning_password_sealed = ""
    assert fetch(phone, f"{device['mac']}.cfg", device).status_code == 404
    assert fetch(phone, f"{device['mac']}.cfg", auth=(device["sip_username"], "")).status_code == 404


def test_requests_are_rate_limited_per_source_address(admin, phone, monkeypatch):
    device = add_device(admin, "yealink")
    now = clock.timestamp()
    monkeypatch.setattr(clock, "timestamp", lambda: now)  # the 30 requests take no time: no refill between
    name = f"{device['mac']}.cfg"
    for _ in range(provisioning.BURST):
        assert fetch(phone, "0015650000ff.cfg", device).status_code == 404  # guesses count, and so...
    limited = fetch(phone, name, device)  # ...does the right password once the budget is spent
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) == 2  # one token comes back every 2 seconds
    now += 2
    assert fetch(phone, name, device).status_code == 200
    assert fetch(phone, name, device).status_code == 429


def test_the_limiter_forgets_refilled_addresses_when_full():
    limiter = provisioning.AddressLimiter(per_minute=60, burst=2, max_addresses=3)
    for address in ("a", "b", "c"):
        assert limiter.take(address) is None
    clock.advance(5)  # all refilled
    assert limiter.take("d") is None and set(limiter.buckets) == {"d"}


def test_passwords_never_reach_the_log(admin, phone, caplog):
    device = add_device(admin, "yealink")
    caplog.set_level(logging.DEBUG)
    fetch(phone, f"{device['mac']}.cfg", device)
    fetch(phone, f"{device['mac']}.cfg", auth=(device["sip_username"], "Guess-1234"))
    text = caplog.text
    assert "served" in text and "wrong credentials" in text
    for secret in (device["provisioning"]["password"], device["sip_password"], "Guess-1234"):
        assert secret not in text


# --- hostile values ------------------------------------------------------------------------------

HOSTILE_FIRST = 'Eve <b>&amp; "x\''
HOSTILE_LAST = "O'Brien\naccount.1.password = hacked\r\n<P34>hacked</P34>\u2028]]>"


@pytest.mark.parametrize("brand", sorted(BRANDS))
def test_hostile_names_are_escaped_and_stay_one_value(brand, admin, phone, db):
    # The API refuses control characters in a name (#11 item 6); a row stored before that, or written past
    # the API, may still hold them, and the provisioning file must stay one value per line all the same.
    assert admin.client.post("/api/users", json={"first_name": "Eve", "extension": "203",
                                                  "last_name": HOSTILE_LAST}).status_code == 422
    user = admin.user(extension="202", first_name=HOSTILE_FIRST, last_name="O'Brien")
    with db() as session:
        session.execute(text("UPDATE pbx_user SET last_name = :name WHERE id = :id"), {"name": HOSTILE_LAST, "id": user["id"]})
    user["last_name"] = HOSTILE_LAST
    device = add_device(admin, brand, user_id=user["id"])
    response = fetch(phone, file_of(brand, device["mac"]), device)
    assert response.status_code == 200
    account = account_of(brand, response.text)  # parses: the file is still well-formed
    expected = f"{user['first_name']} {user['last_name']}".strip()
    # the value comes back whole, its line breaks turned into spaces, nothing else changed
    assert account["display"] == one_line(expected) and "\n" not in account["display"]
    assert account["password"] == device["sip_password"]
    if BRANDS[brand][2] == "application/xml":
        assert "<P34>hacked" not in response.text and "&lt;P34&gt;hacked" in response.text  # text, not markup
    # the injected "line" stays inside the display name's own line
    assert not any(line.lstrip().startswith("account.1.password = hacked") for line in response.text.splitlines())


def test_value_cleaning():
    assert one_line("a\nb\r\x00c\u2028d\x7f") == "a b  c d "
    assert xml_value('<a href="x">&\'') == "&lt;a href=&quot;x&quot;&gt;&amp;&apos;"
    assert parse_file_name("001565AABBCC.cfg")[0] == "001565aabbcc"
    assert parse_file_name("../001565aabbcc.cfg") is None and parse_file_name("001565aabbcc.cfg.bak") is None


# --- the admin's view ----------------------------------------------------------------------------


def test_the_admin_sees_the_address_and_credentials_and_the_reveal_is_audited(admin, phone):
    device = add_device(admin, "snom")
    shown = device["provisioning"]
    assert shown["url"] == "http://testserver/provision/"
    assert shown["file_url"] == f"http://testserver/provision/{device['mac'].upper()}.xml"
    assert shown["username"] == device["sip_username"] and shown["mac"] == "00:04:13:AA:BB:03"
    assert len(shown["password"]) == 24
    entries = admin.client.get("/api/audit").json()
    reveal = [e for e in entries if e["action"] == "device.reveal_provisioning_password"]
    assert len(reveal) == 1 and reveal[0]["object_id"] == str(device["id"])
    assert shown["password"] not in admin.client.get("/api/audit").text
    # the URL shown is the one the phone is served at
    assert phone.get(shown["file_url"].removeprefix("http://testserver"),
                     auth=(shown["username"], shown["password"])).status_code == 200


def test_a_device_without_mac_has_no_file_url_yet(admin):
    device = admin.create("/api/devices", name="Spare", brand="generic", model="Generic SIP phone")
    shown = admin.client.post(f"/api/devices/{device['id']}/provisioning", json={"password": PASSWORD}).json()
    assert shown["file_url"] is None and shown["mac"] is None and shown["password"]


def test_a_new_provisioning_password_replaces_the_old_one(admin, phone):
    device = add_device(admin, "grandstream")
    renewed = admin.client.post(f"/api/devices/{device['id']}/new-provisioning-password", json={"password": PASSWORD})
    assert renewed.status_code == 200 and renewed.json()["password"] != device["provisioning"]["password"]
    name = file_of("grandstream", device["mac"])
    assert fetch(phone, name, device).status_code == 404
    assert fetch(phone, name, auth=(device["sip_username"], renewed.json()["password"])).status_code == 200
    audit = admin.client.get("/api/audit").text
    assert renewed.json()["password"] not in audit


def test_only_the_tenants_admin_sees_them(admin, other_admin, app, db, settings):
    device = add_device(admin, "yealink")
    user_account = make_account(db, settings, admin.tenant.id, "user@acme.test", role="user")
    as_user = TestClient(app, headers={"authorization": f"Bearer {make_token(db, user_account)}"})
    confirm = {"password": PASSWORD}
    assert as_user.get(f"/api/devices/{device['id']}/provisioning").status_code == 403
    assert as_user.post(f"/api/devices/{device['id']}/provisioning", json=confirm).status_code == 403
    assert as_user.post(f"/api/devices/{device['id']}/new-provisioning-password", json=confirm).status_code == 403
    for method in ("GET", "POST"):
        foreign = other_admin.client.request(method, f"/api/devices/{device['id']}/provisioning", json=confirm)
        missing = other_admin.client.request(method, "/api/devices/999999/provisioning", json=confirm)
        assert foreign.status_code == missing.status_code == 404 and foreign.json() == missing.json()
    assert other_admin.client.post(f"/api/devices/{device['id']}/new-provisioning-password", json=confirm).status_code == 404
    assert TestClient(app).get(f"/api/devices/{device['id']}/provisioning").status_code == 401


def test_the_provisioning_password_takes_the_admins_own_password_like_the_sip_password(admin, phone):
    """The file it opens holds the SIP password in clear: the view without the password shows only the
    address, the password takes re-authentication (refusals audited), and so does a new one."""
    device = admin.create("/api/devices", name="Desk", brand="yealink", model=BRANDS["yealink"][0], mac=MACS["yealink"])
    url = f"/api/devices/{device['id']}/provisioning"
    address = admin.client.get(url)
    assert address.status_code == 200 and "password" not in address.json()
    assert address.json()["username"] == device["sip_username"]
    for body, pointer in (({}, "/password"), ({"password": ""}, "/password"), ({"password": "not mine"}, "/password")):
        refused = admin.client.post(url, json=body)
        assert refused.status_code == 422 and refused.json()["errors"][0]["pointer"] == pointer, refused.text
        renew = admin.client.post(f"{url.removesuffix('/provisioning')}/new-provisioning-password", json=body)
        assert renew.status_code == 422 and "password" not in renew.json()
    shown = admin.client.post(url, json={"password": PASSWORD})
    assert shown.status_code == 200 and len(shown.json()["password"]) == 24
    assert shown.headers["cache-control"] == "no-store"
    actions = [e["action"] for e in admin.client.get("/api/audit").json() if e["object_type"] == "device"]
    assert actions.count("device.reveal_provisioning_password_refused") == 1
    assert actions.count("device.renew_provisioning_password_refused") == 1
    assert actions.count("device.reveal_provisioning_password") == 1


def test_the_registration_settings_a_person_types_into_a_phone(admin, app, phone):
    """What the devices screen shows beside a phone set up by hand: the company's domain, the server and
    the port FreeSWITCH's internal profile listens at (CALLPLAN_INTERNAL_SIP_PORT, as freeswitch/vars.xml
    reads it), which the provisioning files carry too."""
    import dataclasses

    assert admin.client.get("/api/devices/sip-settings").json() == {
        "domain": "acme.pbx.test", "server": "testserver", "port": 5060, "transports": ["udp", "tcp"],
        "provisioning_url": "http://testserver/provision/"}
    app.state.settings = dataclasses.replace(app.state.settings, sip_server="sip.example.net", sip_port=5070)
    shown = admin.client.get("/api/devices/sip-settings").json()
    assert (shown["server"], shown["port"]) == ("sip.example.net", 5070)
    device = add_device(admin, "generic")
    assert settings_of("generic", fetch(phone, file_of("generic", device["mac"]), device).text)["sip_port"] == "5070"
