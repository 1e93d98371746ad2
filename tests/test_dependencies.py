"""Every package ``ecoute/`` imports is declared in pyproject.toml, not merely installed by another one.

The imports are read with ``ast`` (module level and inside functions, so the lazy imports that
keep ``ecoute --help`` quick count too). Each third-party module is mapped to the distribution
that installs it with ``importlib.metadata.packages_distributions()``; that distribution must be
in ``[project.dependencies]``. The exceptions are the production-only engines in ``OPTIONAL``:
they are imported only inside the function that builds the engine, are declared in an
optional extra instead, and need not be installed here.
"""

from __future__ import annotations

import ast
import sys
import tomllib
from collections import defaultdict
from importlib.metadata import packages_distributions
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "ecoute"

#: Module → (extra, distribution) for engines that only a production deployment installs.
OPTIONAL = {
    "piper": ("piper", "piper-tts"),  # speech/tts.py: an operator-provided Piper voice
    "boto3": ("s3", "boto3"),  # store/blobs.py: the S3 blob store
    "botocore": ("s3", "botocore"),
    "procrastinate": ("procrastinate", "procrastinate"),  # jobs.py: the PostgreSQL job queue
}


def _imports() -> dict[str, dict[str, bool]]:
    """Top-level module name → {"file:line": imported inside a function?} for absolute imports."""
    found: dict[str, dict[str, bool]] = defaultdict(dict)

    def visit(node: ast.AST, where: Path, in_function: bool) -> None:
        if isinstance(node, ast.Import | ast.ImportFrom):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:  # relative imports (level > 0) are our own modules
                names = [node.module] if node.level == 0 and node.module else []
            for name in names:
                found[name.split(".")[0]][f"{where.relative_to(ROOT)}:{node.lineno}"] = in_function
        inside = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        for child in ast.iter_child_nodes(node):
            visit(child, where, inside)

    for path in sorted(PACKAGE.rglob("*.py")):
        visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)), path, False)
    return found


def _third_party(imports: dict[str, dict[str, bool]]) -> dict[str, dict[str, bool]]:
    return {m: where for m, where in imports.items() if m not in sys.stdlib_module_names and m != "ecoute"}


def _declared() -> tuple[set[str], dict[str, set[str]]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    core = {str(canonicalize_name(Requirement(r).name)) for r in project["dependencies"]}
    extras = {extra: {str(canonicalize_name(Requirement(r).name)) for r in reqs}
              for extra, reqs in project.get("optional-dependencies", {}).items()}
    return core, extras


IMPORTS = _imports()
THIRD_PARTY = _third_party(IMPORTS)


def test_the_walk_finds_module_level_and_function_local_imports() -> None:
    # guards against a walk that silently finds nothing: both kinds exist in the code today
    assert not any(IMPORTS["typer"].values())  # the CLI modules import typer at module level
    assert any(IMPORTS["uvicorn"].values())  # inside the serve / demo commands (and at module level elsewhere)
    assert {"numpy", "sqlalchemy", "fastapi", "hassil"} <= set(THIRD_PARTY)
    assert "json" not in THIRD_PARTY and "ecoute" not in THIRD_PARTY


def test_every_imported_package_is_a_declared_dependency() -> None:
    core, _extras = _declared()
    owners = packages_distributions()
    undeclared = []
    for module, where in sorted(THIRD_PARTY.items()):
        if module in OPTIONAL:
            continue
        dists = {str(canonicalize_name(d)) for d in owners.get(module, [])}
        if not dists:
            undeclared.append(f"{module} (not installed; imported at {', '.join(sorted(where))})")
        elif not dists & core:
            undeclared.append(f"{module} from {', '.join(sorted(dists))} (imported at {sorted(where)[0]})")
    assert not undeclared, "add to [project.dependencies] in pyproject.toml:\n" + "\n".join(undeclared)


def test_optional_engines_are_declared_in_their_extra_and_imported_lazily() -> None:
    _core, extras = _declared()
    for module, (extra, dist) in OPTIONAL.items():
        assert module in THIRD_PARTY, f"{module} is no longer imported: drop it from OPTIONAL"
        assert canonicalize_name(dist) in extras.get(extra, set()), f"declare {dist} in the extra [{extra}]"
        eager = [at for at, in_function in THIRD_PARTY[module].items() if not in_function]
        assert eager == [], f"{module} is optional: import it inside the function that needs it"
