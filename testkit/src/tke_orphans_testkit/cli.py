"""The kit's commands, which the product's CLI adds when the kit is installed: `tke-orphans demo`,
`tke-orphans emulator ...` and `tke-orphans sinks`. The emulator and the sinks are imported only when used."""

from __future__ import annotations

import signal
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from tke_orphans.sanitize import visible

EXIT_USAGE = 2  # the product's exit code for bad input


def fail(message: str) -> NoReturn:
    typer.echo(f"error: {visible(message, keep=chr(10))}", err=True)  # world errors may quote the file
    raise typer.Exit(EXIT_USAGE)


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
    audit_delay: Annotated[
        float | None, typer.Option(min=0, help="Seconds before an audit event can be looked up (default: the world's).")
    ] = None,
) -> None:
    """Serve the Tencent Cloud API for a world until stopped. The first line printed is the URL."""
    from .emulator import Emulator, FaultPlan, WorldError, load_world

    try:
        loaded = load_world(world)
        plan = FaultPlan.load(faults) if faults else None
        emu = Emulator(
            loaded, host=host, port=port, latency_ms=latency_ms, rate_limits=rate_limits.value, faults=plan,
            verbose=verbose, audit_delay=audit_delay,
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
    members: Annotated[int, typer.Option(min=0, help="An organization of this many members, each as the account.")] = 0,
    without_role: Annotated[int, typer.Option(min=0, help="Members (the last ones) that lack the role.")] = 0,
) -> None:
    """Write a realistic world with its answer key (which instances are orphans, and why); with --members, an
    organization whose every member is such a world of its own."""
    from .emulator.generate import generate_world, write_world
    from .emulator.generate_org import generate_organization

    if without_role > members:
        fail("--without-role cannot be more than --members")
    world = (
        generate_organization(members=members, regions=regions, instances=instances, clusters=clusters, seed=seed,
                              without_role=without_role)
        if members
        else generate_world(regions=regions, instances=instances, clusters=clusters, seed=seed)
    )  # fmt: skip
    try:
        write_world(world, output)
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror}")
    key = world["answer_key"]
    typer.echo(
        f"wrote {output}: {instances} instances, {clusters} clusters in {regions} region(s); "
        f"{len(key['orphans'])} orphans in the answer key"
        + (f" (and as much in each of {members} members, {without_role} without the role)" if members else ""),
        err=True,
    )


def sinks(
    port: Annotated[int, typer.Option(help="Port; 0 picks any free port.")] = 0,
    record: Annotated[Path | None, typer.Option(help="Append every accepted message to this JSON-lines file.")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Print each message's body too.")] = False,
) -> None:
    """Serve local fakes of the WeCom, DingTalk and Feishu bots (signatures, limits and answers as the real ones).
    Prints a line per message that arrives: the bot, accepted or rejected, the size."""
    from .sinks import DEFAULT_BOTS, run_sinks

    run_sinks(port, record, list(DEFAULT_BOTS), verbose=verbose)


class Output(StrEnum):
    """The product's `scan --output` choices, passed through."""

    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"


def demo(
    output: Annotated[Output, typer.Option("--output", "-o")] = Output.table,
    keep: Annotated[Path | None, typer.Option(help="Directory for the demo's config, state and messages.")] = None,
) -> None:
    """Run the real scan against the built-in emulator and chat sinks: no cloud account, no chat bot needed.

    Its files (config, state, messages) go to a temporary folder removed at the end, or to DIR with `--keep DIR`."""
    import shutil
    import tempfile

    workdir = keep or Path(tempfile.mkdtemp(prefix="tke-orphans-demo-"))
    try:
        code = _demo(workdir, output, kept=keep is not None)
    finally:
        if keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
    raise typer.Exit(code)


def _demo(workdir: Path, output: Output, kept: bool) -> int:
    from rich.console import Console
    from rich.text import Text

    from tke_orphans.render.table import say

    from .demo import demo_config, demo_world, nothing_new, run_product, show_messages
    from .emulator import Emulator
    from .sinks import DEFAULT_BOTS, ChatSinks

    try:
        workdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(f"--keep {workdir}: cannot make it a directory ({exc.strerror}): pass another path")
    messages = workdir / "messages.jsonl"
    messages.unlink(missing_ok=True)
    state = workdir / "tke-orphans.db"
    earlier = state.exists()  # a kept folder from an earlier run: its orphans were told already
    world = demo_world()
    console = Console(highlight=False, emoji=False)
    with Emulator(world) as emu, ChatSinks(list(DEFAULT_BOTS), record_path=messages) as sinks:
        path = workdir / "config.yaml"
        path.write_text(demo_config(world, emu.url, sinks), encoding="utf-8")
        if output is Output.table:
            console.print(f"Emulator (the demo world): {emu.url}\nChat sinks: {sinks.url}", soft_wrap=True)
            say(
                console,
                Text(
                    f"Config: {path}"
                    + ("" if kept else "\n(a temporary folder, removed at the end: --keep DIR keeps it)")
                ),
            )
        # The product's own `scan` command, as a user would type it.
        code = run_product(["scan", "-c", str(path), "--state", str(state), "-o", output.value])
    if output is Output.table:
        if messages.exists():
            show_messages(messages, console, kept)
        else:
            say(console, Text(nothing_new(state, earlier)))
    return code
