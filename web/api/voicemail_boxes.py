"""Voicemail boxes: company boxes are made here (seed 001 uses 999); personal ones come with their user."""

from __future__ import annotations

from web.domain import references
from web.api.problems import Problem, field_problem
from web.api.resources import Resource
from web.models.pbx_user import PbxUser
from web.models.voicemail_box import VoicemailBox, VoicemailBoxCreate, VoicemailBoxPublic, VoicemailBoxUpdate


def _validate(ctx, box: VoicemailBox) -> None:
    if box.kind == "personal" and box.extension:
        raise field_problem(422, "invalid", "/extension", "a personal box is reached through its user's extension")
    if box.kind == "personal" and box.readers:
        raise field_problem(422, "invalid", "/readers", "a personal box is read by its user alone")
    # who may listen to the box's messages in the portal (/messages): users of this company only
    references.require_distinct_ids(ctx.db, ctx.tenant_id, PbxUser, box.readers or [], "/readers", "user",
                                    "this user is listed twice")
    if box.kind == "personal" and box.announce_only:
        raise field_problem(422, "invalid", "/announce_only",
                            "a personal box announces by its user's voicemail setting (only play the greeting)")


def _before_delete(ctx, box: VoicemailBox) -> None:
    if box.kind == "personal":
        raise Problem(409, "personal_box")


resource = Resource(
    kind="voicemail_box", path="/api/voicemail-boxes", table=VoicemailBox, create_model=VoicemailBoxCreate,
    update_model=VoicemailBoxUpdate, public_model=VoicemailBoxPublic, number_field="extension", order_by="id",
    validate=_validate, before_delete=_before_delete,
)
references.register_referrer(VoicemailBox)

routes = [resource.usage_route(), *resource.routes()]
