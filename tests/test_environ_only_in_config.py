"""Only ecoute/config.py reads the process environment: every other module gets its settings passed in."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "ecoute"

#: Writes that configure a third-party library before it is imported — not reads of our settings.
#: (module, variable) → why.
ALLOWED_WRITES = {
    ("privacy/pii/analyzer.py", "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"):
        "tldextract (via presidio) must never fetch the public suffix list from the network",
}


def _environ_uses(tree: ast.AST) -> list[tuple[int, str, str | None]]:
    """(line, what, variable written) for each use of os.environ / os.getenv / os.putenv."""
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "os":
            for alias in node.names:
                if alias.name in {"environ", "getenv", "putenv", "environb", "getenvb"}:
                    found.append((node.lineno, f"from os import {alias.name}", None))
        if not (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "os"
                and node.attr in {"environ", "getenv", "putenv", "environb", "getenvb"}):
            continue
        written = None
        method = parents.get(node)
        call = parents.get(method) if method is not None else None
        if (isinstance(method, ast.Attribute) and method.attr == "setdefault" and isinstance(call, ast.Call)
                and call.args and isinstance(call.args[0], ast.Constant)):
            written = str(call.args[0].value)
        found.append((node.lineno, f"os.{node.attr}", written))
    return sorted(found, key=lambda use: use[0])


def test_the_scan_sees_reads_and_writes():
    tree = ast.parse("import os\na = os.environ.get('X')\nos.environ.setdefault('Y', '')\nb = os.getenv('Z')\n")
    assert _environ_uses(tree) == [(2, "os.environ", None), (3, "os.environ", "Y"), (4, "os.getenv", None)]


def test_no_environment_read_outside_config():
    offending = []
    allowed_seen = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel == "config.py":
            continue
        for line, what, written in _environ_uses(ast.parse(path.read_text(encoding="utf-8"))):
            if written is not None and (rel, written) in ALLOWED_WRITES:
                allowed_seen.add((rel, written))
                continue
            offending.append(f"ecoute/{rel}:{line}: {what}")
    assert offending == [], "read settings through ecoute.config.Settings instead:\n" + "\n".join(offending)
    assert allowed_seen == set(ALLOWED_WRITES), "drop allowlist entries that no longer exist"
