"""Sending a call to a stored destination ({"type": ..., "id"/"number"}): shared by ring groups' "forward
after waiting", IVR key actions and receptions."""

from __future__ import annotations

from callplan import home
from callplan.objects import parking_lot
from callplan.outbound import company_caller_id


def leg(target: str, timeout: int | None, objects) -> str:
    """One bridge leg with its own variables: its ring time, and for calls out through the gateway the
    company number as caller ID. Per leg, so nothing sticks to the channel for later steps."""
    return render_leg(target, timeout, company_caller_id(objects))


def render_leg(target: str, timeout: int | None, shown: str | None) -> str:
    """`leg` with the company's caller ID already looked up (`shown`), for legs rendered when FreeSWITCH
    fetches them (a rotating ring group's)."""
    variables = [f"leg_timeout={int(timeout)}"] if timeout else []
    if target.startswith("sofia/gateway/") and shown:
        variables.append(f"origination_caller_id_number={shown}")
    return (f"[{','.join(variables)}]" if variables else "") + target


def bridge_string(groups: list[tuple[list[str], int | None]], objects, prefix: str = "") -> str:
    """Rounds tried one after the other ("|"), each ringing its targets at once (",")."""
    return prefix + "|".join(",".join(leg(t, timeout, objects) for t in targets) for targets, timeout in groups if targets)


def ring_target(destination: dict | None, objects) -> str | None:
    """A bridge target for destinations that ring a phone (user, a user's extension, external)."""
    if not destination:
        return None
    kind = destination.get("type")
    if kind == "user":
        user = objects.users.get(destination.get("id"))
        return f"user/{user.extension}@{objects.domain}" if user else None
    if kind == "extension" and objects.extensions.get(destination.get("number")) in (None, "user"):
        return f"user/{destination['number']}@{objects.domain}"
    if kind == "external":
        return f"sofia/gateway/{objects.gateway}/{destination['number']}"
    return None


def extension_of(destination: dict | None, objects) -> str | None:
    """The internal number behind a destination that is an object (group, queue, menu, box)."""
    if not destination:
        return None
    kind, ident = destination.get("type"), destination.get("id")
    table = {"ring_group": objects.ring_groups, "queue": objects.queues, "ivr_menu": objects.ivr_menus,
             "voicemail_box": objects.voicemail_boxes, "conference_room": objects.conference_rooms,
             "page_group": objects.page_groups}.get(kind)  # a page group: its number pages the group
    if table is not None and ident in table:
        return table[ident].extension
    if kind == "extension":
        return destination.get("number")
    return None


def personal_box(destination: dict | None, objects):
    """The box a destination names when it is a user's personal box (no number of its own: it is
    reached by its user's extension, which would ring the user instead), else None."""
    if not destination or destination.get("type") != "voicemail_box":
        return None
    box = objects.voicemail_boxes.get(destination.get("id"))
    return box if box is not None and not box.extension and box.user_id in objects.users else None


def box_language(box, objects) -> str:
    """The language a box's prompts speak: a personal box its user's, a company box the company's."""
    user = objects.users.get(box.user_id) if box is not None and box.user_id is not None else None
    return user.language if user is not None else objects.language


def leave_message(segment, objects, number: str, language: str, box=None, greeting=None) -> None:
    """mod_voicemail takes a message for box `number`, speaking `language`: its prompts are phrase
    macros, which FreeSWITCH looks up in the channel's default_language (freeswitch/freeswitch.xml
    defines each language with its sound prefix), then the call ends. The box's voicemail profile
    records at most its longest message (VoicemailBoxInfo.profile). With a home switch the box is the
    home switch's (its mod_voicemail database holds the messages): the call goes to the box's home
    extension (box_messages), carrying the greeting's audio id (`greeting`, already set here as
    voicemail_greeting_path)."""
    if objects.home is not None and box is not None and home_box(box, objects) == (number, language):
        segment.action("set", f"{home.GREETING_VARIABLE}={int(greeting)}" if greeting is not None
                       else f"{home.GREETING_VARIABLE}=")
        home.hand_over(segment, objects, "voicemail", box.id)
        return
    segment.action("set", f"default_language={language}")
    segment.action("voicemail", f"{box.profile if box is not None else 'default'} {objects.domain} {number}")
    segment.action("hangup", "NORMAL_CLEARING")


def box_number(box, objects) -> str | None:
    """mod_voicemail finds a box as a directory user: a company box by its extension, a personal box by its
    user's."""
    if box.extension:
        return box.extension
    user = objects.users.get(box.user_id)
    return user.extension if user else None


def home_box(box, objects) -> tuple[str, str] | None:
    """The mod_voicemail box number and prompt language a box's home extension takes messages with (None:
    it has no number). A message for another number or language (a user whose box is a company box) is
    left where the call is."""
    number = box_number(box, objects)
    return (number, box_language(box, objects)) if number else None


