"""What the compiler, validator and simulator know of a tenant: a plain snapshot of its objects, made
by the web side from the database (web/domain/callplan_snapshot.py) and passed in, so callplan/ stays pure."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Optional
from zoneinfo import available_timezones

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

# The web validates all of these when they are written; the engine checks again what it writes into
# dialplan data, so a snapshot built some other way can never smuggle "1,evil" or "${...}" into a bridge.
Extension = Annotated[str, StringConstraints(pattern=r"^[0-9]{2,4}$")]
SipUser = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_.-]{1,64}$")]
Domain = Annotated[str, StringConstraints(max_length=253, pattern=r"^[a-z0-9-]{1,63}(\.[a-z0-9-]{1,63})+$")]
Token = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
E164 = Annotated[str, StringConstraints(pattern=r"^\+[1-9][0-9]{5,14}$")]
FeatureCode = Annotated[str, StringConstraints(pattern=r"^[*#][0-9*#]{1,5}$")]
Directory = Annotated[str, StringConstraints(pattern=r"^/[A-Za-z0-9_./-]{0,400}$")]
# the prompt languages FreeSWITCH speaks in (freeswitch/freeswitch.xml's <language> names)
Language = Annotated[str, StringConstraints(pattern=r"^(en|nl)$")]


@lru_cache(maxsize=1)
def _zones() -> frozenset:
    return frozenset(available_timezones())


def _zone(value: str) -> str:
    if value not in _zones():
        raise ValueError("unknown time zone")
    return value


Zone = Annotated[str, AfterValidator(_zone)]


class _Info(BaseModel):
    model_config = ConfigDict(extra="ignore")


class UserInfo(_Info):
    id: int
    extension: Extension
    name: str
    forwarding: dict = {}
    anywhere: dict = {}
    voicemail: dict = {}
    dnd: bool = False
    voicemail_box_id: Optional[int] = None
    caller_id_mode: str = "company"  # company | own | department
    withhold_caller_id: bool = False
    call_waiting: bool = True  # off: a second call while on the phone is treated as busy
    department_id: Optional[int] = None
    direct_number: Optional[E164] = None
    night_mode: str = "follow"  # follow | on | off
    language: Language = "nl"  # voicemail and system prompts: callers to the user's box, the user's own calls
    hot_desking: bool = False  # may log in on a hot-desking phone (web.models.hot_desk)
    call_blocking: dict = {}  # callers from outside the user does not take (callplan.blocking)
    recording: str = "off"  # off | always | on_demand (callplan.recording)


class CompanyInfo(_Info):
    """Company settings the dialplan needs (seed 001 6.3)."""

    name: str = ""  # the company's name: the caller ID name of calls out with show_company_name
    show_company_name: bool = True
    number_display: str = "company"  # company | personal: what users in caller ID mode "company" show
    night_mode: str = "off"  # off | on | auto
    night_schedule_id: Optional[int] = None
    night_holiday_schedule_id: Optional[int] = None
    night_destination: Optional[dict] = None
    block_international: bool = False
    block_mobile: bool = False
    block_premium: bool = True  # all of the ranges below (the company settings' shortcut)
    block_premium_0900: bool = True
    block_premium_0906: bool = True
    block_premium_0909: bool = True
    block_premium_090x: bool = True  # Belgium's other 090x ranges
    release_pin: Optional[Annotated[str, StringConstraints(pattern=r"^[0-9]{4,8}$")]] = None
    country: str = "NL"  # ISO code the company number belongs to: what "international" means
    music_on_hold_audio_id: Optional[int] = None  # what a caller put on hold hears (none: FreeSWITCH's own)
    call_blocking: dict = {}  # callers from outside the company does not take (callplan.blocking)
    recording_announcement_audio_id: Optional[int] = None  # "this call is recorded" (callplan.recording)

    @model_validator(mode="before")
    @classmethod
    def _premium_shortcut(cls, data):
        """Only the shortcut given (a settings row from before the ranges were separate): every range
        follows it."""
        ranges = ("block_premium_0900", "block_premium_0906", "block_premium_0909", "block_premium_090x")
        if isinstance(data, dict) and "block_premium" in data and not any(name in data for name in ranges):
            data = {**data, **{name: data["block_premium"] for name in ranges}}
        return data


class DepartmentInfo(_Info):
    id: int
    name: str = ""
    caller_id_number: Optional[E164] = None


class RingGroupInfo(_Info):
    id: int
    name: str
    display_name: str = ""
    extension: Optional[Extension] = None
    strategy: str = "simultaneous"
    members: list[dict] = []
    member_ring_time_s: int = 20
    total_timeout_s: int = 60
    busy_members: str = "skip"
    forward_after: Optional[dict] = None
    night_mode: str = "follow"
    night_destination: Optional[dict] = None


class QueueInfo(_Info):
    id: int
    name: str
    extension: Optional[Extension] = None
    max_wait_s: int = 300
    after_wait: Optional[dict] = None  # called on the queue itself: where the call goes after max_wait_s
    music_on_hold_audio_id: Optional[int] = None  # its agents' held callers hear it (else the company's)
    record_calls: bool = False  # recorded from the moment an agent takes a call (callplan.recording)


class IvrMenuInfo(_Info):
    id: int
    name: str
    extension: Optional[Extension] = None
    greeting_audio_id: Optional[int] = None
    timeout_s: int = 5
    attempts: int = 3
    dial_by_name_order: str = "last_first"  # last_first | first_last: what a caller spells first
    keys: dict = {}
    reception: Optional[dict] = None
    # outside schedule_id (or on a day of holiday_schedule_id) its greeting_audio_id and keys apply
    after_hours: Optional[dict] = None
    night_mode: str = "follow"
    night_destination: Optional[dict] = None


DEFAULT_MESSAGE_S = 180  # a box's longest message unless set: the "default" profile's max-record-len
MAX_MESSAGE_S = 1000  # what mod_voicemail accepts as max-record-len
VOICEMAIL_PROFILE_PREFIX = "max"  # a profile per length: "max60"


class VoicemailBoxInfo(_Info):
    id: int
    name: str = ""
    extension: Optional[Extension] = None
    user_id: Optional[int] = None
    greeting_audio_id: Optional[int] = None
    max_message_s: int = DEFAULT_MESSAGE_S  # the longest message mod_voicemail records
    announce_only: bool = False  # the greeting is played, no message taken

    @property
    def profile(self) -> str:
        """The mod_voicemail profile that records this box's messages: mod_voicemail takes the longest
        message from its profile's max-record-len only (no channel variable), so each length has a
        profile of its own, served by the app (web/xml_curl/configuration.py: voicemail.conf) as copies
        of "default" sharing its storage and database. "default" (freeswitch/autoload_configs/voicemail.conf.xml)
        has the default length, and is the only one when the app does not answer."""
        seconds = min(int(self.max_message_s), MAX_MESSAGE_S)
        return "default" if seconds == DEFAULT_MESSAGE_S else f"{VOICEMAIL_PROFILE_PREFIX}{seconds}"


CONFERENCE_PROFILE = "callplan"  # freeswitch/autoload_configs/conference.conf.xml
Pin = Annotated[str, StringConstraints(pattern=r"^[0-9]{3,8}$")]


class ConferenceRoomInfo(_Info):
    id: int
    name: str = ""
    extension: Optional[Extension] = None
    pin: Optional[Pin] = None  # participants; None: anyone may enter
    moderator_pin: Optional[Pin] = None  # whoever enters it is the room's moderator
    max_members: int = 0  # 0: no limit


def conference_name(tenant_id: int, room_id: int) -> str:
    """The room's mod_conference name: conference names are global to the switch, so the tenant's id is
    part of it and two companies' rooms never meet."""
    return f"t{int(tenant_id)}-{int(room_id)}"


