"""The configuration's shape: typed sections with their defaults, validated as they load.

The original checker's file fits it unchanged (`webhook.platforms.<name>` with its single `enabled`, `url`,
`secret`); `loading` reads a file into it, `secrets` masks what it holds.
"""

from __future__ import annotations

import re
from datetime import timedelta
from types import ModuleType
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ..detect import DEFAULT_SKIP_STATES, Policy

# Tencent Cloud region names: ap-guangzhou, na-siliconvalley, ap-shanghai-fsi.
REGION = re.compile(r"^[a-z]{2,}(-[a-z0-9]+)+$")
_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


# The longest duration anything takes: longer ones are typos, and would overflow the clock arithmetic (a time
# `--since` ago, an interval's wait) far from where they were given.
MAX_DURATION = timedelta(days=3650)


def parse_duration(value: object) -> timedelta:
    """'1h', '30m', '1d12h', '90s', or a number of seconds; from 0 to MAX_DURATION (ten years)."""
    if isinstance(value, timedelta):
        return value
    seconds: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value
    elif isinstance(value, str):
        m = _DURATION.match(value.strip())
        if m and any(m.groups()):
            d, h, mi, s = (int(g or 0) for g in m.groups())
            seconds = d * 86400 + h * 3600 + mi * 60 + s  # whole numbers: no overflow, however long
    if seconds is None:
        raise ValueError(f"{value!r} is not a duration: use forms like 90s, 30m, 1h, 2d or 1h30m")
    if not 0 <= seconds <= MAX_DURATION.total_seconds():  # NaN fails this too
        raise ValueError(f"{value!r} is out of range: a duration is from 0s to {MAX_DURATION.days}d")
    return timedelta(seconds=seconds)


def format_duration(td: timedelta) -> str:
    secs = int(td.total_seconds())
    out = ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if secs >= size:
            out += f"{secs // size}{unit}"
            secs %= size
    return out or "0s"


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


def _at_least_a_day(value: timedelta) -> timedelta:
    if value < timedelta(days=1):
        raise ValueError("must be at least 1d")
    return value


def check_region(value: str) -> str:
    if not REGION.fullmatch(value):
        raise ValueError(f"{value!r} is not a region name: use the API's names, such as ap-guangzhou or na-ashburn")
    return value


def _regions(value: object) -> object:
    if isinstance(value, str) and value != "all":
        return check_region(value)
    if isinstance(value, list):
        return [check_region(v) if isinstance(v, str) else v for v in value]
    return value


Region = Annotated[str, BeforeValidator(_regions)]
Regions = Annotated[list[str] | Literal["all"], BeforeValidator(_regions)]


def clean_secret(value: object) -> object:
    """Whitespace around a credential (a file's trailing newline) is dropped; inside one it is an error.

    HTTP libraries reject such a header value and quote it in full in their error: it must not get that far.
    """
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if not isinstance(value, str):
        return value
    value = value.strip()
    if re.search(r"[\s\x00-\x1f\x7f]", value):
        raise ValueError("contains a space, line break or control character (the value is not shown): re-create it")
    return value


