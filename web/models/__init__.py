"""The tables. Importing this package registers every table on `SQLModel.metadata` (alembic reads it)."""

from web.models.base import TenantOwned  # noqa: F401
from web.models.tenant import Tenant  # noqa: F401
from web.models.account import Account, RecoveryCode  # noqa: F401
from web.models.auth import ApiToken, LoginAttempt, LoginSession, OneTimeLink  # noqa: F401
from web.models.audit import AuditEntry  # noqa: F401
