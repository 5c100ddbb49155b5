"""The voicemail folder FreeSWITCH shares with the app and the bridge (CALLPLAN_VOICEMAIL_DIR; mod_voicemail's
storage-dir in freeswitch/autoload_configs/voicemail.conf.xml): <domain>/<box>/msg_<uuid>.wav on both
sides. The bridge mails messages from it, the portal plays them from it. FreeSWITCH names a file by its own
path, which may be another mount of the same folder (compose.yaml): only the file name is taken from it."""

from __future__ import annotations

import os
import re
from typing import Optional

_FILE = re.compile(r"^msg_[A-Za-z0-9_-]{1,80}\.(wav|WAV)\Z")


def shared_file(voicemail_dir: str, domain: str, number: str, path: str) -> str:
    """A message's file as this side of the shared folder sees it."""
    return os.path.join(voicemail_dir, domain, number, os.path.basename(path))


def message_file(voicemail_dir: str, domain: str, number: str, name: str) -> Optional[str]:
    """The message file `name` of box `number`@`domain`, when it is there and is one (a message's name,
    inside the folder); else None."""
    if not _FILE.match(name):
        return None
    root = os.path.realpath(voicemail_dir)
    real = os.path.realpath(shared_file(voicemail_dir, domain, number, name))
    if os.path.commonpath([root, real]) != root or not os.path.isfile(real):
        return None
    return real