PARK_RETURN_PREFIX = "park_return_"  # the extension a parked call that nobody took goes back through


class ParkingInfo(_Info):
    """The company's parking lot (web.models.parking): slots first..last, in mod_valet_parking's lot
    parking_lot(tenant_id)."""

    enabled: bool = False
    first_slot: Extension = "701"
    last_slot: Extension = "709"
    return_after_s: int = 120

    def slots(self) -> list[str]:
        if len(self.first_slot) != len(self.last_slot) or int(self.first_slot) > int(self.last_slot):
            return []
        width = len(self.first_slot)
        return [str(n).zfill(width) for n in range(int(self.first_slot), int(self.last_slot) + 1)]


def parking_lot(tenant_id: int) -> str:
    """The company's mod_valet_parking lot: lots are global to the switch, so the tenant's id is in the
    name and one company's slot 701 is never another's."""
    return f"t{int(tenant_id)}-park"
class PageGroupInfo(_Info):
    """A page group (callplan.paging): its number and members ({"type": "user"|"device", "id"})."""

    id: int
    name: str = ""
    extension: Optional[Extension] = None
    members: list[dict] = []


class ScheduleInfo(_Info):
    id: int
    name: str = ""
    periods: list = []


class HolidayInfo(_Info):
    id: int
    name: str = ""
    entries: list = []


class AudioInfo(_Info):
    id: int
    name: str = ""


class DeviceInfo(_Info):
    id: int
    sip_username: SipUser
    user_id: Optional[int] = None
    brand: str = "generic"  # which auto-answer header it understands (callplan.paging)
    hot_desking: bool = False  # users allowed to hot-desk may log in on it