def box_messages(objects, box) -> list | None:
    """The actions of a box's home extension on the home switch (callplan.home, kind "voicemail"): the
    message taken after the greeting the hand-over carried."""
    found = home_box(box, objects)
    if found is None:
        return None
    number, language = found
    return [("set", f"default_language={language}"), ("set", home.greeting_path(objects)),
            ("voicemail", f"{box.profile} {objects.domain} {number}"), ("hangup", "NORMAL_CLEARING")]


def park(segment, objects) -> bool:
    """The "park" destination: the call waits in the first free slot of the company's lot (mod_valet_parking,
    as the park code *70 does, callplan.base_dialplan), where anyone of the company takes it by dialling the
    slot; the portal's Parked now lists it. Nobody parked it, so there is nobody to return it to: when its
    time is up it ends (as a parked call without a known parker). The caller is not told the slot
    (valet_announce_slot): it is for the staff. False while parking is off: nothing is emitted."""
    slots = objects.parking.slots() if objects.parking.enabled else []
    if not slots:
        return False
    if home.hand_over(segment, objects, "parkquiet", 0):  # several switches: the lot is the home switch's
        return True
    park_here(segment, objects)
    return True


def park_here(segment, objects) -> None:
    """The "park" destination's own actions, on the switch that holds the lot."""
    slots = objects.parking.slots()
    segment.action("answer")
    segment.action("set", "cp_parked_at=${strepoch()}")  # the portal's "parked for" (web.domain.parking)
    segment.action("set", "valet_announce_slot=false")
    segment.action("set", f"valet_parking_timeout={int(objects.parking.return_after_s)}")
    segment.action("valet_park", f"{parking_lot(objects.tenant_id)} auto in {int(slots[0])} {int(slots[-1])}")
    segment.action("hangup", "NORMAL_CLEARING")


def fax_user(destination: dict | None, objects):
    """The user a "fax to mail" destination mails its faxes to, when it is one and the user exists."""
    if not destination or destination.get("type") != "fax":
        return None
    return objects.users.get(destination.get("id"))


def ends(destination: dict | None, objects) -> bool:
    """Does emit() take the call away for good (no ringing that can fall through)?"""
    if not destination:
        return False
    kind = destination.get("type")
    if kind == "hang_up":
        return True
    if kind == "park":
        return bool(objects.parking.enabled and objects.parking.slots())
    if kind == "fax":
        return fax_user(destination, objects) is not None
    if ring_target(destination, objects):
        return False
    return bool(extension_of(destination, objects))


def emit(destination: dict | None, segment, compilation) -> bool:
    """Send the call there. True when that ends the call's journey here (transfer, hang up)."""
    objects = compilation.objects
    if not destination:
        return False
    if destination.get("type") == "hang_up":
        segment.action("hangup", "NORMAL_CLEARING")
        return True
    if destination.get("type") == "park":
        return park(segment, objects)
    user = fax_user(destination, objects)
    if user is not None:
        # answered as a fax machine; the bridge mails the PDF to the user's address (fs_bridge/fax.py)
        from callplan.nodes.receive_fax import receive

        receive(segment, f"rxu:{int(user.id)}")
        return True
    target = ring_target(destination, objects)
    if target:
        segment.action("bridge", leg(target, None, objects))
        return False
    room = objects.conference_rooms.get(destination.get("id")) if destination.get("type") == "conference_room" else None
    if room is not None:
        # straight into the room, whether or not it has a number of its own
        from callplan.nodes.conference import join

        join(segment, objects, room)
        return True
    box = personal_box(destination, objects)
    if box is not None:
        # straight into the box: "forward to Anna's voicemail" must not ring Anna
        segment.action("answer")
        if box.greeting_audio_id is not None:
            segment.action("set", f"voicemail_greeting_path={objects.audio_path(box.greeting_audio_id)}")
        leave_message(segment, objects, objects.users[box.user_id].extension, box_language(box, objects), box,
                      box.greeting_audio_id)
        return True
    extension = extension_of(destination, objects)
    if extension:
        segment.action("transfer", f"{extension} XML {objects.domain}")
        return True
    return False


def simulate(destination: dict | None, simulation, step) -> bool:
    """Walk the destination; `step` is the ringing step that answers it if the caller said it does."""
    if not destination:
        return False
    if destination.get("type") == "hang_up":
        simulation.outcome = "hung_up:NORMAL_CLEARING"
        return True
    if destination.get("type") == "park":
        if not ends(destination, simulation.objects):
            return False
        simulation.outcome = "parked"
        return True
    if fax_user(destination, simulation.objects) is not None:
        simulation.outcome = "fax"
        return True
    if ring_target(destination, simulation.objects):
        return simulation.answered(step)
    if destination.get("type") == "conference_room" and destination.get("id") in simulation.objects.conference_rooms:
        simulation.outcome = f"conference:{destination['id']}"
        return True
    box = personal_box(destination, simulation.objects)
    if box is not None:
        simulation.outcome = f"voicemail:{simulation.objects.users[box.user_id].extension}"
        return True
    extension = extension_of(destination, simulation.objects)
    if extension:
        simulation.outcome = f"transferred:{extension}"
        return True
    return False
