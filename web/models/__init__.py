"""The tables. Importing this package registers every table on `SQLModel.metadata` (alembic reads it):
every module in this folder is imported, so a new table is one new file."""

import importlib
import pkgutil

from web.models.base import TenantOwned  # noqa: F401
from web.models.tenant import Tenant  # noqa: F401
from web.models.account import Account, RecoveryCode  # noqa: F401
from web.models.auth import ApiToken, LoginAttempt, LoginSession, LoginThrottle, OneTimeLink  # noqa: F401
from web.models.audit import AuditEntry  # noqa: F401

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_module}")
