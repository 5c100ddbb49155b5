"""A received fax of a tenant with its PDF in the fax folder, for the isolation tests (tests/web/factories.py
merges FACTORIES): the PDF route answers its own tenant, 404 to any other."""

from __future__ import annotations

import os
import uuid

from web.models.fax import Fax


def _fax(db, settings, tenant_id, owner) -> int:
    call = str(uuid.uuid4())
    os.makedirs(settings.fax_dir, exist_ok=True)
    with open(os.path.join(settings.fax_dir, f"rx-{call}.pdf"), "wb") as file:
        file.write(b"%PDF-1.4\n%%EOF\n")
    with db() as session:
        fax = Fax(tenant_id=tenant_id, direction="in", status="received", remote_number="+31105550000", pages=1,
                  call_uuid=call, pdf_file=f"rx-{call}.pdf")
        session.add(fax)
        session.flush()
        return fax.id


FACTORIES = {Fax: _fax}
