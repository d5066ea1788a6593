"""The `tke-orphans` command: parse, call an operation, render, exit with a named code.

The emulator commands import the emulator inside their bodies: the product itself never imports it.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer
import yaml
from rich.console import Console

from . import __version__
from .cloud import CredentialsError
from .config import Config, ConfigError, load_config, masked_dict
from .model import ScanResult
from .render import render_csv, render_json, render_markdown, render_table

app = typer.Typer(
    name="tke-orphans",
    help="Find the CVM instances that TKE left behind, explain why, and tell the team.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
emulator_app = typer.Typer(help="A local emulator of the Tencent Cloud API, for tests, demos and benchmarks.")
app.add_typer(emulator_app, name="emulator")

# Exit codes: 0 complete; 1 orphans found (with --fail-on-orphans); 2 configuration or usage; 3 incomplete.
EXIT_ORPHANS, EXIT_USAGE, EXIT_INCOMPLETE = 1, 2, 3


class Output(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"


class RateLimits(StrEnum):
    real = "real"
    off = "off"


def _fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tke-orphans {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """tke-orphans: orphaned CVM instances of Tencent Kubernetes Engine."""


ConfigOpt = Annotated[
    str | None, typer.Option("--config", "-c", help="Config file [default: $TKE_ORPHANS_CONFIG, else ./config.yaml].")
]
EndpointOpt = Annotated[
    str | None,
    typer.Option(help="Send every API call to this base URL (emulator, proxy) [env: TKE_ORPHANS_ENDPOINT_URL]."),
]


def _config(path: str | None) -> Config:
    try:
        cfg = load_config(path)
    except ConfigError as exc:
        _fail(str(exc))
    logging.basicConfig(level=cfg.logging.level.upper(), format="%(levelname)s %(name)s: %(message)s")
    return cfg


def _endpoint(flag: str | None) -> str | None:
    url = flag or os.environ.get("TKE_ORPHANS_ENDPOINT_URL") or None
    if url is not None and not re.match(r"^https?://[^/\s]+/?$", url):
        _fail(f"--endpoint-url {url!r}: expected a base URL such as http://127.0.0.1:9000")
    return url


def _scan(cfg: Config, regions: list[str], endpoint_url: str | None, progress: bool) -> ScanResult:
    from .scan import plan_accounts, run_scan

    for plan in plan_accounts(cfg, regions):
        if not plan.regions:
            _fail(
                f"{cfg.source}: {plan.where}: no region to scan: set region, or regions (a list or 'all'), "
                "or pass --region"
            )
    calls = 0
    err = Console(stderr=True)
    status = err.status("Scanning...") if progress and err.is_terminal else None

    def on_call(api: str, region: str, outcome: str) -> None:
        nonlocal calls
        calls += 1
        if status is not None:
            status.update(f"Scanning... {calls} API calls ({api} in {region or 'all regions'})")

    try:
        if status is not None:
            status.start()
        return run_scan(cfg, regions_override=regions, endpoint_url=endpoint_url, listener=on_call)
    except CredentialsError as exc:
        _fail(str(exc))
    finally:
        if status is not None:
            status.stop()


def _console() -> Console:
    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=200)  # a pipe or a CI log: do not squeeze to 80 columns
    return console


def _print(result: ScanResult, output: Output) -> None:
    if output is Output.json:
        typer.echo(render_json(result))
    elif output is Output.csv:
        typer.echo(render_csv(result), nl=False)
    elif output is Output.markdown:
        typer.echo(render_markdown(result), nl=False)
    else:
        render_table(result, _console())


def _exit_code(result: ScanResult, fail_on_orphans: bool) -> int:
    if result.status != "ok":
        return EXIT_INCOMPLETE
    return EXIT_ORPHANS if fail_on_orphans and result.orphans else 0


@app.command()
def scan(
    config: ConfigOpt = None,
    region: Annotated[list[str] | None, typer.Option(help="Scan only this region (repeatable).")] = None,
    output: Annotated[Output, typer.Option("--output", "-o", help="How to print the result.")] = Output.table,
    no_notify: Annotated[bool, typer.Option(help="Do not send chat notifications.")] = False,
    fail_on_orphans: Annotated[bool, typer.Option(help="Exit 1 when orphans are found.")] = False,
    endpoint_url: EndpointOpt = None,
) -> None:
    """Find orphaned CVM instances in every configured account and region."""
    cfg = _config(config)
    result = _scan(cfg, region or [], _endpoint(endpoint_url), progress=output is not Output.json)
    _print(result, output)
    raise typer.Exit(_exit_code(result, fail_on_orphans))


@app.command("check-config")
def check_config(config: ConfigOpt = None) -> None:
    """Validate the config file and print the effective configuration, secrets masked."""
    cfg = _config(config)
    typer.echo(f"# {cfg.source}: valid")
    typer.echo(yaml.safe_dump(masked_dict(cfg), sort_keys=False, allow_unicode=True), nl=False)


@app.command()
def doctor(config: ConfigOpt = None, endpoint_url: EndpointOpt = None) -> None:
    """Call each API once per configured region: do the credentials and CAM permissions work?"""
    from rich.table import Table

    from .doctor import diagnose
    from .scan import make_session, plan_accounts

    cfg = _config(config)
    endpoint = _endpoint(endpoint_url)
    table = Table("Account", "Region", "API", "Result")
    ok = True
    for plan in plan_accounts(cfg):
        try:
            session = make_session(cfg, plan, endpoint, None)
        except CredentialsError as exc:
            _fail(str(exc))
        for check in diagnose(session, plan.regions):
            ok &= check.ok
            mark = "[green]OK[/] " if check.ok else "[red]FAIL[/] "
            table.add_row(check.account, check.region, check.api, mark + check.detail)
    _console().print(table)
    raise typer.Exit(0 if ok else EXIT_INCOMPLETE)


@app.command()
def demo(
    output: Annotated[Output, typer.Option("--output", "-o")] = Output.table,
) -> None:
    """Run the real scan against the built-in emulator and demo world: no cloud account needed."""
    import tempfile

    from .demo import demo_config, demo_world
    from .emulator import Emulator

    world = demo_world()
    with Emulator(world) as emu, tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.yaml"
        path.write_text(demo_config(world, emu.url), encoding="utf-8")
        if output is Output.table:
            typer.echo(f"Emulator on {emu.url} serving the demo world; config written to {path}.")
        cfg = _config(str(path))
        result = _scan(cfg, [], None, progress=output is not Output.json)
    _print(result, output)
    raise typer.Exit(_exit_code(result, False))


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
    from .emulator import Emulator, FaultPlan, WorldError, load_world

    try:
        loaded = load_world(world)
        plan = FaultPlan.load(faults) if faults else None
        emu = Emulator(
            loaded, host=host, port=port, latency_ms=latency_ms, rate_limits=rate_limits.value, faults=plan,
            verbose=verbose,
        )  # fmt: skip
    except WorldError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"cannot listen on {host}:{port}: {exc.strerror}")
    typer.echo(emu.url)
    sys.stdout.flush()

    def _stop(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    try:
        emu.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        emu.stop()


@emulator_app.command("generate")
def emulator_generate(
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the world (.json or .yaml).")],
    regions: Annotated[int, typer.Option(min=1, max=16)] = 1,
    instances: Annotated[int, typer.Option(min=1)] = 1000,
    clusters: Annotated[int, typer.Option(min=0)] = 10,
    seed: Annotated[int, typer.Option()] = 0,
) -> None:
    """Write a realistic world with its answer key (which instances are orphans, and why)."""
    from .emulator.generate import generate_world, write_world

    world = generate_world(regions=regions, instances=instances, clusters=clusters, seed=seed)
    try:
        write_world(world, output)
    except OSError as exc:
        _fail(f"cannot write {output}: {exc.strerror}")
    key = world["answer_key"]
    typer.echo(
        f"wrote {output}: {instances} instances, {clusters} clusters in {regions} region(s); "
        f"{len(key['orphans'])} orphans in the answer key",
        err=True,
    )


def main() -> None:
    app()
