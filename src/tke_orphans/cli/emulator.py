"""`tke-orphans emulator ...` and `tke-orphans sinks`: the local fakes. They are imported only when used."""

from __future__ import annotations

import signal
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from .common import fail

emulator_app = typer.Typer(help="A local emulator of the Tencent Cloud API, for tests, demos and benchmarks.")


class RateLimits(StrEnum):
    real = "real"
    off = "off"


@emulator_app.command("serve")
def emulator_serve(
    world: Annotated[Path, typer.Option(help="World file (YAML or JSON), see docs/emulator.md.")],
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port; 0 picks any free port.")] = 0,
    latency_ms: Annotated[float, typer.Option(help="Delay added to every answer.")] = 0,
    rate_limits: Annotated[RateLimits, typer.Option(help="'real': the documented per-API limits.")] = RateLimits.off,
    faults: Annotated[Path | None, typer.Option(help="Fault rules file (YAML or JSON).")] = None,
    verbose: Annotated[bool, typer.Option(help="Log every request to stderr.")] = False,
) -> None:
    """Serve the Tencent Cloud API for a world until stopped. The first line printed is the URL."""
    from ..emulator import Emulator, FaultPlan, WorldError, load_world

    try:
        loaded = load_world(world)
        plan = FaultPlan.load(faults) if faults else None
        emu = Emulator(
            loaded, host=host, port=port, latency_ms=latency_ms, rate_limits=rate_limits.value, faults=plan,
            verbose=verbose,
        )  # fmt: skip
    except WorldError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror}")
    typer.echo(emu.url)
    sys.stdout.flush()
    stop_on_sigterm()
    try:
        emu.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        emu.stop()


def stop_on_sigterm() -> None:
    """SIGTERM ends a server like Ctrl-C does, so that `finally` blocks run."""

    def _stop(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)


@emulator_app.command("generate")
def emulator_generate(
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the world (.json or .yaml).")],
    regions: Annotated[int, typer.Option(min=1, max=16)] = 1,
    instances: Annotated[int, typer.Option(min=1)] = 1000,
    clusters: Annotated[int, typer.Option(min=0)] = 10,
    seed: Annotated[int, typer.Option()] = 0,
) -> None:
    """Write a realistic world with its answer key (which instances are orphans, and why)."""
    from ..emulator.generate import generate_world, write_world

    world = generate_world(regions=regions, instances=instances, clusters=clusters, seed=seed)
    try:
        write_world(world, output)
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror}")
    key = world["answer_key"]
    typer.echo(
        f"wrote {output}: {instances} instances, {clusters} clusters in {regions} region(s); "
        f"{len(key['orphans'])} orphans in the answer key",
        err=True,
    )


def sinks(
    port: Annotated[int, typer.Option(help="Port; 0 picks any free port.")] = 0,
    record: Annotated[Path | None, typer.Option(help="Append every accepted message to this JSON-lines file.")] = None,
) -> None:
    """Serve local fakes of the WeCom, DingTalk and Feishu bots (signatures, limits and answers as the real ones)."""
    from ..sinks import DEFAULT_BOTS, run_sinks

    run_sinks(port, record, list(DEFAULT_BOTS))
