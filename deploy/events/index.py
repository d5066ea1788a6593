"""SCF function (Python 3.9 or later, standard library only): forwards the TKE audit events an EventBridge rule
delivers to tke-orphans' POST /events, signed with the shared secret. deploy/events/README.md sets it up.

Environment: TKE_ORPHANS_EVENTS_URL (https://orphans.example.com/events) and TKE_ORPHANS_EVENTS_SECRET (the
service's serve.events.secret). The signature is HMAC-SHA256 of "<timestamp>.<body>", sent as "sha256=<hex>".
"""

import hashlib
import hmac
import json
import os
import time
import urllib.error
import urllib.request

TIMESTAMP = "X-TKE-Orphans-Timestamp"
SIGNATURE = "X-TKE-Orphans-Signature"


def sign(secret, timestamp, body):
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return "sha256=" + digest


def main_handler(event, context):
    """The event as EventBridge delivers it, forwarded as it is. A refusal (4xx) is returned, not raised: sending the
    same again would not help. A failure to reach the service (or its 5xx) raises, so that the delivery is retried."""
    body = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    stamp = str(int(time.time()))
    request = urllib.request.Request(
        os.environ["TKE_ORPHANS_EVENTS_URL"],
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            TIMESTAMP: stamp,
            SIGNATURE: sign(os.environ["TKE_ORPHANS_EVENTS_SECRET"], stamp, body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return {"status": answer.status, "reason": answer.read(200).decode("utf-8", "replace").strip()}
    except urllib.error.HTTPError as refused:
        if refused.code >= 500:
            raise
        return {"status": refused.code, "reason": refused.read(200).decode("utf-8", "replace").strip()}
