"""What the compiler, validator and simulator know of a tenant: a plain snapshot of its objects, made
by the web side from the database (web/callplan_snapshot.py) and passed in, so callplan/ stays pure."""

from __future__ import annotations

from typing import Optional

from pydantic import BaseModel, ConfigDict, Field


class _Info(BaseModel):
    model_config = ConfigDict(extra="ignore")


class UserInfo(_Info):
    id: int
    extension: str
    name: str
    forwarding: dict = {}
    anywhere: dict = {}
    voicemail: dict = {}
    dnd: bool = False
    voicemail_box_id: Optional[int] = None
    caller_id_mode: str = "company"  # company | own | department
    withhold_caller_id: bool = False
    department_id: Optional[int] = None
    direct_number: Optional[str] = None
    night_mode: str = "follow"  # follow | on | off


class CompanyInfo(_Info):
    """Company settings the dialplan needs (seed 001 6.3)."""

    night_mode: str = "off"  # off | on | auto
    night_schedule_id: Optional[int] = None
    night_holiday_schedule_id: Optional[int] = None
    night_destination: Optional[dict] = None
    block_international: bool = False
    block_mobile: bool = False
    block_premium: bool = True
    release_pin: Optional[str] = None
    country: str = "NL"  # ISO code the company number belongs to: what "international" means


class DepartmentInfo(_Info):
    id: int
    name: str = ""
    caller_id_number: Optional[str] = None


class RingGroupInfo(_Info):
    id: int
    name: str
    display_name: str = ""
    extension: Optional[str] = None
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
    extension: Optional[str] = None
    max_wait_s: int = 300


class IvrMenuInfo(_Info):
    id: int
    name: str
    extension: Optional[str] = None
    greeting_audio_id: Optional[int] = None
    timeout_s: int = 5
    attempts: int = 3
    dial_by_name_order: str = "last_first"
    keys: dict = {}
    reception: Optional[dict] = None
    night_mode: str = "follow"
    night_destination: Optional[dict] = None


class VoicemailBoxInfo(_Info):
    id: int
    name: str = ""
    extension: Optional[str] = None
    user_id: Optional[int] = None
    greeting_audio_id: Optional[int] = None


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
    sip_username: str
    user_id: Optional[int] = None


class PlanInfo(_Info):
    """Another plan of the tenant, as far as transfers and number checks need it."""

    id: int
    name: str
    numbers: list[str] = []
    transfers_to: list[int] = []  # plans its published version transfers to


class TenantObjects(_Info):
    tenant_id: int
    domain: str  # the SIP domain, also the dialplan context name
    timezone: str = "Europe/Amsterdam"
    audio_dir: str = "/var/lib/callplan/audio"
    gateway: str = "default"  # sofia gateway for outbound calls
    company_number: Optional[str] = None
    company: CompanyInfo = Field(default_factory=CompanyInfo)
    departments: dict[int, DepartmentInfo] = Field(default_factory=dict)
    feature_codes: dict[str, str] = Field(default_factory=dict)  # function -> code (enabled ones)
    pickup_groups: dict[int, list[int]] = Field(default_factory=dict)  # group id -> user ids
    users: dict[int, UserInfo] = Field(default_factory=dict)
    devices: dict[int, DeviceInfo] = Field(default_factory=dict)
    ring_groups: dict[int, RingGroupInfo] = Field(default_factory=dict)
    queues: dict[int, QueueInfo] = Field(default_factory=dict)
    ivr_menus: dict[int, IvrMenuInfo] = Field(default_factory=dict)
    voicemail_boxes: dict[int, VoicemailBoxInfo] = Field(default_factory=dict)
    schedules: dict[int, ScheduleInfo] = Field(default_factory=dict)
    holidays: dict[int, HolidayInfo] = Field(default_factory=dict)
    audio: dict[int, AudioInfo] = Field(default_factory=dict)
    plans: dict[int, PlanInfo] = Field(default_factory=dict)
    extensions: dict[str, str] = Field(default_factory=dict)  # internal number -> owner kind
    # ring-group state kept by the bridge: group id -> member index that took the last call (circular)
    # and member key -> seconds since its last call (uniform)
    last_answered: dict[int, int] = Field(default_factory=dict)
    idle_since: dict[str, float] = Field(default_factory=dict)

    def audio_path(self, audio_id: int) -> str:
        # The 16 kHz file: FreeSWITCH resamples it for narrowband calls.
        return f"{self.audio_dir}/{int(self.tenant_id)}/16000/{int(audio_id)}.wav"
