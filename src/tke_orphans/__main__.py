"""`python -m tke_orphans` runs the CLI."""

from tke_orphans.cli import main

main()
