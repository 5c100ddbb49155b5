"""The tenant's own dialplan, beside its call plans: what every PBX does without a plan being drawn.

One context per tenant (its SIP domain), in this order (FreeSWITCH runs the first extension that matches):
feature codes; emergency numbers; incoming call blocking (the company's, on calls from outside to its
public numbers, and each user's, on calls from outside to the user's extension: callplan.blocking);
internal numbers (users with their forwarding and voicemail rules,
ring groups, queues, IVR menus and company voicemail boxes, each honouring night mode; call plans by
their extension); calls out: the release PIN, the company's outbound blocking, then out through the
gateway showing the caller's outbound number, refused with a reason when there is none.

Per-user values come from the directory (rendered by the app) as channel variables: cp_user_id,
cp_extension, cp_outbound_cid, cp_withhold, cp_pickup_group. Ring groups, queues, menus and boxes reuse
the step types' own compile functions, so a group rings the same way from a plan and from its number."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from callplan import blocking, home, outbound, paging, recording, schedules
from callplan.destinations import box_messages, emit as emit_destination, leave_message, leg, park_here
from callplan.engine import Compilation, ConditionalSegment, Segment
from callplan.nodes import conference, ivr, queue, ring_group, voicemail
from callplan.objects import PARK_RETURN_PREFIX, TenantObjects, parking_lot
from callplan.xml import after_patterns, context_document, exact, literal, regex_literal

AFTER_CAUSES = {"busy": ["USER_BUSY"], "no_answer": ["NO_ANSWER", "NO_USER_RESPONSE", "ALLOTTED_TIMEOUT",
                                                   "ORIGINATOR_CANCEL"]}
_AFTER_GROUPS = tuple(tuple(causes) for causes in AFTER_CAUSES.values())  # busy, no_answer: users()
# the voicemail "when" settings that take each case of a user's
_VOICEMAIL_WHEN = {"busy": ("busy", "busy_or_no_answer"), "no_answer": ("no_answer", "busy_or_no_answer"),
                   "unregistered": ("no_answer", "busy_or_no_answer")}
_NO_RULE: dict = {}  # read only
# actions every user's extensions hold (tuples: shared, never changed)
_CONTINUE_ON_FAIL, _HANGUP_AFTER_BRIDGE = ("set", "continue_on_fail=true"), ("set", "hangup_after_bridge=true")
_HANGUP_BUSY, _HANGUP_NO_ANSWER = ("hangup", "USER_BUSY"), ("hangup", "NO_ANSWER")
RING_SECONDS = 5  # one ring cycle, for "rings before voicemail"
CONFIRM_TONE = "tone_stream://%(200,0,800)"
HOT_DESK_CHECK = "feature_hot_desk_check"  # where the login code goes once it has the extension and PIN
# FreeSWITCH's own prompts (mod_voicemail's: every installation with voicemail has them)
ASK_EXTENSION, ASK_PIN, REFUSED = "voicemail/vm-enter_id.wav", "voicemail/vm-enter_pass.wav", "voicemail/vm-fail_auth.wav"


def company_night(objects: TenantObjects, at: datetime) -> tuple[bool, Optional[datetime]]:
    """The company's night switch at `at` (seed 001 6.4.4): on, off, or automatic, when it is night
    outside the night schedule's periods and inside its holiday closures; with the moment that answer
    next changes (None: only when someone changes a setting). An automatic switch without a schedule is
    never night; one whose schedule was left out of the snapshot (it no longer validates) always is,
    as for a schedule without periods. The portal's night status (web/domain/night.py) asks this too,
    so what it shows is what the dialplan does."""
    company = objects.company
    if company.night_mode == "on":
        return True, None
    if company.night_mode != "auto" or company.night_schedule_id is None:
        return False, None
    weekly = objects.schedules.get(company.night_schedule_id)
    holidays = objects.holidays.get(company.night_holiday_schedule_id) if company.night_holiday_schedule_id else None
    periods, entries = (weekly.periods if weekly else []), (holidays.entries if holidays else None)
    return (not schedules.is_open(periods, entries, at, objects.timezone),
            schedules.next_transition(periods, entries, at, objects.timezone))


# A public number as the public context transfers a carrier's call into the tenant's context (E.164).
PUBLIC_NUMBER = r"^\+[1-9][0-9]{5,14}$"
COMPANY_SCREEN = "blocked_company"  # the company's blocking: web.xml_curl.dialplan puts it before the plans

NOT_IN_USE = "UNALLOCATED_NUMBER"  # Q.850 cause 1, "number not in use"; SIP 404 to the phone

# Calls out of a caller who withholds the number (RFC 3323/3325, as carriers take them): From is
# "Anonymous" <sip:anonymous@anonymous.invalid> with Privacy: id, and P-Asserted-Identity still carries the
# real number and name for the carrier (emergency calls, its records). sofia writes Privacy and the
# asserted identity from the leg's privacy flags (origination_privacy, "screen" makes it asserted rather
# than preferred) with sip_cid_type=pid; sip_invite_from_uri and sip_from_display replace only the From.
WITHHELD = ("${cp_withhold}", "^true$", [], [])
WITHHELD_LEG = ("[origination_privacy=screen+hide_name+hide_number,sip_cid_type=pid,"
                "sip_invite_from_uri=sip:anonymous@anonymous.invalid,sip_from_display=Anonymous]")


# Calls in progress per user, for call waiting off: the hash limit backend's realm, and its key
BUSY_REALM = "cp_busy"


def busy_key(user_id: int) -> str:
    return f"u{int(user_id)}"


def busy_counter(user_id: int) -> str:
    """The application that counts one call of the user's while its channel lives (limit without a
    maximum only counts); run on answer (execute_on_answer) of the user's phone's leg."""
    return f"limit hash {BUSY_REALM} {busy_key(user_id)}"


class BaseDialplan:
    def __init__(self, objects: TenantObjects, at: datetime, *, rotation_at_fetch: bool = False):
        self.objects = objects
        self.at = at
        self.compilation = Compilation(plan_id=0, version=0, objects=objects, at=at, marks=False,
                                       rotation_at_fetch=rotation_at_fetch)
        self.extensions: list[tuple[str, list]] = []  # (name, [(field, expression, actions, anti_actions)])
        self.valid_until: Optional[datetime] = None

    # -- building blocks ----------------------------------------------------------------------

    def extension(self, name: str, expression: str, actions: list, *, then: list | None = None) -> None:
        """An extension on the dialled number; `then` adds conditions (field, regex, actions, anti-actions)
        that must also hold (FreeSWITCH ANDs an extension's conditions and runs the anti-actions of the
        first one that fails)."""
        self.extensions.append((name, [("destination_number", expression, actions, [])] + list(then or [])))

    def _segment(self, name: str, match: str) -> Segment:
        segment = Segment(name, match)
        self.compilation.segments.append(segment)
        return segment

    def night(self, behaviour: str) -> bool:
        """Is night mode in force for something that follows/overrides the company (seed 001 6.3.4)."""
        if behaviour == "off":
            return False
        if behaviour == "on":
            return True
        night, holds_until = company_night(self.objects, self.at)
        self.compilation.decision_holds_until(holds_until)
        return night

    def night_route(self, segment: Segment, behaviour: str, own_destination: Optional[dict]) -> bool:
        destination = own_destination or self.objects.company.night_destination
        if destination and self.night(behaviour):
            if not emit_destination(destination, segment, self.compilation):
                segment.action("hangup", "NORMAL_CLEARING")
            return True
        return False

    # -- the parts ---------------------------------------------------------------------------

    def feature_codes(self) -> None:
        codes, domain = self.objects.feature_codes, self.objects.domain
        agent = f"u${{cp_user_id}}@{domain}"
        status = {"agent_login": "'Available'", "agent_logout": "'Logged Out'", "agent_break": "'On Break'"}
        for function, code in sorted(codes.items()):
            name, match = f"feature_{function}", exact(code)
            if function == "record":  # pressed during a call, not dialled: bound on the user's legs (callplan.recording)
                continue
            if function in ("hot_desk_login", "hot_desk_logout"):
                self.hot_desk(function, code)
                continue
            if function == "park":
                self.park_code(code)
                continue
            if function == "intercom":  # a prefix: the code and a colleague's extension
                for user in sorted(self.objects.users.values(), key=lambda u: u.extension):
                    self.extension(f"feature_intercom_{user.extension}", exact(code + user.extension),
                                   paging.intercom(self.objects, user))
                continue
            if function == "voicemail":
                actions = [("answer", ""), ("voicemail", f"check default {domain} ${{cp_extension}}")]
                if self.objects.home is not None:
                    self.check_messages_at_home(name, match, actions)
                    continue
            elif function == "pickup":
                actions = [("pickup", f"pg${{cp_pickup_group}}@{domain}")]
                if self.objects.home is not None:
                    self.pickup_at_home(name, match, actions)
                    continue
            elif function in status:
                # 'On Break' needs its quotes (fixtures README)
                # loaded first: an agent FreeSWITCH has not loaded yet has no status to set (web.domain.callcenter)
                actions = [("set", f"cp_loaded=${{callcenter_config(agent reload {agent})}}"),
                           ("set", f"cp_result=${{callcenter_config(agent set status {agent} {status[function]})}}"),
                           ("answer", ""), ("playback", CONFIRM_TONE), ("hangup", "NORMAL_CLEARING")]
            else:  # toggles: the bridge switches the state in the database (takes effect on the next call)
                actions = [("event", f"Event-Name=CUSTOM,Event-Subclass=callplan::feature,cp_feature={function},"
                                     f"cp_user=${{cp_user_id}}"),
                           ("answer", ""), ("playback", CONFIRM_TONE), ("hangup", "NORMAL_CLEARING")]
            self.extension(name, match, actions)

    def check_messages_at_home(self, name: str, match: str, here: list) -> None:
        """Several switches (callplan.home): a user's messages are in the home switch's mod_voicemail, so
        the voicemail code goes to the dialling user's home extension `cp-home-vmcheck-<extension>` (the
        extension is the phone's own, from its directory entry, worked out here where the phone dialled;
        a hand-over carries it only in the number, which the home switch lets in only with the token).
        There mod_voicemail asks the box's PIN as it does here, in the user's language. A phone of nobody
        (no extension) asks for the box here, as before."""
        objects, domain = self.objects, self.objects.domain
        self.extension(name, match, [], then=[
            ("${cp_extension}", r"^[0-9]{1,12}$",
             [("transfer", f"{home.PREFIX}vmcheck-${{cp_extension}} XML {domain}")], here)])
        for user in sorted(objects.users.values(), key=lambda u: u.extension):
            self.extensions.append(home.extension(objects, "vmcheck", user.extension, [
                ("set", f"default_language={user.language}"), ("answer", ""),
                ("voicemail", f"check default {domain} {user.extension}")]))

    def pickup_at_home(self, name: str, match: str, here: list) -> None:
        """Several switches: a ringing call waits for a pickup in the memory of the switch ringing it
        (mod_dptools' pickup/ endpoint), so the pickup code takes a call ringing on this switch first, and
        when there is none here (the pickup application returns) goes to the group's home extension
        `cp-home-pickup-<group>`, which picks up on the home switch (callplan.home; the group travels in
        the number). A phone in no pickup group picks up nothing anywhere, as before."""
        objects, domain = self.objects, self.objects.domain
        self.extension(name, match, here, then=[
            ("${cp_pickup_group}", r"^[0-9]{1,12}$",
             [("transfer", f"{home.PREFIX}pickup-${{cp_pickup_group}} XML {domain}")], [])])
        for group in sorted(objects.pickup_groups):
            self.extensions.append(home.extension(objects, "pickup", group, [("pickup", f"pg{int(group)}@{domain}")]))

    def recording(self) -> None:
        """What the legs of recorded users run when answered (callplan.recording): recording, or binding
        the in-call code. Only such a leg (cp_rec_user set by the directory) gets anything."""
        for name, actions in recording.leg_extensions(self.objects):
            self.extension(f"feature_{name}", exact(name), [], then=[("${cp_rec_user}", r"^[0-9]+$", actions, [])])

    def hot_desk(self, function: str, code: str) -> None:
        """Hot desking (web.domain.hot_desk): on a hot-desking phone (its directory entry sets cp_hot_desk
        to the device's id), the login code asks the extension and the user's voicemail PIN and checks
        them here: the extension must be a user allowed to hot-desk (compiled in), the PIN the one the
        directory holds for it (read at the call with user_data, never written into the dialplan; a PCRE
        back-reference compares the two). The bridge then writes the login from the event. The logout
        code logs whoever is on the phone out. Anywhere else, or wrong: "login incorrect"."""
        domain = self.objects.domain
        refused = [("answer", ""), ("playback", REFUSED), ("hangup", "CALL_REJECTED")]
        on_hot_desk = ("${cp_hot_desk}", r"^[0-9]+$")

        def fire(extra: str) -> list:
            return [("event", f"Event-Name=CUSTOM,Event-Subclass=callplan::feature,cp_feature={function},"
                              f"cp_device=${{cp_hot_desk}}{extra}"),
                    ("answer", ""), ("playback", CONFIRM_TONE), ("hangup", "NORMAL_CLEARING")]

        if function == "hot_desk_logout":
            self.extension(f"feature_{function}", exact(code), [], then=[(*on_hot_desk, fire(""), refused)])
            return
        ask = [
            ("answer", ""),
            ("play_and_get_digits", f"2 4 3 5000 # {ASK_EXTENSION} {REFUSED} cp_hd_extension ^[0-9]{{2,4}}$ 3000"),
            ("play_and_get_digits", f"4 8 3 5000 # {ASK_PIN} {REFUSED} cp_hd_pin ^[0-9]{{4,8}}$ 3000"),
            ("set", f"cp_hd_pair=${{cp_hd_pin}}:${{user_data(${{cp_hd_extension}}@{domain} param vm-password)}}"),
            ("transfer", f"{HOT_DESK_CHECK} XML {domain}"),
        ]
        self.extension(f"feature_{function}", exact(code), [], then=[(*on_hot_desk, ask, refused)])
        allowed = sorted(user.extension for user in self.objects.users.values() if user.hot_desking)
        if not allowed:
            self.extension(HOT_DESK_CHECK, exact(HOT_DESK_CHECK), refused)
            return
        self.extension(HOT_DESK_CHECK, exact(HOT_DESK_CHECK), [], then=[
            (*on_hot_desk, [], refused),
            ("${cp_hd_extension}", exact(*allowed), [], refused),
            ("${cp_hd_pair}", r"^([0-9]{4,8}):\1$", fire(",cp_hot_desk_user=${cp_hd_extension}"), refused),
        ])

    # -- call parking (#18 item 3, mod_valet_parking) -----------------------------------------

    # Who parked the call, so that it can go back to them: first the extension the agent panel names when
    # it transfers the call here (PARK_RETURN_TO, set by its inline transfer, or for an attended one on the
    # loopback leg by its dial string: web.domain.agent_calls; a transfer by the event socket carries no
    # Referred-By); else, when the call was sent here by a phone's
    # blind transfer, the phone in the REFER's Referred-By (sofia puts it on the transferred leg as
    # sip_h_Referred-By: <sip:<the device's SIP username>@domain>), whose directory entry names its user's
    # extension (cp_extension, as web.xml_curl.directory writes it); else the dialling phone's own extension.
    # mod_commands' regex writes %1 / %2 / %3 as $1 / $2 / $3 after the dialplan's own $1 substitution, "n"
    # gives "" when nothing matches. PARK_RETURN_TO is unset once read, so a later park of the same call (the
    # call back with the agent, parked again from a phone) is not sent to the earlier parker.
    REFERRER = "cp_park_referrer=${regex(m:~${sip_h_Referred-By}~sip:([^@>;]+)@~%1~n)}"
    PARK_RETURN_TO = "cp_park_return_to"

    def parked_by(self) -> str:
        return ("cp_parked_by=${regex(m:~P:${" + self.PARK_RETURN_TO + "};R:${user_data(${cp_park_referrer}@" +
                self.objects.domain + " var cp_extension)};E:${cp_extension}"
                "~^P:([0-9]+);|^P:[^;]*;R:([0-9]+);|^P:[^;]*;R:[^;]*;E:([0-9]+)$~%1%2%3~n)}")

    def _park(self, how: str) -> list:
        """Park the call (or, for a slot that holds one, take it): mod_valet_parking's valet_park in the
        company's own lot. Set on the channel before it: how long the call waits
        (valet_parking_timeout) and where it then goes (valet_parking_orbit_*: the park_return_<who>
        extension below). valet_park copies those onto the parked leg when it parks its partner."""
        return [("answer", "")] + self._who_parked() + self._parked(how, answer=False)

    def _who_parked(self) -> list:
        return [("set", self.REFERRER), ("set", self.parked_by()), ("unset", self.PARK_RETURN_TO)]

    def _parked(self, how: str, answer: bool = True) -> list:
        """_park's actions after who parked it is known (cp_parked_by): on the home switch, for a call
        another switch handed over, that switch worked it out (callplan.home)."""
        objects, parking = self.objects, self.objects.parking
        return [("answer", "")] * answer + [
            ("set", "cp_parked_at=${strepoch()}"),  # the portal's "parked for" (web.domain.parking)
            ("set", f"valet_parking_timeout={int(parking.return_after_s)}"),
            ("set", f"valet_parking_orbit_exten={PARK_RETURN_PREFIX}${{cp_parked_by}}"),
            ("set", "valet_parking_orbit_dialplan=XML"),
            ("set", f"valet_parking_orbit_context={objects.domain}"),
            ("valet_park", f"{parking_lot(objects.tenant_id)} {how}"),
        ]

    def park_code(self, code: str) -> None:
        """The park code: the first free slot of the lot, said aloud by valet_park ("auto in"). Dialled on
        a leg that is bridged (its partner is parked, the dialler hears the slot and is hung up), or
        reached by a blind transfer (the transferred caller waits in the slot and hears it)."""
        slots = self.objects.parking.slots() if self.objects.parking.enabled else []
        if not slots:
            return  # parking off: the code is no number in use
        how = f"auto in {int(slots[0])} {int(slots[-1])}"
        if self.objects.home is None:
            self.extension("feature_park", exact(code), self._park(how))
            return
        # several switches: the lot lives on the home switch (callplan.home); who parked it is worked out
        # here, where the transfer's Referred-By and the dialling phone are
        self.extension("feature_park", exact(code), self._who_parked() + [
            ("transfer", f"{home.number('parkauto', 0)} XML {self.objects.domain}")])
        self.extensions.append(home.extension(self.objects, "parkauto", 0, self._parked(how)))

    def parking(self) -> None:
        """The slots: dialling (or blind-transferring to) a slot that holds a call takes that call; an empty
        slot parks the call in it. A call nobody took goes back to who parked it (park_return_<ext>),
        through that user's own extension (forwarding and voicemail as for any call to them); without a
        known parker it ends when its time is up."""
        parking = self.objects.parking
        slots = parking.slots() if parking.enabled else []
        if not slots:
            return
        if self.objects.home is None:
            self.extension("park_slot", exact(*slots), self._park("$1"))
        else:  # the lot lives on the home switch (callplan.home): each slot is taken or filled there
            self.extension("park_slot", exact(*slots), self._who_parked() + [
                ("transfer", f"{home.number('park', '$1')} XML {self.objects.domain}")])
            for slot in slots:
                self.extensions.append(home.extension(self.objects, "park", slot, self._parked(slot)))
            here = Segment("", "")
            park_here(here, self.objects)
            self.extensions.append(home.extension(self.objects, "parkquiet", 0, here.actions))
        self.extension("park_return", "^" + regex_literal(PARK_RETURN_PREFIX) + "([0-9]{2,4})$", [
            ("set", "cp_park_returned=true"),
            ("transfer", f"$1 XML {self.objects.domain}"),
        ])

    def call_blocking(self) -> None:
        """Callers from outside the company does not take (on its public numbers, whatever answers them),
        then those each user does not take (on the user's extension: the direct number, a transfer or a
        forwarding to the user). Calls between colleagues are never blocked."""
        objects = self.objects
        for name, conditions in blocking.screen(COMPANY_SCREEN, PUBLIC_NUMBER, "company", objects.company.call_blocking,
                                                objects, self.at, self.compilation, tuple(objects.blocked_numbers)):
            self.extensions.append((name, conditions))
        for user in sorted(objects.users.values(), key=lambda u: u.extension):
            if user.call_blocking:
                for name, conditions in blocking.screen(f"blocked_user_{user.extension}", exact(user.extension), "user",
                                                        user.call_blocking, objects, self.at, self.compilation):
                    self.extensions.append((name, conditions))

    def emergency(self) -> None:
        numbers = outbound.emergency_numbers(self.objects.company.country)
        # Never blocked, never refused for a missing caller ID.
        self.extension("emergency", exact(*numbers), [
            ("set", "effective_caller_id_number=${cp_outbound_cid}"),
            ("bridge", f"sofia/gateway/{self.objects.gateway}/${{destination_number}}"),
        ])

    def user_dial(self, user) -> str:
        own = f"user/{user.extension}@{self.objects.domain}"
        pickups = self._pickups_by_user().get(user.id, ())
        return ",".join([own, *pickups])

    def _pickups_by_user(self) -> dict[int, list[str]]:
        """Each user's pickup legs, groups in id order: made once for the base dialplan, not by going
        through every group (sorted again) for each of a company's users (a 1,000-user company's cold
        build, bench/compile.py)."""
        found = getattr(self, "_pickups", None)
        if found is None:
            found = self._pickups = {}
            domain = self.objects.domain
            for group, members in sorted(self.objects.pickup_groups.items()):
                leg = f"pickup/pg{group}@{domain}"
                for member in dict.fromkeys(members):  # a member listed twice rings once, as before
                    found.setdefault(member, []).append(leg)
        return found

    def users(self) -> None:
        """A direct call to a user: DND, unconditional forwarding, ringing (with Anywhere and pickup), and
        then, by why nobody answered (originate_disposition), that case's forwarding and voicemail."""
        objects, domain = self.objects, self.objects.domain
        segments = self.compilation.segments
        transfer_tail = f"_${{originate_disposition}} XML {domain}"
        for user in sorted(objects.users.values(), key=lambda u: u.extension):
            extension = user.extension
            segment = Segment(f"user_{extension}", exact(extension))
            segments.append(segment)
            actions = segment.actions
            actions.append(_CONTINUE_ON_FAIL)
            actions.append(_HANGUP_AFTER_BRIDGE)
            if self.night_route(segment, user.night_mode, None):
                continue
            forwarding, vm = user.forwarding or {}, user.voicemail or {}
            box = bool(vm.get("enabled")) and user.voicemail_box_id is not None
            always = (forwarding.get("always") or {})
            after = f"user_{extension}_after"
            if always.get("enabled") and always.get("to"):
                if not self._forward(segment, user, always["to"], "unavailable"):
                    segment.action("hangup", "NO_ANSWER")
                continue
            if box and vm.get("when") == "always":
                self._voicemail(segment, user, vm, "unavailable")
                continue
            if user.dnd:
                segment.action("transfer", f"{after}_USER_BUSY XML {domain}")
            else:
                if not user.call_waiting:
                    self._busy_when_on_a_call(user, segment, f"{after}_USER_BUSY XML {domain}")
                no_answer = forwarding.get("no_answer") or {}
                seconds = int(no_answer.get("after_s", 20)) if no_answer.get("enabled") else 30
                if box and vm.get("when") in ("no_answer", "busy_or_no_answer"):
                    seconds = min(seconds, int(vm.get("after_rings", 5)) * RING_SECONDS)
                ring = self.user_dial(user)
                anywhere = user.anywhere or {}
                if anywhere.get("enabled") and anywhere.get("number"):
                    ring += "," + leg(f"sofia/gateway/{objects.gateway}/{anywhere['number']}", seconds, objects)
                actions.append(("set", f"call_timeout={seconds}"))
                announcement = recording.announcement(objects) if user.recording == "always" else None
                if announcement:  # the user's calls are recorded (the directory's dial-vars): the caller is told
                    segment.action("answer")
                    segment.action("playback", announcement)
                actions.append(("bridge", ring))
                actions.append(("transfer", after + transfer_tail))
            # the cases' patterns (exact_after() for each, then prefix()), the head cleaned and escaped once
            busy, no_answer, other = after_patterns(after + "_", _AFTER_GROUPS)
            for case, pattern in (("busy", busy), ("no_answer", no_answer)):
                segment = Segment(f"{after}_{case}", pattern)
                segments.append(segment)
                self._after(segment, user, case, forwarding, vm, box)
            segment = Segment(f"{after}_other", other)
            segments.append(segment)
            self._after(segment, user, "unregistered", forwarding, vm, box)

    def _busy_when_on_a_call(self, user, segment: Segment, busy: str) -> None:
        """Call waiting off (seed 001 6.5.1): while the user is on a call, another call to the user is
        busy and takes the user's busy case. What counts as on a call: an answered call of the user's
        phones, either way (web.xml_curl.directory counts them: limit's hash, BUSY_REALM). An extension
        put before the user's own: it matches only while the count is above 0, and FreeSWITCH otherwise
        goes on to the user's extension."""
        check = ConditionalSegment(f"{segment.name}_on_a_call", segment.match, then=[
            (f"${{limit_usage(hash {BUSY_REALM} {busy_key(user.id)})}}", "^[1-9]", [("transfer", busy)], [])])
        self.compilation.segments.insert(self.compilation.segments.index(segment), check)

    def _after(self, segment: Segment, user, case: str, forwarding: dict, vm: dict, box: bool) -> None:
        """`forwarding`, `vm`: the user's (a dict each), `box`: whether the user's voicemail takes calls."""
        rule = forwarding.get(case) or _NO_RULE
        greeting = "busy" if case == "busy" else "unavailable"
        if rule.get("enabled") and rule.get("to"):
            if self._forward(segment, user, rule["to"], greeting):
                return
        if box and vm.get("when") in _VOICEMAIL_WHEN[case]:
            self._voicemail(segment, user, vm, greeting)
        else:
            segment.actions.append(_HANGUP_BUSY if case == "busy" else _HANGUP_NO_ANSWER)

    def _forward(self, segment: Segment, user, to: dict, greeting: str) -> bool:
        """A forwarding of the user's: to the user's own box it is the user's voicemail (with the greeting
        of the case: busy or unavailable), anywhere else the destination's own way."""
        if to.get("type") == "voicemail_box" and to.get("id") is not None and to.get("id") == user.voicemail_box_id:
            self._voicemail(segment, user, user.voicemail or {}, greeting)
            return True
        return emit_destination(to, segment, self.compilation)

    def _voicemail(self, segment: Segment, user, vm: dict, greeting: str) -> None:
        """The user's box takes the call, with the user's greeting for the case ("busy" or "unavailable";
        none: the box's own greeting, else mod_voicemail's)."""
        objects = self.objects
        chosen = vm.get(f"{greeting}_greeting_audio_id")
        if chosen is None:
            box = objects.voicemail_boxes.get(user.voicemail_box_id)
            chosen = box.greeting_audio_id if box is not None else None
        segment.action("answer")
        if vm.get("announce_only"):
            if chosen is not None:
                segment.action("playback", objects.audio_path(chosen))
            if vm.get("after_announcement") == "forward" and emit_destination(vm.get("forward_to"), segment, self.compilation):
                return
            segment.action("hangup", "NORMAL_CLEARING")
            return
        if chosen is not None:
            segment.action("set", f"voicemail_greeting_path={objects.audio_path(chosen)}")
        leave_message(segment, objects, user.extension, user.language, objects.voicemail_boxes.get(user.voicemail_box_id),
                      chosen)

    def groups_queues_menus_boxes(self) -> None:
        objects = self.objects
        for group in sorted(objects.ring_groups.values(), key=lambda g: g.id):
            if group.extension:
                segment = self._segment(f"group_{group.extension}", exact(group.extension))
                segment.action("set", "continue_on_fail=true")
                segment.action("set", "hangup_after_bridge=true")
                if not self.night_route(segment, group.night_mode, group.night_destination):
                    if not ring_group.compile(ring_group.Step(id=f"g{group.id}", type="ring_group", group=group.id), segment, self.compilation):
                        segment.action("hangup", "NO_ANSWER")
        for item in sorted(objects.queues.values(), key=lambda q: q.id):
            if item.extension:
                segment = self._segment(f"queue_{item.extension}", exact(item.extension))
                queue.compile_direct(item.id, segment, self.compilation)
            if objects.home is not None:  # every call to the queue on its own comes here (callplan.home)
                here = Segment("", "")
                queue.direct_here(item.id, here, self.compilation)
                self.extensions.append(home.extension(objects, "queue", item.id, here.actions))
        for menu in sorted(objects.ivr_menus.values(), key=lambda m: m.id):
            if menu.extension:
                segment = self._segment(f"menu_{menu.extension}", exact(menu.extension))
                if not self.night_route(segment, menu.night_mode, menu.night_destination):
                    ivr.compile(ivr.Step(id=f"m{menu.id}", type="ivr", menu=menu.id), segment, self.compilation)
        for box in sorted(objects.voicemail_boxes.values(), key=lambda b: b.id):
            if box.extension:
                segment = self._segment(f"box_{box.extension}", exact(box.extension))
                voicemail.compile(voicemail.Step(id=f"b{box.id}", type="voicemail", box=box.id), segment, self.compilation)
        if objects.home is not None:  # every message left in a box goes to its home extension (callplan.home)
            for box in sorted(objects.voicemail_boxes.values(), key=lambda b: b.id):
                actions = box_messages(objects, box)
                if actions is not None:
                    self.extensions.append(home.extension(objects, "voicemail", box.id, actions))
        for room in sorted(objects.conference_rooms.values(), key=lambda r: r.id):
            if room.extension:
                segment = self._segment(f"conference_{room.extension}", exact(room.extension))
                conference.join(segment, objects, room)
            if objects.home is not None:  # every way into the room comes here (callplan.home)
                here = Segment("", "")
                conference.enter(here, objects, room)
                self.extensions.append(home.extension(objects, "conference", room.id, here.actions))
        for page in sorted(objects.page_groups.values(), key=lambda g: g.id):
            if page.extension:
                segment = ConditionalSegment(f"page_{page.extension}", exact(page.extension))
                self.compilation.segments.append(segment)
                paging.page(segment, objects, page)
        for plan in sorted(objects.plans.values(), key=lambda p: p.id):
            internal = [number for number in plan.numbers if not number.startswith("+")]
            if internal:
                segment = self._segment(f"plan_{plan.id}", exact(*internal))
                segment.action("transfer", f"cp{plan.id}_entry XML {objects.domain}")

    def outbound(self) -> None:
        """Calls out: the release PIN, the blocked categories, then through the gateway showing the caller's
        number (${cp_outbound_cid}) and name: the company's name when the company shows it (seed 001 6.4.2),
        else the caller's own. A caller who withholds the number (${cp_withhold}) goes out by its own
        extension, first: anonymous to the called party, the real identity asserted to the carrier."""
        objects, company = self.objects, self.objects.company
        gateway = f"sofia/gateway/{objects.gateway}"
        name = [("set", f"effective_caller_id_name={literal(company.name)}")] if company.show_company_name and company.name.strip() else []
        # $1 belongs to the condition it appears in, so the number is kept before the caller-ID check.
        keep = [("set", "cp_dialled=$1")]

        def send(privacy: str) -> list:
            return [("${cp_outbound_cid}", r"^(\+?[0-9]+|" + outbound.ANONYMOUS + ")$", [
                ("set", "effective_caller_id_number=${cp_outbound_cid}"), *name,
                ("set", "hangup_after_bridge=true"),
                ("bridge", f"{privacy}{gateway}/${{cp_dialled}}"),
            ], [("respond", "403 No outbound number: set the company number")])]
        # A number that is no extension here and no number in the company's country (a short 203) is
        # not in use: FreeSWITCH answers 404 / UNALLOCATED_NUMBER, and the carrier never sees it.
        dialable = outbound.dialable_pattern(company.country)

        def checked(pin: str = "", privacy: str = "") -> list:
            if dialable is None:
                return send(privacy)
            return [("destination_number", "^" + pin + dialable[1:], [], [("hangup", NOT_IN_USE)]), *send(privacy)]

        def both(name: str, expression: str, pin: str = "") -> None:
            # the withheld caller's extension first; for anybody else ${cp_withhold} fails before any
            # action is queued (the number is kept by the condition after it), and FreeSWITCH goes on
            # to the next extension
            self.extension(f"{name}_withheld", expression, [], then=[
                WITHHELD, ("destination_number", expression, keep, []), *checked(pin, WITHHELD_LEG)])
            self.extension(name, expression, keep, then=checked(pin))

        if company.release_pin:
            pin = regex_literal(company.release_pin) + r"\*"
            both("outbound_released", "^" + pin + r"(\+?[0-9]{3,15})$", pin)
        for category, pattern in outbound.blocked_patterns(company, company.country):
            self.extension(f"blocked_{category}", pattern, [("respond", f"403 Blocked by company policy: {category}")])
        both("outbound", r"^(\+?[0-9]{3,15})$")

    # -- the document -------------------------------------------------------------------------

    def records(self) -> list[tuple[str, list]]:
        """Every extension, in order, as (name, [(field, expression, actions, anti_actions)]); once."""
        self.feature_codes()
        self.recording()
        self.emergency()
        self.call_blocking()
        self.users()
        self.groups_queues_menus_boxes()
        self.parking()
        self.outbound()
        # feature codes, emergency and blocking first, then every internal segment, then calls out
        head = [e for e in self.extensions if e[0].startswith(("feature_", "emergency", COMPANY_SCREEN, "blocked_user_"))]
        tail = [e for e in self.extensions if e not in head]
        segments = [(segment.name, [("destination_number", segment.match, segment.actions, []), *getattr(segment, "then", [])])
                    for segment in self.compilation.segments]
        self.valid_until = self.compilation.valid_until
        return head + segments + tail

    def build(self) -> str:
        return context_document(self.objects.domain, self.records(), description="tenant base dialplan")


def compile_base(objects: TenantObjects, at: datetime) -> tuple[str, Optional[datetime]]:
    """The tenant's base dialplan document at `at`, and until when it holds (night mode changes)."""
    base = BaseDialplan(objects, at)
    return base.build(), base.valid_until
