"""The only code that imports `tencentcloud`: sessions, listings, and the errors they raise, as records."""

from __future__ import annotations

from .errors import PERMISSION_CODES, CloudError, CredentialsError
from .inventory import RegionLister, list_regions
from .ratelimit import Pacer
from .session import Endpoint, Session, resolve_credentials

__all__ = [
    "PERMISSION_CODES",
    "CloudError",
    "CredentialsError",
    "Endpoint",
    "Pacer",
    "RegionLister",
    "Session",
    "list_regions",
    "resolve_credentials",
]
