"""`init`: write a commented config.yaml to start from, never over an existing file."""

from __future__ import annotations

from ..config.loading import resolve_path
from .common import ConfigOpt, UsageError, command

# The original checker's keys first (tencentcloud, webhook.platforms, logging), then the ones most people change.
# Every value is the default or a placeholder that passes validation, so `check-config` accepts the file as written.
TEMPLATE = """\
# tke-orphans configuration. Every key is optional; `tke-orphans check-config` shows the effective values.
# Any value may read an environment variable: secret_key: "${MY_SECRET_KEY}".

tencentcloud:
  # Leave the credentials out to use TENCENTCLOUD_SECRET_ID / TENCENTCLOUD_SECRET_KEY,
  # ~/.tencentcloud/credentials, or the TKE pod identity.
  # secret_id: "AKID..."
  # secret_key: "..."
  region: "ap-guangzhou"        # or regions: [ap-guangzhou, ap-shanghai], or regions: all

webhook:
  enabled: false                # true: scans notify the bots below
  timeout: 10
  language: "zh-CN"             # zh-CN or en
  # timezone: "Asia/Shanghai"   # of times in messages and on the status page
                                # [default: Asia/Shanghai for zh-CN, UTC for en]
  remind_every: "24h"           # remind of orphans still there this often
  platforms:
    wecom:
      enabled: false
      url: ""                   # https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...
    dingtalk:
      enabled: false
      url: ""                   # https://oapi.dingtalk.com/robot/send?access_token=...
      secret: ""                # the robot's signing secret (SEC...)
    feishu:
      enabled: false
      url: ""                   # https://open.feishu.cn/open-apis/bot/v2/hook/...
      secret: ""

detection:
  grace_period: "1h"            # an instance younger than this is never an orphan
  ignore:
    instance_ids: []
    tags:
      "tke-orphans:ignore": "true"   # on an instance, disk, load balancer or EIP: never reported
  leftovers: [cbs_disk, clb, eip]   # what deleted clusters leave besides VMs; [] looks for none

state:
  path: "tke-orphans.db"        # what was seen and sent, between runs
  retention: "30d"              # how long scans, events and sent notices are kept (open orphans: always)

cleanup:
  min_orphan_age: "24h"
  max: 10

logging:
  level: "info"                 # debug, info, warning or error
"""


@command
def init(config: ConfigOpt = None) -> None:
    """Write a commented config.yaml to start from (never over an existing file)."""
    path, _ = resolve_path(config)
    try:
        with path.open("x", encoding="utf-8") as f:  # "x": fails if the file exists, even if it appeared just now
            f.write(TEMPLATE)
    except FileExistsError:
        raise UsageError(
            f"{path} already exists, and init never overwrites: edit it, or pass --config NEW_FILE"
        ) from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot write: {exc.strerror}") from None
    print(f"wrote {path}: set the region and credentials, then run `tke-orphans check-config` and `tke-orphans doctor`")
