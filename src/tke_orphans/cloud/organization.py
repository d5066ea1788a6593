"""An organization's member accounts, and the credentials that reach each one through its role.

The management account lists its members (organization.DescribeOrganizationMembers: Offset and Limit both required,
Limit at most 50, Offset a multiple of it, paged to Total). A listing that fails, or that does not add up (a page
short of Total, a member twice), fails as a whole: a member missing from it must never look like a member with
nothing in it.

Each member is reached with temporary credentials from sts AssumeRole on its role. `AssumedRole` is a credential
object the SDK's signer takes (`get_credential_info`), like the SDK's own STSAssumeRoleCredential, which takes no
ExternalId: it asks AssumeRole through our own session (the configured endpoint, pacing and retries), keeps the
answer until shortly before it expires, and is kept per member and role for the whole process, so a `serve` pass
reuses it: never an AssumeRole per call or per region. It travels to the scan's worker processes with its keys.
"""

from __future__ import annotations

import fnmatch
import json
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from ..config.schema import Organization, Retry
from .errors import CloudError, remember_secrets
from .session import Endpoint, Session

API = "organization.DescribeOrganizationMembers"
VERSION = "2021-03-31"
PAGE = 50  # the API's largest Limit
# Renew this long before the credentials expire (at most a fifth of their life, for very short sessions).
RENEW_BEFORE = 300.0
STS_REGION = "ap-guangzhou"  # AssumeRole answers in every region; the request must name one


@dataclass(frozen=True)
class Member:
    """A member account as the listing gives it; the tags as (key, value) pairs."""

    uin: str
    name: str
    node_id: int
    node_name: str
    tags: tuple[tuple[str, str], ...] = ()


def _member(item: Any) -> Member:
    if not isinstance(item, dict) or not isinstance(item.get("MemberUin"), int | str) or item.get("MemberUin") == "":
        raise CloudError(API, "InvalidResponse", "a member without its MemberUin")
    tags = item.get("Tags") or []
    return Member(
        uin=str(item["MemberUin"]),
        name=str(item.get("Name") or ""),
        node_id=int(item.get("NodeId") or 0),
        node_name=str(item.get("NodeName") or ""),
        tags=tuple((str(t.get("TagKey", "")), str(t.get("TagValue", ""))) for t in tags if isinstance(t, dict)),
    )


def list_members(session: Session) -> list[Member]:
    """Every member of the organization the session's account manages, paged to Total; raises CloudError when the
    listing fails or does not add up."""
    members: dict[str, Member] = {}
    total: int | None = None
    offset = 0
    while total is None or offset < total:
        resp = session.call("organization", "DescribeOrganizationMembers", "", {"Offset": offset, "Limit": PAGE},
                            version=VERSION)  # fmt: skip
        items, page_total = resp.get("Items") or [], resp.get("Total")
        if not isinstance(page_total, int) or isinstance(page_total, bool) or page_total < 0:
            raise CloudError(API, "InvalidResponse", f"no usable Total in the answer ({page_total!r})")
        if total is not None and page_total != total:
            raise CloudError(API, "IncompleteListing", f"Total changed from {total} to {page_total} while paging")
        total = page_total
        expected = min(PAGE, total - offset)
        if not isinstance(items, list) or len(items) != expected:
            got = len(items) if isinstance(items, list) else "no"
            raise CloudError(
                API, "IncompleteListing", f"{got} members at offset {offset}, {expected} expected of {total}"
            )
        for item in items:
            member = _member(item)
            if member.uin in members:
                raise CloudError(API, "IncompleteListing", f"member {member.uin} listed twice")
            members[member.uin] = member
        offset += PAGE
    return list(members.values())


def matches(entry: str, uin: str, names: Iterable[str], tags: Iterable[tuple[str, str]]) -> bool:
    """An include/exclude entry: `key=value` a tag, else a shell pattern of the uin or one of the names."""
    if "=" in entry:
        key, _, value = entry.partition("=")
        return (key, value) in set(tags)
    return any(fnmatch.fnmatchcase(n, entry) for n in (uin, *names) if n)


def chosen(uin: str, names: Sequence[str], tags: Sequence[tuple[str, str]], cfg: Organization, *,
           member: bool = True) -> bool:  # fmt: skip
    """Whether an account is scanned: a member must match an `include` entry (when there are any); any account
    is left out by an `exclude` entry."""
    if any(matches(e, uin, names, tags) for e in cfg.exclude):
        return False
    return not (member and cfg.include) or any(matches(e, uin, names, tags) for e in cfg.include)


def select(members: Iterable[Member], cfg: Organization) -> list[Member]:
    return [m for m in members if chosen(m.uin, (m.name, m.node_name), m.tags, cfg)]


def role_arn(uin: str, role: str) -> str:
    return f"qcs::cam::uin/{uin}:roleName/{role}"


_READ_VERBS = ("Describe", "InquiryPrice", "Get")


def read_only_policy(actions: Iterable[str]) -> str:
    """A session Policy (url-encoded, as AssumeRole takes it) allowing the read verbs of these actions' products,
    `cvm:Describe*` for `cvm:DescribeInstances`: short, and never a write."""
    allowed: dict[str, None] = {}
    for action in actions:
        product, _, name = action.partition(":")
        verb = next((v for v in _READ_VERBS if name.startswith(v)), None)
        if verb is not None:
            allowed[f"{product}:{verb}*"] = None
    doc = {"version": "2.0", "statement": [{"effect": "allow", "action": list(allowed), "resource": ["*"]}]}
    return quote(json.dumps(doc, separators=(",", ":")))


