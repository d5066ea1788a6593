"""The long-running service: the job on an interval, Prometheus metrics, health probes and a status page."""

from __future__ import annotations

from .loop import Service

__all__ = ["Service"]