class FeatureCodeInfo(_Info):
    function: str
    code: FeatureCode


class PlanInfo(_Info):
    """Another plan of the tenant, as far as transfers and number checks need it."""

    id: int
    name: str
    numbers: list[str] = []
    transfers_to: list[int] = []  # plans its published version transfers to


class Skipped(_Info):
    """Something the snapshot left out because a stored value of it no longer validates (see
    web.domain.stored_rows): an object, or one value of the company (`object_kept`). The validator names
    it where a plan uses it; calls go on without it."""

    kind: str  # as the validator's reference kinds ("user", "ring_group", ...), or "department", "device", "company" ...
    id: Optional[int] = None
    name: str = ""
    pointer: str = ""  # the first field at fault, e.g. "/extension"
    message: str = ""
    object_kept: bool = False  # only that value was left out (a company setting falls back to its default)


class HomeSwitchInfo(_Info):
    """The switch holding what lives in one switch's memory (conference rooms, ...), when there are several
    (web.domain.switches.home; callplan.home hands calls to it)."""

    name: Token  # its CALLPLAN_SWITCH_NAME, as its own vars.xml names it (callplan_switch_name)
    address: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9.:\[\]-]{1,100}:[0-9]{1,5}$")]  # its external profile
    handover_key: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]  # what a hand-over carries to be let in


class TenantObjects(_Info):
    tenant_id: int
    domain: Domain  # the SIP domain, also the dialplan context name
    timezone: Zone = "Europe/Amsterdam"
    language: Language = "nl"  # the company's: prompts of its own boxes
    audio_dir: Directory = "/var/lib/callplan/audio"
    gateway: Token = "default"  # sofia gateway for outbound calls
    company_number: Optional[E164] = None  # as stored: callplan.outbound decides what calls show
    # the numbers the company may show on calls out (its own and those verified for it); None: unchecked
    caller_ids: Optional[frozenset[str]] = None
    company: CompanyInfo = Field(default_factory=CompanyInfo)
    departments: dict[int, DepartmentInfo] = Field(default_factory=dict)
    feature_codes: dict[str, FeatureCode] = Field(default_factory=dict)  # function -> code (enabled ones)
    pickup_groups: dict[int, list[int]] = Field(default_factory=dict)  # group id -> user ids
    users: dict[int, UserInfo] = Field(default_factory=dict)
    devices: dict[int, DeviceInfo] = Field(default_factory=dict)
    ring_groups: dict[int, RingGroupInfo] = Field(default_factory=dict)
    queues: dict[int, QueueInfo] = Field(default_factory=dict)
    ivr_menus: dict[int, IvrMenuInfo] = Field(default_factory=dict)
    voicemail_boxes: dict[int, VoicemailBoxInfo] = Field(default_factory=dict)
    conference_rooms: dict[int, ConferenceRoomInfo] = Field(default_factory=dict)
    parking: ParkingInfo = Field(default_factory=ParkingInfo)
    page_groups: dict[int, PageGroupInfo] = Field(default_factory=dict)
    # the app's own prompts rendered in the company's language (web/domain/prompts.py): name -> file
    prompts: dict[Token, Annotated[str, StringConstraints(pattern=r"^/[A-Za-z0-9_./-]{1,400}\.wav$")]] = \
        Field(default_factory=dict)
    schedules: dict[int, ScheduleInfo] = Field(default_factory=dict)
    holidays: dict[int, HolidayInfo] = Field(default_factory=dict)
    audio: dict[int, AudioInfo] = Field(default_factory=dict)
    plans: dict[int, PlanInfo] = Field(default_factory=dict)
    extensions: dict[str, str] = Field(default_factory=dict)  # internal number -> owner kind
    home: Optional[HomeSwitchInfo] = None  # several switches with a home switch: calls for its services go there
    blocked_numbers: list[str] = Field(default_factory=list)  # the phonebook's contacts marked blocked
    # ring-group state kept by the bridge: group id -> member index that took the last call (circular)
    # and member key ("user:5") -> epoch seconds its last call ended (uniform: the smallest is idle longest)
    last_answered: dict[int, int] = Field(default_factory=dict)
    idle_since: dict[str, float] = Field(default_factory=dict)
    skipped: list[Skipped] = Field(default_factory=list)

    def skipped_object(self, kind: str, ident) -> Optional[Skipped]:
        return next((item for item in self.skipped if item.kind == kind and item.id == ident and not item.object_kept), None)

    def audio_path(self, audio_id: int) -> str:
        # The 16 kHz file: FreeSWITCH resamples it for narrowband calls.
        return f"{self.audio_dir}/{int(self.tenant_id)}/16000/{int(audio_id)}.wav"
