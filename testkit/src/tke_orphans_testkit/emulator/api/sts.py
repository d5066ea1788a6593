"""sts 2018-08-13: AssumeRole, temporary credentials that act in a member account through its role.

Errors as the API lists them: `ResourceNotFound.RoleNotFound` (the account has no such role),
`InternalError.IllegalRole` (its trust policy does not name the caller), `UnauthorizedOperation` (the role's
external id not given), `InvalidParameter.AccountNotAvaliable` (no such account), `InvalidParameter.OverTimeError`
(DurationSeconds over 43200), `InvalidParameter.ParamError` (a malformed RoleArn, RoleSessionName or ExternalId).
A shorter role session (the world's `session_duration`) caps DurationSeconds without an error.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from ..accounts import Assumed
from ..errors import ApiError
from ..world import MAX_ROLE_SESSION
from . import params as P
from .context import Answer, Ctx

DEFAULT_DURATION = 7200
MAX_POLICY = 2048  # characters of the url-encoded policy (the emulator's figure; the limit is not documented)
_ARN = re.compile(r"^qcs::cam::uin/(?P<uin>\d{5,20}):roleName/(?P<role>[\w+=,.@-]{1,128})$")
_SESSION_NAME = re.compile(r"^[\w+=,.@-]{2,128}$")
_EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,128}$")
_PARAMS = {"RoleArn", "RoleSessionName", "DurationSeconds", "Policy", "ExternalId", "Tags", "SourceIdentity",
           "SerialNumber", "TokenCode"}  # fmt: skip


def _policy(params: dict[str, Any]) -> str | None:
    policy = P.opt_str(params, "Policy")
    if policy is None:
        return None
    if len(policy) > MAX_POLICY:
        raise ApiError("InvalidParameter.PolicyTooLong", f"`Policy` is over {MAX_POLICY} characters.")
    try:
        doc = json.loads(unquote(policy))
    except ValueError:
        raise ApiError("InvalidParameter.StrategyFormatError", "`Policy` is not url-encoded JSON.") from None
    if not isinstance(doc, dict) or "statement" not in doc:
        raise ApiError("InvalidParameter.StrategyFormatError", "`Policy` needs a `statement`.")
    return policy


def assume_role(ctx: Ctx, params: dict[str, Any]) -> Answer:
    P.only(params, _PARAMS)
    assert ctx.accounts is not None
    assert ctx.caller_uin is not None
    arn = P.required_str(params, "RoleArn")
    session_name = P.required_str(params, "RoleSessionName")
    m = _ARN.match(arn)
    if not m:
        raise ApiError("InvalidParameter.ParamError", "`RoleArn` is not qcs::cam::uin/<uin>:roleName/<name>.")
    if not _SESSION_NAME.match(session_name):
        raise ApiError("InvalidParameter.ParamError", "`RoleSessionName` is 2 to 128 of [\\w+=,.@_-].")
    duration = P.opt_int(params, "DurationSeconds", DEFAULT_DURATION, lo=1, hi=MAX_ROLE_SESSION,
                         over_code="InvalidParameter.OverTimeError")  # fmt: skip
    external_id = P.opt_str(params, "ExternalId")
    if external_id is not None and not _EXTERNAL_ID.match(external_id):
        raise ApiError("InvalidParameter.ParamError", "`ExternalId` is 2 to 128 of [\\w+=,.@:/-].")
    policy = _policy(params)
    account = ctx.accounts.by_uin.get(m["uin"])
    if account is None:
        raise ApiError("InvalidParameter.AccountNotAvaliable", f"The account {m['uin']} does not exist.")
    role = account.member.role if account.member else None
    if role is None or role.name != m["role"]:
        raise ApiError("ResourceNotFound.RoleNotFound", f"The account {m['uin']} has no role {m['role']}.")
    trusted = role.trusts if role.trusts is not None else [ctx.accounts.world.uin]
    if ctx.caller_uin not in trusted:
        raise ApiError("InternalError.IllegalRole", f"The role {m['role']} does not trust {ctx.caller_uin}.")
    if role.external_id is not None and external_id != role.external_id:
        raise ApiError("UnauthorizedOperation", f"The role {m['role']} needs its ExternalId.")
    expires = int(ctx.accounts.clock()) + min(duration, role.session_duration)
    sid, key, token = ctx.accounts.issue(
        Assumed(ctx.caller_uin, account.uin, role.name, session_name, duration, external_id, policy, expires)
    )
    return {
        "Credentials": {"Token": token, "TmpSecretId": sid, "TmpSecretKey": key},
        "ExpiredTime": expires,
        "Expiration": datetime.fromtimestamp(expires, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
