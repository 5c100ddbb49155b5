"""ivr: plays a menu's greeting and reads one key; each key carries the call on. Nothing runs after it.

The menu (web: IVR menus) gives the greeting, the wait, the attempts and its own key actions; the step
may give a key a nested list of steps, which then wins for that key (the canvas draws every key of the
menu as a branch of the step, with the menu's action or the plan's steps). A key's empty list gives it no
steps: the menu's action applies, as when the key is not in the step at all (own_steps). FreeSWITCH's play_and_get_digits
asks up to `attempts` times, accepting only the keys in use; a valid key transfers to that key's segment.
When the attempts run out it transfers to the failure segment, which goes to the `invalid` list if any
wrong key was pressed during the attempts (FreeSWITCH keeps it in cp_digit_invalid) and to `no_input`
otherwise. An empty invalid/no_input list means the menu's reception, else hang up.

Out of hours (seed 001 6.8.2): a menu with an `after_hours` variant plays that variant's greeting (the
menu's own when it has none) and offers that variant's keys, outside the variant's schedule or on a day of
its holiday schedule. Decided when the dialplan is fetched, as time conditions are (time_condition.decided),
so only the variant in force is compiled. The plan's own steps for a key belong to the menu's normal keys
(the canvas draws them there): out of hours only the variant's keys apply; no_input and invalid still do.

Dial by name: mod_directory (profile "default", freeswitch/autoload_configs/directory.conf.xml) reads the
company's users from the directory (web.xml_curl.directory answers the whole domain), the caller spells
the first or the last name first as the menu's `dial_by_name_order` says, and chooses a colleague, who is
then called by extension. A caller who chooses nobody goes to the reception (callplan.directory mirrors
the search for the simulator)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import field_validator

from callplan import destinations, directory
from callplan.model import StepBase
from callplan.nodes import time_condition

TYPE = "ivr"
RINGS = False
TERMINAL = True
KEYS = "0123456789*#"
TRANSFERRING = "ivr/ivr-hold_connect_call.wav"
SILENCE = "silence_stream://250"


class Step(StepBase):
    type: Literal["ivr"]
    menu: int
    keys: dict[str, "Steps"] = {}
    no_input: "Steps" = []
    invalid: "Steps" = []

    @field_validator("keys")
    @classmethod
    def _keys(cls, value):
        wrong = [key for key in value if key not in KEYS or len(key) != 1]
        if wrong:
            raise ValueError(f"keys are 0-9, * and #; not {', '.join(map(repr, wrong))}")
        return value

    def branches(self):
        return [(f"/keys/{key}", steps) for key, steps in self.keys.items()] + [
            ("/no_input", self.no_input), ("/invalid", self.invalid)]


def own_steps(step: Step, key: str) -> list:
    """The plan's own steps for `key`, which win over the menu's action for it; [] when it has none."""
    return step.keys.get(key) or []


def after_hours(menu, is_open) -> dict | None:
    """The menu's out-of-hours variant when it is in force (outside its schedule, or on a holiday), else
    None; `is_open(schedule, holidays)` decides (the compilation's decision, or the simulated instant's)."""
    variant = menu.after_hours
    if not variant or variant.get("schedule_id") is None:
        return None
    return None if is_open(variant["schedule_id"], variant.get("holiday_schedule_id")) else variant


def greeting_of(menu, closed: dict | None):
    if closed is not None and closed.get("greeting_audio_id") is not None:
        return closed["greeting_audio_id"]
    return menu.greeting_audio_id


def actions_of(menu, closed: dict | None) -> dict:
    """key -> the menu's action for it, in the variant in force."""
    return ((closed.get("keys") if closed is not None else menu.keys) or {})


def steps_for(step: Step, key: str, closed: dict | None) -> list:
    """The plan's own steps for `key`; none out of hours (they belong to the menu's normal keys)."""
    return [] if closed is not None else own_steps(step, key)


