"""The registry of kinds: every kind tke-orphans reports, in the order it shows them. Config's
`detection.leftovers`, the CLI's `--kind`, doctor, pricing, cleanup, the words, the metrics, the page and the JSON
read it; a new kind is its own file (kinds/spec.py says what it declares) and one line here."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from ..cloud.resources import OTHER_CLUSTERS
from . import cbs_disk, cfs, clb, cvm, eip, security_group
from .spec import Fresh, KindSpec, Noun

__all__ = [
    "KINDS",
    "VM",
    "Fresh",
    "KindSpec",
    "Noun",
    "default_kinds",
    "kind_of_id",
    "leftover_apis",
    "names",
    "noun",
    "scan_reads",
    "unchecked",
    "words",
]

VM = cvm.SPEC
# The leftovers of a deleted cluster, besides its VMs.
KINDS: dict[str, KindSpec] = {s.name: s for s in (cbs_disk.SPEC, clb.SPEC, eip.SPEC, cfs.SPEC, security_group.SPEC)}


def names() -> tuple[str, ...]:
    """Every kind, the VMs first: what `--kind` takes."""
    return (VM.name, *KINDS)


def default_kinds() -> tuple[str, ...]:
    """The leftovers looked for when detection.leftovers does not say."""
    return tuple(name for name, s in KINDS.items() if s.default)


def leftover_apis() -> frozenset[str]:
    """The APIs the leftovers' listings call: a failure of one of them says nothing about the region's VMs."""
    return frozenset({a for s in KINDS.values() for a in s.apis} | {f"tke.{action}" for action in OTHER_CLUSTERS})


def scan_reads(leftovers: Iterable[str]) -> tuple[str, ...]:
    """The CAM actions a scan of these leftover kinds calls (the VMs' always): what a read-only session allows."""
    reads = [*VM.cam_read, *(a for k in leftovers for a in KINDS[k].cam_read)]
    return tuple(dict.fromkeys([*reads, *(f"tke:{action}" for action in OTHER_CLUSTERS)]))


def unchecked(apis: Collection[str]) -> str:
    """What failing leftover listings left unchecked, in words: the kinds whose own calls they are ("disks, file
    systems"), or every kind's ("leftovers") for the calls they share (the serverless and edge cluster checks)."""
    named = [s.noun.many for s in KINDS.values() if s.apis & set(apis)]
    shared = any(not any(a in s.apis for s in KINDS.values()) for a in apis)
    return "leftovers" if shared or not named else ", ".join(named)


def kind_of_id(resource_id: str) -> str | None:
    """The kind an id's prefix says it is (ins-, disk-, lb-...), or None."""
    prefixes = {VM.name: VM.id_prefix} | {name: s.id_prefix for name, s in KINDS.items()}
    return next((name for name, prefix in prefixes.items() if resource_id.startswith(prefix)), None)


def noun(name: str) -> Noun:
    return VM.noun if name == VM.name else KINDS[name].noun


def words() -> dict[str, tuple[str, str]]:
    """The kinds' own facts: key -> (English, Chinese)."""
    out: dict[str, tuple[str, str]] = {}
    for s in KINDS.values():
        for key, said in s.words.items():
            if key in out and out[key] != said:
                raise ValueError(f"kind {s.name} words fact {key} differently from another kind")
            out[key] = said
    return out
