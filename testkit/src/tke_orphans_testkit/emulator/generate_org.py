"""Generate an organization: a management account and N members, each member a generated world of its own (its
regions, instances, clusters, leftovers and answer key), reached through its role, which some members lack.

Each account has its own seed (the management account `seed`, member i `seed + 1 + i`), so a member's world is what
`generate_world` makes for that seed: the benchmark and the tests can check each account against its answer key.
"""

from __future__ import annotations

from typing import Any

from .generate import generate_world

MANAGER_UIN = 100000000001
MEMBER_UIN = 200000000000  # member i is 200000000001 + i
ROLE = "OrganizationAccessControlRole"
NODES = ["Platform", "Data", "Web", "Payments"]


def generate_organization(
    *,
    members: int,
    regions: int = 1,
    instances: int = 100,
    clusters: int = 2,
    seed: int = 0,
    without_role: int = 0,
    session_duration: int | None = None,
) -> dict[str, Any]:
    """A world dict with an `organization` of `members` accounts, each of `regions` regions with `instances`
    instances and `clusters` clusters (the management account too); the last `without_role` members have no role
    (what a scan must report as unverified). `session_duration` caps each role's sessions (seconds)."""
    if not 0 <= without_role <= members:
        raise ValueError("without_role must be between 0 and the number of members")
    world = generate_world(regions=regions, instances=instances, clusters=clusters, seed=seed)
    world["credentials"][0]["uin"] = str(MANAGER_UIN)
    role: dict[str, Any] = {"name": ROLE} | ({"session_duration": session_duration} if session_duration else {})
    out = []
    for i in range(members):
        own = generate_world(regions=regions, instances=instances, clusters=clusters, seed=seed + 1 + i)
        node = i % len(NODES)
        member: dict[str, Any] = {
            "uin": str(MEMBER_UIN + 1 + i),
            "name": f"team-{i + 1:03d}",
            "node_id": 1000 + node,
            "node_name": NODES[node],
            "tags": [{"Key": "team", "Value": f"team-{i + 1:03d}"}],
            "regions": own["regions"],
            "answer_key": own["answer_key"],
        }
        if i < members - without_role:
            member["role"] = dict(role)
        out.append(member)
    # The answer key last, where a reader of the file looks for it.
    key = world.pop("answer_key")
    return world | {"organization": {"members": out}, "answer_key": key}
