"""A local, faithful emulator of the Tencent Cloud API 3.0 (cvm, tke, region) for tests, the demo and benchmarks.

The product never imports this package: it talks to the emulator only over HTTP, through the official SDK.
"""

from __future__ import annotations

from .errors import ApiError
from .faults import FaultPlan, FaultRule
from .server import Emulator
from .world import World, WorldError, load_world, world_from_data

__all__ = [
    "ApiError",
    "Emulator",
    "FaultPlan",
    "FaultRule",
    "World",
    "WorldError",
    "load_world",
    "world_from_data",
]
