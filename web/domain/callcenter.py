"""Keeping mod_callcenter in step with the database (#16 item 4).

mod_callcenter reads callcenter.conf (web/xml_curl/configuration.py) whole only when it loads, and again
for one queue on demand at that queue's first call; that path loads neither agents nor tiers, so a queue
made after FreeSWITCH started never rang its agents. Every change is therefore told to it, after the
commit (FreeSWITCH fetches the new callcenter.conf from the app):

- a queue created or changed: `callcenter_config queue load|reload` of the queue and of every variant of
  it FreeSWITCH holds (q<id>w<wait>@domain, a plan's queue step with its own wait). A load reads the
  queue's parameters, every agent of the file (type, contact, timings, the status to hold now) and every
  tier, so new agents and tiers come with it;
- a tier removed: `callcenter_config tier del <queue> <agent>` (a load adds and updates tiers, it never
  removes one);
- a queue deleted: its tiers deleted and the queue unloaded;
- an agent's status set: `callcenter_config agent reload <agent>` first (an agent FreeSWITCH has not
  loaded yet would answer "Agent not found"), then the status.

What FreeSWITCH answered is reported as it is: a reply "-ERR ..." is a refusal, named with its command."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Iterable, Optional

log = logging.getLogger("web.domain.callcenter")

ESL_TIMEOUT = 5.0  # a load makes FreeSWITCH fetch callcenter.conf from the app


@dataclass
class SwitchReport:
    """What telling FreeSWITCH came to: applied (every command taken), or why not."""

    applied: bool
    reachable: bool = True  # at least one switch was told (the others are named in `unreachable`)
    refused: list[dict] = field(default_factory=list)  # {"command", "reply"} of each refused command
    # the switches that could not be told (several switches: the others were); logged, not shown to
    # companies, which never see which switch is which
    unreachable: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"applied": self.applied, "reachable": self.reachable, "refused": self.refused}  # no switch names


def queue_name(queue_id: int, domain: str) -> str:
    return f"q{queue_id}@{domain}"


def agent_name(user_id: int, domain: str) -> str:
    return f"u{user_id}@{domain}"


def loaded_queues(listing: str) -> set[str]:
    """The names in `callcenter_config queue list`'s answer (a header line, one line per queue, +OK)."""
    lines = [line for line in listing.splitlines() if "|" in line]
    return {line.split("|", 1)[0] for line in lines[1:]}


def names_of(queue_id: int, domain: str, loaded: Iterable[str]) -> list[str]:
    """The queue's own name and the variants of it FreeSWITCH holds."""
    variant = re.compile(rf"q{queue_id}w[0-9]+@{re.escape(domain)}")
    return [queue_name(queue_id, domain)] + sorted(name for name in loaded if variant.fullmatch(name))


def queue_commands(queue_id: int, domain: str, loaded: set[str], removed_users: Iterable[int] = (),
                   deleted: bool = False, all_users: Iterable[int] = ()) -> list[str]:
    names = names_of(queue_id, domain, loaded)
    if deleted:
        return ([f"callcenter_config tier del {name} {agent_name(user, domain)}" for name in names for user in all_users]
                + [f"callcenter_config queue unload {name}" for name in names if name in loaded])
    commands = [f"callcenter_config queue {'reload' if name in loaded else 'load'} {name}" for name in names]
    commands += [f"callcenter_config tier del {name} {agent_name(user, domain)}"
                 for name in names for user in sorted(set(removed_users))]
    return commands


def report_of(answers, plan: list[list[str]]) -> SwitchReport:
    """One report of several switches' answers (`plan`: the commands each was sent)."""
    reached = [answer for answer in answers if answer.reached]
    refused: list[dict] = []
    for answer, commands in zip(answers, plan):
        for command, reply in zip(commands, answer.replies):
            item = {"command": command, "reply": reply.strip()}
            if reply.lstrip().startswith("-ERR") and item not in refused:
                log.warning("FreeSWITCH %s refused %r: %s", answer.switch.name, command, item["reply"])
                refused.append(item)
    return SwitchReport(applied=bool(reached) and not refused, reachable=bool(reached), refused=refused,
                        unreachable=[answer.switch.name for answer in answers if not answer.reached])


def run(settings, commands: list[str], timeout: float = ESL_TIMEOUT, switch=None) -> tuple[SwitchReport, list[str]]:
    """The commands on every live switch (web.domain.switches.broadcast), or on `switch` only (one call's);
    the replies are the first switch's that answered."""
    from web.domain import switches

    commands = list(commands)
    answers = (switches.broadcast(settings, commands, timeout) if switch is None
               else switches.broadcast(settings, commands, timeout, switches=[switch]))
    replies = next((answer.replies for answer in answers if answer.reached), [])
    return report_of(answers, [commands] * len(answers)), replies


def sync_queue(settings, queue_id: int, domain: str, removed_users: Iterable[int] = (), deleted: bool = False,
               all_users: Iterable[int] = ()) -> SwitchReport:
    """Tell every FreeSWITCH a queue was created, changed (tiers removed: `removed_users`) or deleted;
    each is told by what it holds itself (its own `queue list`)."""
    from web.domain import switches

    listings = switches.broadcast(settings, ["callcenter_config queue list"], ESL_TIMEOUT)
    if not any(answer.reached for answer in listings):
        return report_of(listings, [[]] * len(listings))
    plan = [(answer.switch, queue_commands(queue_id, domain, loaded_queues(answer.replies[0] if answer.replies else ""),
                                           removed_users, deleted, all_users))
            for answer in listings if answer.reached]
    answers = switches.ask_each(settings, plan, ESL_TIMEOUT)
    report = report_of(answers, [commands for _, commands in plan])
    report.unreachable = switches.unreachable(listings) + report.unreachable
    if deleted:
        # a tier FreeSWITCH never had is no refusal worth reporting when the queue goes anyway
        report.refused = [item for item in report.refused if " tier del " not in item["command"]]
        report.applied = not report.refused and report.reachable
    return report


def status_commands(user_id: int, domain: str, status_command: str) -> list[str]:
    """An agent's status, with the agent loaded first (harmless when it is: load_agent updates it)."""
    return [f"callcenter_config agent reload {agent_name(user_id, domain)}", status_command]