Secret = Annotated[SecretStr, BeforeValidator(clean_secret)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Retry(_Section):
    """Errors worth another try get `max_attempts`; throttling, safe and cheap to retry, is retried until
    `throttle_deadline` seconds after the scan (or cleanup) started."""

    max_attempts: Annotated[int, Field(ge=1, le=20)] = 6
    base_delay: Annotated[float, Field(ge=0, le=60)] = 0.5
    max_delay: Annotated[float, Field(ge=0, le=300)] = 10.0
    throttle_deadline: Annotated[float, Field(gt=0, le=86400)] = 600.0


class Credentials(_Section):
    """Where an account's credentials come from; empty fields fall back to the environment, then the SDK chain."""

    secret_id: Annotated[str | None, BeforeValidator(clean_secret)] = None
    secret_key: Secret | None = None
    token: Secret | None = None
    # auto: config, env, ~/.tencentcloud/credentials, TKE pod identity (when its env is set).
    # cvm_role: the CVM's CAM role from instance metadata (never tried implicitly: it is a network call).
    credential_source: Literal["auto", "cvm_role"] = "auto"
    cvm_role_name: str | None = None
    # The account's uin, for tagging (cleanup --action mark); asked of STS when not set.
    uin: str | None = None


# sts AssumeRole's RoleSessionName and ExternalId, and a CAM role name, as the API takes them.
_SESSION_NAME = r"^[\w+=,.@-]{2,128}$"
_EXTERNAL_ID = r"^[\w+=,.@:/-]{2,128}$"
_ROLE_NAME = r"^[\w+=,.@-]{1,128}$"


class Organization(_Section):
    """Every member account of the organization these credentials manage, each through its role (sts AssumeRole).

    `include` and `exclude` entries match a member's uin, name or organization node name (shell patterns: `team-*`),
    or a member tag as `key=value`; the management account is matched by `default` or its `tencentcloud.uin`."""

    enabled: bool = False
    role: Annotated[str, Field(pattern=_ROLE_NAME)] = "OrganizationAccessControlRole"
    include: list[Annotated[str, Field(min_length=1)]] = []
    exclude: list[Annotated[str, Field(min_length=1)]] = []
    duration_seconds: Annotated[int, Field(ge=900, le=43200)] = 7200
    external_id: Annotated[str, Field(pattern=_EXTERNAL_ID)] | None = None
    session_name: Annotated[str, Field(pattern=_SESSION_NAME)] = "tke-orphans"
    # Pass a session Policy that allows only reads (each product's Describe*, InquiryPrice*, what the scan calls):
    # the role then cannot change anything in a member, so cleanup cannot act there either.
    read_only: bool = False


class TencentCloud(Credentials):
    region: Region | None = None
    regions: Regions | None = None
    endpoint_url: str | None = None
    root_domain: str | None = None
    request_timeout: Annotated[float, Field(gt=0, le=300)] = 20.0
    retry: Retry = Retry()
    # Calls per second per region, by "service.Action"; defaults are the documented limits.
    rate_limits: dict[str, Annotated[float, Field(gt=0)]] = {}
    concurrency: Annotated[int, Field(ge=1, le=64)] = 4
    # Processes that scan regions side by side (regions share nothing); None: the cores, at most 8; 1: in-process.
    workers: Annotated[int, Field(ge=1, le=64)] | None = None
    organization: Organization = Organization()

    @field_validator("endpoint_url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^https?://[^/\s]+/?$", v):
            raise ValueError("expected a base URL such as http://127.0.0.1:9000")
        return v


class Account(Credentials):
    name: Annotated[str, Field(min_length=1)]
    region: Region | None = None
    regions: Regions | None = None


class Ignore(_Section):
    instance_ids: list[str] = []
    # key -> value; a value of "*" matches any value of that key.
    tags: dict[str, str] = {"tke-orphans:ignore": "true"}
    name_patterns: list[str] = []

    @field_validator("name_patterns")
    @classmethod
    def _patterns(cls, v: list[str]) -> list[str]:
        for p in v:
            try:
                re.compile(p)
            except re.error as exc:
                raise ValueError(f"{p!r} is not a regular expression: {exc}") from None
        return v


def _registry() -> ModuleType:
    """The registry of kinds (kinds/), imported when first needed: the kinds reach the cloud adapter, which reads
    its settings from here."""
    from .. import kinds

    return kinds


class OriginLookup(_Section):
    """Who left each new finding behind, from CloudAudit (cloudaudit:DescribeEvents): a courtesy, never evidence."""

    enabled: bool = True
    region: Region = "ap-guangzhou"  # where CloudAudit is asked (it answers in a few regions; the log is the account's)


class Detection(_Section):
    owner_tags: list[str] = ["tke-clusterId"]
    legacy_heuristics: bool = False
    grace_period: Duration = timedelta(hours=1)
    skip_states: list[str] = sorted(DEFAULT_SKIP_STATES)
    ignore: Ignore = Ignore()
    # The kinds of leftovers of deleted clusters to look for (kinds/); [] looks for none (and needs no CAM action of
    # their products). The registry's default kinds unless the file names them (read when a config is made: the
    # registry reaches the cloud adapter, which imports this module).
    leftovers: list[str] = Field(default_factory=lambda: list(_registry().default_kinds()))
    origin: OriginLookup = OriginLookup()

    @field_validator("leftovers")
    @classmethod
    def _known_kinds(cls, v: list[str]) -> list[str]:
        kinds = _registry().KINDS
        unknown = [k for k in v if k not in kinds]
        if unknown:
            raise ValueError(f"unknown kind {unknown[0]!r}: the kinds are {', '.join(kinds)}")
        return v

    def policy(self) -> Policy:
        return Policy(
            owner_tags=tuple(self.owner_tags),
            legacy_heuristics=self.legacy_heuristics,
            grace_period=self.grace_period,
            skip_states=frozenset(s.upper() for s in self.skip_states),
            ignore_ids=frozenset(self.ignore.instance_ids),
            ignore_tags=tuple((k, None if v == "*" else v) for k, v in self.ignore.tags.items()),
            ignore_names=tuple(re.compile(p) for p in self.ignore.name_patterns),
            leftovers=tuple(dict.fromkeys(self.leftovers)),
        )


Language = Literal["zh-CN", "en"]


class Mentions(_Section):
    """Who a bot @-mentions: WeCom user ids; DingTalk mobiles or user ids; Feishu open ids (ou_...)."""

    all: bool = False
    user_ids: list[str] = []
    mobiles: list[str] = []

    def __bool__(self) -> bool:
        return self.all or bool(self.user_ids) or bool(self.mobiles)


def _http_url(v: SecretStr) -> SecretStr:
    """A URL we can POST to. The errors never quote it: its path or query holds the bot's key."""
    raw = v.get_secret_value().strip()
    if not raw:
        return SecretStr(raw)
    if not re.match(r"^https?://[^/\s]+", raw):
        raise ValueError("not an http(s) URL: it must start with https:// (the value is not shown: it holds a key)")
    if re.search(r"[\s\x00-\x1f\x7f]", raw):
        raise ValueError("contains a space, line break or control character (the value is not shown): re-copy it")
    try:
        parts = urlsplit(raw)
        port, host = parts.port, parts.hostname
        httpx.URL(raw)
    except (ValueError, httpx.InvalidURL):
        port, host = -1, None
    if port in (-1, 0) or not host:
        raise ValueError("not a usable URL: its host or port (1-65535) is wrong (the value is not shown)")
    return SecretStr(raw)


class Bot(_Section):
    name: str | None = None
    enabled: bool = True
    url: SecretStr
    secret: Secret | None = None
    mentions: Mentions = Mentions()
    language: Language | None = None

    _url = field_validator("url")(_http_url)


class Platform(_Section):
    """The original checker's single bot (enabled, url, secret), plus any number of `bots`.

    `enabled` switches the whole platform: its single bot and its `bots` (each of which has its own switch too).
    """

    enabled: bool = False
    url: SecretStr = SecretStr("")
    secret: Secret | None = None
    mentions: Mentions = Mentions()
    language: Language | None = None
    bots: list[Bot] = []

    _url = field_validator("url")(_http_url)

    @model_validator(mode="after")
    def _reachable(self) -> Platform:
        # An error, not a warning: an enabled bot without an address means alerts that never arrive, unnoticed.
        if self.enabled and not self.url.get_secret_value() and not self.bots:
            raise ValueError("enabled but has no url: set url (the bot's webhook address) or bots, or enabled: false")
        return self

    @model_validator(mode="after")
    def _unique_names(self) -> Platform:
        # Names identify a bot across runs (what is still owed to it): they must not collide, nor depend on order.
        names = [b.name for b in self.bots if b.name]
        if len(names) != len(set(names)) or any(n.isdigit() for n in names):
            raise ValueError("bots need distinct names, not plain numbers (those name unnamed bots by position)")
        return self


class Platforms(_Section):
    wecom: Platform = Platform()
    dingtalk: Platform = Platform()
    feishu: Platform = Platform()


class GenericHook(_Section):
    """POST of the JSON scan result to any URL, signed with HMAC-SHA256 when a secret is set."""

    name: Annotated[str, Field(min_length=1)]
    enabled: bool = True
    url: SecretStr
    _url = field_validator("url")(_http_url)
    secret: Secret | None = None
    signature_header: str = "X-Tke-Orphans-Signature"


class AppriseChannel(_Section):
    """Apprise URLs (email, Slack, Telegram, ...); needs `pip install tke-orphans[apprise]`."""

    enabled: bool = True
    urls: list[SecretStr] = []
    language: Language | None = None


class Outbox(_Section):
    """When a notice stops being retried: a bot that refuses for this long, or this often, gets no backlog later."""

    max_attempts: Annotated[int, Field(ge=1, le=1000)] = 10
    max_age: Duration = timedelta(hours=48)


def _zone(value: str | None) -> str | None:
    if value is not None:
        try:
            ZoneInfo(value)
        except (ValueError, ZoneInfoNotFoundError):
            raise ValueError(f"{value!r} is not a time zone: use an IANA name such as Asia/Shanghai or UTC") from None
    return value


class RouteMatch(_Section):
    """What a finding must have for a route to take it: every key given holds; each list holds one of its values."""

    accounts: list[str] = []  # an account's name (accounts[].name, an organization member's) or its uin
    nodes: list[str] = []  # an organization node, by name or id
    regions: list[str] = []
    clusters: list[str] = []  # the cluster a finding names
    tags: dict[str, str] = {}  # a tag on the finding, key -> value ("*": any value)

    @model_validator(mode="after")
    def _something(self) -> RouteMatch:
        if not (self.accounts or self.nodes or self.regions or self.clusters or self.tags):
            raise ValueError("matches everything: give accounts, nodes, regions, clusters or tags (what no route "
                             "takes goes to the bots no route names)")  # fmt: skip
        return self


class Route(_Section):
    """A team's findings (`match`) and the bots that tell it (`bots`, as `--channel` names them: wecom:team-a)."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")]
    match: RouteMatch
    bots: Annotated[list[str], Field(min_length=1)]


def _routes(routes: list[Route]) -> list[Route]:
    names = [r.name for r in routes]
    if "default" in names:
        raise ValueError("`default` is the route of what no route takes (the bots no route names): name it otherwise")
    if len(names) != len(set(names)):
        raise ValueError("routes need distinct names: a name is how the outbox knows whom a notice is for")
    return routes


class Webhook(_Section):
    enabled: bool = False
    timeout: Annotated[float, Field(gt=0, le=120)] = 10
    language: Language = "zh-CN"
    # Of the times in messages and on the status page; unset: Asia/Shanghai for zh-CN, UTC for en.
    timezone: Annotated[str | None, AfterValidator(_zone)] = None
    max_attempts: Annotated[int, Field(ge=1, le=10)] = 4
    remind_every: Duration = timedelta(hours=24)
    platforms: Platforms = Platforms()
    generic: list[GenericHook] = []
    apprise: AppriseChannel = AppriseChannel()
    outbox: Outbox = Outbox()
    # Ordered: a finding goes to the first route it matches; what none takes, to the bots no route names.
    routes: Annotated[list[Route], AfterValidator(_routes)] = []


class State(_Section):
    path: str = "tke-orphans.db"
    # A state path whose folder does not exist is refused (a typo would start a new state and announce everything
    # again); true creates the folder, as --init-state does.
    create: bool = False
    # How long scans, events, delivered notices and cleanup's skipped or dry-run decisions are kept (docs/state.md).
    retention: Annotated[Duration, AfterValidator(_at_least_a_day)] = timedelta(days=30)


class ServeAuth(_Section):
    """Optional credentials for the status page, which shows names, IPs and API errors: a bearer token, or basic
    auth. /healthz and /readyz stay open (probes carry no credentials and tell only up/ready); /metrics too unless
    `protect_metrics`."""

    token: SecretStr | None = None
    username: str | None = None
    password: SecretStr | None = None
    protect_metrics: bool = False

    @field_validator("token", "password")
    @classmethod
    def _stripped(cls, v: SecretStr | None) -> SecretStr | None:
        # Secrets made from files (Kubernetes) often end in a newline that no client sends.
        if v is None:
            return None
        raw = v.get_secret_value().strip()
        if not raw or any(c.isspace() or not c.isprintable() for c in raw):
            raise ValueError("must be non-empty printable text without spaces (the value is not shown)")
        return SecretStr(raw)

    @model_validator(mode="after")
    def _one_scheme(self) -> ServeAuth:
        basic = self.username is not None or self.password is not None
        if self.token is not None and basic:
            raise ValueError("set either token (bearer) or username and password (basic auth), not both")
        if basic and (not self.username or self.password is None or ":" in self.username):
            raise ValueError("basic auth needs both username (without ':') and password")
        if self.protect_metrics and not self.enabled:
            raise ValueError("protect_metrics needs a token, or a username and password")
        return self

    @property
    def enabled(self) -> bool:
        return self.token is not None or self.username is not None


def _at_least_10s(value: timedelta) -> timedelta:
    if value < timedelta(seconds=10):
        raise ValueError("must be at least 10s")
    return value


class ServeEvents(_Section):
    """`serve --events`: a scan of an account and region soon after TKE removed nodes there, on top of the interval.
    The audit log is polled (CloudAudit's DescribeEvents, asked in `region`); with a `secret`, POST /events also takes
    the audit records an EventBridge rule forwards (deploy/events/), signed with it."""

    enabled: bool = False
    poll_interval: Annotated[Duration, AfterValidator(_at_least_10s)] = timedelta(seconds=60)
    # At most one event-triggered scan of an account and region this often, however many events come.
    floor: Duration = timedelta(seconds=60)
    region: Region = "ap-guangzhou"
    secret: Secret | None = None
    # How old a signed request may be; the same request is refused a second time within it.
    replay_window: Annotated[Duration, AfterValidator(_at_least_10s)] = timedelta(seconds=300)
    max_body: Annotated[int, Field(ge=1024, le=1024 * 1024)] = 64 * 1024


class Serve(_Section):
    interval: Duration = timedelta(minutes=10)
    # This machine only for hand runs: the page shows names, IPs and errors. The Kubernetes manifests and the image
    # pass --listen 0.0.0.0:9108.
    listen: str = "127.0.0.1:9108"
    # Where the status page is reachable by people; messages link to it when set.
    public_url: str | None = None
    # Clients sending their request at once (the next cuts the longest waiting), and requests answered at once (a
    # thread each; more get a 503). Probes are answered apart, never refused.
    max_connections: Annotated[int, Field(ge=1, le=1024)] = 32
    # Seconds a client has to send its whole request (and for each read or write after it).
    read_timeout: Annotated[float, Field(gt=0, le=300)] = 10.0
    auth: ServeAuth = ServeAuth()
    events: ServeEvents = ServeEvents()


class Cleanup(_Section):
    """Defaults of `cleanup` (its flags override them) and of `serve --cleanup`."""

    min_orphan_age: Duration = timedelta(hours=24)
    # terminate acts only on instances marked (cleanup --action mark) at least this long ago.
    min_mark_age: Duration = timedelta(hours=72)
    max: Annotated[int, Field(ge=1)] = 10


class Pricing(_Section):
    """What each orphan costs, from the CVM price APIs; prices are kept in the state for `cache_ttl`."""

    enabled: bool = True
    cache_ttl: Duration = timedelta(hours=24)
    # The price APIs answer in the site's currency without naming it: CNY on the China site.
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "CNY"


class Logging(_Section):
    level: Literal["debug", "info", "warning", "error"] = "info"

    @field_validator("level", mode="before")
    @classmethod
    def _lower(cls, v: object) -> object:
        return v.lower() if isinstance(v, str) else v


class Config(_Section):
    tencentcloud: TencentCloud = TencentCloud()
    accounts: list[Account] = []
    detection: Detection = Field(default_factory=Detection)  # made with each config: its kinds' registry
    webhook: Webhook = Webhook()
    state: State = State()
    serve: Serve = Serve()
    cleanup: Cleanup = Cleanup()
    pricing: Pricing = Pricing()
    logging: Logging = Logging()
    source: str = Field(default="<defaults>", exclude=True)
    _found: bool = PrivateAttr(default=True)

    @field_validator("accounts")
    @classmethod
    def _one_way_to_name_accounts(cls, v: list[Account], info: ValidationInfo) -> list[Account]:
        tc = info.data.get("tencentcloud")
        if v and isinstance(tc, TencentCloud) and tc.organization.enabled:
            raise ValueError(
                "cannot be used with tencentcloud.organization.enabled: the organization's members are the accounts "
                "(give the management account's credentials under tencentcloud), or list accounts without it"
            )
        return v

    @property
    def found(self) -> bool:
        """False when there was no config file: these are the built-in defaults."""
        return self._found
