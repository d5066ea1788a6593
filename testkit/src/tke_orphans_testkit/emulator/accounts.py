"""The accounts the emulator serves: the world's own (the management account of its organization, if it has one)
and each member's, each with its own store, rate limits and credentials.

A member has no keys of its own here: it is reached only with temporary credentials that sts AssumeRole hands out
(api/sts.py), which expire. Who signed a request decides the account it acts in: its regions, its resources, its
rate limits, its line in the statistics.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .errors import ApiError
from .store import Store
from .world import Member, World


@dataclass
class Account:
    uin: str
    name: str
    store: Store
    rate_limits: dict[str, float]
    member: Member | None = None  # None: the management (or only) account


@dataclass(frozen=True)
class Session:
    """Temporary credentials of an assumed role: they act as `uin` until `expires` (the emulator's clock)."""

    uin: str
    role: str
    secret_key: str
    token: str
    expires: float


@dataclass(frozen=True)
class Assumed:
    """One AssumeRole answered, as asked: what tests and the benchmark read at /__stats."""

    caller: str
    member: str
    role: str
    session_name: str
    duration: int
    external_id: str | None
    policy: str | None
    expires: int

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Accounts:
    """Every account of the world and the credentials that act in them. Thread-safe."""

    world: World
    clock: Callable[[], float]
    by_uin: dict[str, Account] = field(default_factory=dict)
    # SecretId -> SecretKey for every credential that may sign, permanent and temporary (signing.verify reads it).
    secret_keys: dict[str, str] = field(default_factory=dict)
    # SecretId -> the token a world credential must carry (a test may change it: the token expired).
    tokens: dict[str, str] = field(default_factory=dict)
    sessions: dict[str, Session] = field(default_factory=dict)
    assumed: list[Assumed] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        world, org = self.world, self.world.spec.organization
        name = world.spec.credentials[0].name
        self.by_uin[world.uin] = Account(world.uin, name, Store(world), dict(org.rate_limits) if org else {})
        for member in org.members if org else []:
            store = Store(world.member_world(member))
            self.by_uin[member.uin] = Account(member.uin, member.name, store, dict(member.rate_limits), member)
        self.secret_keys.update({sid: c.secret_key for sid, c in world.credentials.items()})
        self.tokens.update({sid: c.token for sid, c in world.credentials.items() if c.token is not None})

    @property
    def manager(self) -> Account:
        return self.by_uin[self.world.uin]

    def caller(self, secret_id: str, token: str | None) -> tuple[Account, str]:
        """The account a request signed with `secret_id` (and carrying `token`) acts in, and the principal (the
        sub-account: a world credential, or a member's role) whose rate limits it takes; refused as the cloud
        refuses a wrong, missing or expired token."""
        cred = self.world.credentials.get(secret_id)
        if cred is not None:
            if secret_id in self.tokens and token != self.tokens[secret_id]:
                raise ApiError("AuthFailure.TokenFailure", "The token is invalid or expired.")
            return self.by_uin.get(cred.uin, self.manager), secret_id
        session = self.sessions.get(secret_id)
        if session is None:  # signing.verify knew the key, so it was a session's: gone since
            raise ApiError("AuthFailure.SecretIdNotFound", "The SecretId is not found.")
        if token != session.token:
            raise ApiError("AuthFailure.TokenFailure", "The token is invalid: it does not go with this SecretId.")
        if self.clock() >= session.expires:
            raise ApiError("AuthFailure.TokenFailure", "The token has expired: request new temporary credentials.")
        return self.by_uin[session.uin], f"{session.uin}:roleName/{session.role}"

    def identity(self, secret_id: str) -> tuple[str, str]:
        """Who signed with `secret_id`, as the audit log names them: (user name, uin). A world credential's name
        ("root" without one) and uin; an assumed role's name in its member."""
        cred = self.world.credentials.get(secret_id)
        if cred is not None:
            return cred.name or "root", cred.uin
        session = self.sessions[secret_id]
        return session.role, session.uin

    def issue(self, assumed: Assumed) -> tuple[str, str, str]:
        """New temporary credentials for the member of `assumed`: (TmpSecretId, TmpSecretKey, Token)."""
        sid = "AKIDtmp" + secrets.token_hex(16)
        key, token = secrets.token_urlsafe(30), secrets.token_urlsafe(90)
        with self._lock:
            self.sessions[sid] = Session(assumed.member, assumed.role, key, token, assumed.expires)
            self.secret_keys[sid] = key
            self.assumed.append(assumed)
        return sid, key, token

    def assumed_roles(self) -> list[dict[str, Any]]:
        with self._lock:
            return [a.as_dict() for a in self.assumed]

    def reset(self) -> None:
        with self._lock:
            self.assumed = []
