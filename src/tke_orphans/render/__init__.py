"""One ScanResult, several renderings: terminal table, JSON (a contract), CSV. (Markdown is the chat message:
notify/compose.py.)"""

from __future__ import annotations

from .csv import render_csv
from .json import SCHEMA_VERSION, render_json, to_json
from .table import render_table

__all__ = ["SCHEMA_VERSION", "render_csv", "render_json", "render_table", "to_json"]