def menu_keys(step: Step, menu, closed: dict | None = None) -> list[str]:
    """Keys that do something: the step's own (non-empty) lists and the menu's actions."""
    keys = {key for key in step.keys if steps_for(step, key, closed)} | {
        key for key, action in actions_of(menu, closed).items() if action.get("action")}
    return [key for key in KEYS if key in keys]


_ESCAPED_KEYS = {key: re.escape(key) for key in KEYS}


def key_regex(keys: list[str]) -> str:
    return "^[" + "".join([_ESCAPED_KEYS.get(key) or re.escape(key) for key in keys]) + "]$" if keys else "^$"


def compile(step: Step, segment, compilation) -> bool:
    objects = compilation.objects
    menu = objects.ivr_menus.get(step.menu)
    if menu is None:
        segment.action("hangup", "UNALLOCATED_NUMBER")
        return True
    closed = after_hours(menu, lambda schedule, holidays: time_condition.decided(compilation, schedule, holidays))
    ask = compilation.new_segment(step.id, "menu")
    compilation.transfer(segment, ask)
    keys = menu_keys(step, menu, closed)
    failed = compilation.new_segment(step.id, "failed")
    greeting_id = greeting_of(menu, closed)
    greeting = objects.audio_path(greeting_id) if greeting_id is not None else SILENCE
    ask.action("answer")
    ask.action("set", "cp_digit_invalid=")
    # min max tries timeout terminators prompt bad-input-prompt var regex digit-timeout on-failure
    ask.action("play_and_get_digits", " ".join([
        "1", "1", str(menu.attempts), str(menu.timeout_s * 1000), "none", greeting, SILENCE, "cp_digit",
        key_regex(keys), "2000", f"{failed.name} XML {objects.domain}",
    ]))
    ask.action("transfer", f"{compilation.segment_name(step.id, 'key')}_${{cp_digit}} XML {objects.domain}")
    for key in keys:
        # no mark here: the step was marked where the call reached it, and the path names it once
        branch = compilation.new_segment(step.id, "key", key)
        own = steps_for(step, key, closed)
        if own:
            compilation.finish(branch, own)
        else:
            _menu_action(step, menu, actions_of(menu, closed)[key], branch, compilation, (menu.id, closed is None, key))
    # failure: "<failed>_" is no input, "<failed>_<digits>" an invalid key
    failed.action("transfer", f"{failed.name}_${{cp_digit_invalid}} XML {objects.domain}")
    no_input = compilation.new_segment(step.id, "failed", "")
    invalid = compilation.new_segment(step.id, "failed", "x")
    # only DTMF after the separator: a nested step whose id starts with "failed_" must not match here
    invalid.match = "^" + re.escape(failed.name + "_") + "[0-9A-D*#]+$"
    for branch, steps in ((no_input, step.no_input), (invalid, step.invalid)):
        if steps:
            compilation.finish(branch, steps)
        elif not destinations.emit(menu.reception, branch, compilation):
            branch.action("hangup", "NORMAL_CLEARING")
    return True


# Key actions whose dialplan names the step's own menu segment; any other is the same wherever the menu is
# used, so it is made once per document (Compilation.memo) and copied.
_PER_STEP = frozenset({"dial_by_extension", "play_message", "repeat"})


def _menu_action(step, menu, action: dict, branch, compilation, where: tuple) -> None:
    """The actions of one of the menu's keys (`where`: menu, in hours?, key) into `branch`."""
    if action.get("action") in _PER_STEP:
        _emit_menu_action(step, menu, action, branch, compilation)
        return
    memo, key = compilation.memo, ("ivr_action", *where)
    made = memo.get(key)
    if made is None:
        start = len(branch.actions)
        _emit_menu_action(step, menu, action, branch, compilation)
        memo[key] = branch.actions[start:]
    else:
        branch.actions += made


