"""receive_fax: the call is a fax. FreeSWITCH answers with mod_spandsp's rxfax, which writes the pages as
a TIFF into the fax folder it shares with the app (`${callplan_fax_dir}`, freeswitch/vars.xml, a global
variable the channel reads); the bridge, when the call hangs up, records the fax (status, pages, the
sender's station id) and mails it as a PDF to the step's addresses (fs_bridge/fax.py). Nothing runs after
it: the fax call ends when the fax is done.

T.30 over G.711 works with any carrier; T.38 is used when the other side asks for it with a re-INVITE
(fax_enable_t38), and never asked for from our side (fax_enable_t38_request stays off), since a carrier
or phone that cannot do T.38 would otherwise drop the call instead of carrying on in G.711."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from callplan.model import StepBase
from callplan.text import email_address

TYPE = "receive_fax"
RINGS = False
TERMINAL = True
Address = Annotated[str, AfterValidator(email_address)]
# what a fax machine shows as our ident (T.30 CSI): 20 characters of digits, "+" and spaces
STATION_ID = r"^[0-9+ ]{0,20}$"


class Step(StepBase):
    type: Literal["receive_fax"]
    mail_to: list[Address] = Field(default=[], max_length=20)  # who gets each fax as a PDF
    station_id: str = Field(default="", pattern=STATION_ID)  # empty: the number the fax was sent to


def compile(step: Step, segment, compilation) -> bool:
    # Only ids go on the channel; the bridge reads the addresses from the plan version, as the e-mail step's
    receive(segment, f"rx:{compilation.plan_id}:{compilation.version}:{step.id}", step.station_id)
    return True


def receive(segment, mark: str, station_id: str = "") -> None:
    """Answer the call as a fax machine; `mark` (cp_fax) tells the bridge whom to mail it to: rx:<plan>:
    <version>:<step> for this step, rxu:<user id> for a "fax to mail" destination (callplan.destinations)."""
    segment.action("set", f"cp_fax={mark}")
    segment.action("set", "cp_fax_file=rx-${uuid}.tif")
    segment.action("set", f"fax_ident={station_id.strip()}" if station_id.strip() else "fax_ident=${destination_number}")
    segment.action("set", "fax_enable_t38=true")
    segment.action("set", "fax_enable_t38_request=false")
    # answered in G.711 only: fax tones do not survive a compressing codec such as Opus
    segment.action("set", "absolute_codec_string=PCMU,PCMA")
    segment.action("answer")
    segment.action("playback", "silence_stream://1000")  # the sender's machine hears the line open first
    segment.action("rxfax", "${callplan_fax_dir}/${cp_fax_file}")
    segment.action("hangup", "NORMAL_CLEARING")


def simulate(step: Step, simulation) -> bool:
    simulation.outcome = "fax"
    return True


def references(step: Step):
    return ()