@dataclass(frozen=True)
class _Keys:
    secret_id: str
    secret_key: str
    token: str
    expires: float  # Unix seconds
    renew_at: float


class AssumedRole:
    """Temporary credentials of a member's role, asked of sts AssumeRole with the management account's credential
    and renewed shortly before they expire. Thread-safe; picklable (the keys go along, the connection does not)."""

    def __init__(self, source: Any, member: Member, cfg: Organization, *, endpoint: Endpoint, timeout: float,
                 retry: Retry, policy: str | None = None, clock: Callable[[], float] = time.time) -> None:  # fmt: skip
        self.source, self.member, self.cfg, self.policy = source, member, cfg, policy
        self.endpoint, self.timeout, self.retry, self.clock = endpoint, timeout, retry, clock
        self.arn = role_arn(member.uin, cfg.role)
        self._keys: _Keys | None = None
        self._lock = threading.Lock()
        self._session: Session | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in ("_lock", "_session")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, _lock=threading.Lock(), _session=None)

    @property
    def described(self) -> str:
        """Where the keys come from, for an AuthFailure hint."""
        return f"the role {self.cfg.role} of member {self.member.uin} (sts AssumeRole, {self.arn})"

    def _assume(self) -> _Keys:
        if self._session is None:
            self._session = Session(f"sts:{self.member.uin}", self.source, endpoint=self.endpoint,
                                    timeout=self.timeout, retry=self.retry)  # fmt: skip
        params: dict[str, Any] = {"RoleArn": self.arn, "RoleSessionName": self.cfg.session_name,
                                  "DurationSeconds": self.cfg.duration_seconds}  # fmt: skip
        if self.cfg.external_id:
            params["ExternalId"] = self.cfg.external_id
        if self.policy:
            params["Policy"] = self.policy
        asked = self.clock()
        resp = self._session.call("sts", "AssumeRole", STS_REGION, params)
        creds, expires = resp.get("Credentials") or {}, resp.get("ExpiredTime")
        sid, key, token = creds.get("TmpSecretId"), creds.get("TmpSecretKey"), creds.get("Token")
        if not (sid and key and token and isinstance(expires, int | float)):
            raise CloudError("sts.AssumeRole", "InvalidResponse", "no Credentials or ExpiredTime in the answer")
        remember_secrets(sid, key, token)
        life = max(0.0, expires - asked)
        return _Keys(sid, key, token, expires, expires - min(RENEW_BEFORE, life / 5))

    def refresh(self) -> None:
        """Credentials good for a while yet: asked now unless those held are; raises CloudError when refused."""
        with self._lock:
            if self._keys is None or self.clock() >= self._keys.renew_at:
                self._keys = self._assume()

    def get_credential_info(self) -> tuple[str, str, str]:
        """What the SDK's signer reads (secret id, key, token), renewed first when due."""
        self.refresh()
        assert self._keys is not None
        return self._keys.secret_id, self._keys.secret_key, self._keys.token

    # The attributes the SDK's own credential classes have, for code that reads them instead.
    @property
    def secretId(self) -> str:
        return self.get_credential_info()[0]

    @property
    def secretKey(self) -> str:
        return self.get_credential_info()[1]

    @property
    def token(self) -> str:
        return self.get_credential_info()[2]


# Per (endpoint, management SecretId, member, role settings): what a later pass of the same process reuses.
_CACHE: dict[tuple[Any, ...], AssumedRole] = {}
_CACHE_LOCK = threading.Lock()


def assumed_role(source: Any, member: Member, cfg: Organization, *, endpoint: Endpoint, timeout: float,
                 retry: Retry, policy: str | None = None) -> AssumedRole:  # fmt: skip
    """The member's role credentials, the same object for the whole process (its keys reused until due)."""
    source_id = source.get_credential_info()[0] if hasattr(source, "get_credential_info") else id(source)
    key = (endpoint, source_id, member.uin, cfg.role, cfg.session_name, cfg.external_id, cfg.duration_seconds, policy)
    with _CACHE_LOCK:
        found = _CACHE.get(key)
        if found is None:
            found = _CACHE[key] = AssumedRole(
                source, member, cfg, endpoint=endpoint, timeout=timeout, retry=retry, policy=policy
            )
        found.member = member  # a renamed member keeps its credentials
        return found


def refusal(exc: CloudError, member: Member, cfg: Organization, manager_uin: str | None) -> CloudError:
    """A refused AssumeRole as the member's failure, saying what to fix: which role, which trust."""
    who = f"member {member.name} ({member.uin})" if member.name else f"member {member.uin}"
    manager = f"the management account {manager_uin}" if manager_uin else "the management account"
    if exc.code.startswith("ResourceNotFound"):
        fix = (
            f"{who} has no role {cfg.role}: create it there (the organization's access identity) trusting "
            f"{manager}, set tencentcloud.organization.role to the role it has, or exclude the member"
        )
    else:
        ext = " and its external id condition to tencentcloud.organization.external_id" if cfg.external_id else ""
        arn = role_arn(member.uin, cfg.role)
        fix = (
            f"{who} refused the role {cfg.role}: its trust policy must name {manager}{ext}, and the management "
            f"account's key needs sts:AssumeRole on {arn}; or exclude the member"
        )
    return CloudError("sts.AssumeRole", exc.code, f"{fix} ({exc.message})", request_id=exc.request_id)