def _emit_menu_action(step, menu, action: dict, branch, compilation) -> None:
    objects = compilation.objects
    kind = action.get("action")
    if kind == "forward_announced":
        branch.action("playback", TRANSFERRING)
    if kind in ("forward", "forward_announced"):
        ended = destinations.emit(action.get("destination"), branch, compilation)
    elif kind == "reception":
        ended = destinations.emit(menu.reception, branch, compilation)
    elif kind == "dial_by_extension":
        menu_again = f"{compilation.segment_name(step.id, 'menu')} XML {objects.domain}"
        branch.action("play_and_get_digits", f"2 4 3 5000 # {SILENCE} {SILENCE} cp_dialled ^[0-9]{{2,4}}$ 3000 {menu_again}")
        branch.action("transfer", f"${{cp_dialled}} XML {objects.domain}")
        ended = True
    elif kind == "play_message":
        if action.get("audio_id") is not None:
            branch.action("playback", objects.audio_path(action["audio_id"]))
        branch.action("transfer", f"{compilation.segment_name(step.id, 'menu')} XML {objects.domain}")
        ended = True
    elif kind == "repeat":
        branch.action("transfer", f"{compilation.segment_name(step.id, 'menu')} XML {objects.domain}")
        ended = True
    elif kind == "dial_by_name":
        # mod_directory transfers to the chosen colleague's extension in the company's context; when the
        # caller chose nobody it returns, and the call goes on to the reception
        branch.action("set", f"directory_search_order={directory.search_order(menu.dial_by_name_order)}")
        branch.action("directory", f"{directory.PROFILE} {objects.domain} {objects.domain}")
        ended = destinations.emit(menu.reception, branch, compilation)
    else:  # hang_up
        branch.action("hangup", "NORMAL_CLEARING")
        ended = True
    if not ended:
        branch.action("hangup", "NORMAL_CLEARING")


def simulate(step: Step, simulation) -> bool:
    menu = simulation.objects.ivr_menus.get(step.menu)
    if menu is None:
        simulation.outcome = "hung_up:UNALLOCATED_NUMBER"
        return True
    objects, at = simulation.objects, simulation.at
    closed = after_hours(menu, lambda schedule, holidays: time_condition.decide((schedule, holidays), objects, at)[0])
    keys = menu_keys(step, menu, closed)
    wrong_key = False
    for _ in range(menu.attempts):
        key = simulation.next_key()
        if key in keys:  # the step is in the path once already (Simulation.run), as in the compiled marks
            if steps_for(step, key, closed):
                simulation.finish(steps_for(step, key, closed))
            else:
                _simulate_action(step, menu, actions_of(menu, closed)[key], simulation)
            return True
        wrong_key = wrong_key or key != ""
    steps = step.invalid if wrong_key else step.no_input
    if steps:
        simulation.finish(steps)
    elif not destinations.simulate(menu.reception, simulation, step):
        simulation.outcome = simulation.outcome or "hung_up:NORMAL_CLEARING"
    return True


def _simulate_action(step, menu, action: dict, simulation) -> None:
    kind = action.get("action")
    if kind in ("forward", "forward_announced"):
        target = action.get("destination")
    elif kind == "reception":
        target = menu.reception
    elif kind == "dial_by_name":
        chosen = directory.simulate_search(simulation, menu.dial_by_name_order)
        if chosen is not None:
            simulation.outcome = f"transferred:{chosen.extension}"
            return
        target = menu.reception
    elif kind in ("repeat", "play_message"):
        simulate(step, simulation)
        return
    elif kind == "dial_by_extension":
        # the caller's next inputs are the digits dialled (3 tries, as the compiled prompt asks);
        # nothing valid sends the caller back to the menu
        for _ in range(3):
            dialled = simulation.next_key()
            if re.fullmatch(r"[0-9]{2,4}", dialled):
                simulation.outcome = f"transferred:{dialled}"
                return
        simulate(step, simulation)
        return
    else:
        simulation.outcome = "hung_up:NORMAL_CLEARING"
        return
    if not destinations.simulate(target, simulation, step):
        simulation.outcome = "hung_up:NORMAL_CLEARING"


def references(step: Step):
    yield "/menu", "ivr_menu", step.menu
