"""Layers point one way: no import cycle between packages, no upward import, no hidden one.

Every module of ``ecoute/`` is read with :mod:`ast` (nothing is imported), so the test sees
imports at any depth — inside functions, ``if TYPE_CHECKING`` blocks, ``try`` blocks — with
relative imports resolved, plus the dotted-path strings that name an ``ecoute`` module (the
job stages and routers are loaded from those). From that it builds the graph between
top-level packages and fails on:

(a) a cycle between top-level packages;
(b) an import from a lower layer to a higher one, per :data:`LAYERS`;
(c) a function-local import of an ``ecoute`` module outside ``ecoute/cli/`` — the way a cycle
    is usually hidden. The CLI may do it only to keep ``ecoute --help`` fast. Heavy
    third-party libraries (faster_whisper, torch, spaCy…) may be imported lazily anywhere.

When a lower layer must trigger a higher one, it fires a hook (``ecoute/hooks.py``) that the
higher layer registers with in ``ecoute/services/wiring.py``.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: THE layer table, bottom to top. A package may import packages of its own layer or below.
#: A new top-level package or module of ``ecoute`` must be placed here (the test says so).
LAYERS: tuple[tuple[str, ...], ...] = (
    ("__init__", "config", "errors", "hooks", "plugins"),  # core: settings, errors, registries
    ("store",),  # database, blobs, keys, audit chain
    ("audio",),  # decoding, wake word, VAD
    ("speech",),  # ASR, TTS
    ("assistant",),  # the voice pipeline: verify, intents, skills
    ("privacy",),  # redaction, disguise, owners' rights (fires the deletion hooks)
    ("review",),  # human review
    ("improve",),  # the learning loop
    ("services", "jobs"),  # ingest, devices, owners' actions; background stages; hook wiring
    ("device",),  # the device client
    ("server",),  # HTTP
    ("cli",),  # the command line
)
LEVEL = {package: level for level, packages in enumerate(LAYERS) for package in packages}


@dataclass(frozen=True)
class Import:
    source: str  # importing module, e.g. "ecoute.privacy.deletion"
    target: str  # imported module, e.g. "ecoute.review.purge"
    path: Path
    line: int
    local: bool  # inside a function or lambda
    kind: str = "import"  # or "string": a dotted path naming a module

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(self.path.parents[len(self.source.split('.')) - 1]).as_posix()}:{self.line}"

    def __str__(self) -> str:
        how = " (dotted-path string)" if self.kind == "string" else " (function-local)" if self.local else ""
        return f"{self.where}: {self.source} -> {self.target}{how}"


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_of(module: str) -> str | None:
    """The top-level package (or core module) of ``ecoute.x.y``: ``x``; ``ecoute`` itself is ``__init__``."""
    parts = module.split(".")
    if parts[0] != "ecoute":
        return None
    return parts[1] if len(parts) > 1 else "__init__"


def is_module(root: Path, dotted: str) -> bool:
    if not all(dotted.split(".")):  # "ecoute." in an f-string is no module path
        return False
    base = root.joinpath(*dotted.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


class _Collector(ast.NodeVisitor):
    def __init__(self, root: Path, path: Path) -> None:
        self.root, self.path = root, path
        self.module = module_name(path, root)
        self.is_package = path.name == "__init__.py"
        self.depth = 0
        self.found: list[Import] = []

    def _add(self, target: str, node: ast.AST, kind: str = "import") -> None:
        if package_of(target) is not None:
            self.found.append(Import(self.module, target, self.path, node.lineno, self.depth > 0, kind))

    def _scoped(self, node: ast.AST) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _scoped

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:  # relative: resolve against this module's package
            base = self.module.split(".")
            if not self.is_package:
                base = base[:-1]
            base = base[: len(base) - (node.level - 1)]
            module = ".".join(base + ([node.module] if node.module else []))
        else:
            module = node.module or ""
        for alias in node.names:  # `from ecoute.review import purge` imports ecoute.review.purge
            submodule = f"{module}.{alias.name}"
            self._add(submodule if is_module(self.root, submodule) else module, node)

    def visit_Constant(self, node: ast.Constant) -> None:
        # "ecoute.review.sampling:consider_turn" (job stages), "ecoute.server.routes.owner" (routers)
        if isinstance(node.value, str) and node.value.startswith("ecoute."):
            dotted = node.value.partition(":")[0]
            if dotted.replace(".", "").replace("_", "").isalnum() and is_module(self.root, dotted):
                self._add(dotted, node, kind="string")


def collect(root: Path) -> list[Import]:
    """Every import of an ``ecoute`` module by a module under ``root/ecoute``."""
    found: list[Import] = []
    for path in sorted((root / "ecoute").rglob("*.py")):
        collector = _Collector(root, path)
        collector.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        found += collector.found
    return found


def package_graph(imports: list[Import]) -> dict[str, dict[str, list[Import]]]:
    graph: dict[str, dict[str, list[Import]]] = defaultdict(lambda: defaultdict(list))
    for imp in imports:
        source, target = package_of(imp.source), package_of(imp.target)
        assert source is not None and target is not None
        if source != target:
            graph[source][target].append(imp)
    return graph


def cycles(graph: dict[str, dict[str, list[Import]]]) -> list[list[str]]:
    """Strongly connected components of more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for succ in graph.get(node, {}):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    nodes = set(graph) | {t for targets in graph.values() for t in targets}
    for node in sorted(nodes):
        if node not in index:
            visit(node)
    return found


def cycle_problems(root: Path) -> list[str]:
    graph = package_graph(collect(root))
    problems = []
    for component in cycles(graph):
        edges = [(a, b) for a in component for b in component if graph.get(a, {}).get(b)]
        # the edges that close the cycle are the ones pointing up; same-layer cycles show them all
        upward = [(a, b) for a, b in edges if LEVEL.get(b, -1) > LEVEL.get(a, -1)] or edges
        problems.append(f"cycle between {', '.join(component)}, closed by:")
        problems += sorted({f"  {imp}" for a, b in upward for imp in graph[a][b]})
    return problems


def layer_problems(root: Path) -> list[str]:
    problems = []
    for imp in collect(root):
        source, target = package_of(imp.source), package_of(imp.target)
        assert source is not None and target is not None
        for package in (source, target):
            if package not in LEVEL:
                problems.append(f"{imp.where}: ecoute.{package} is in no layer; add it to LAYERS in {Path(__file__).name}")
        if source in LEVEL and target in LEVEL and LEVEL[target] > LEVEL[source]:
            problems.append(f"{imp}  [{source} is below {target}]")
    return sorted(set(problems))


def local_import_problems(root: Path) -> list[str]:
    return sorted({str(imp) for imp in collect(root)
            if imp.local and imp.kind == "import" and package_of(imp.source) != "cli"})


def test_no_cycle_between_packages() -> None:
    problems = cycle_problems(ROOT)
    assert not problems, "import cycles between top-level packages:\n" + "\n".join(problems)


def test_every_import_points_down_the_layers() -> None:
    problems = layer_problems(ROOT)
    assert not problems, ("imports from a lower layer to a higher one (use a hook, ecoute/hooks.py):\n"
                          + "\n".join(problems))


def test_no_function_local_import_of_ecoute_outside_the_cli() -> None:
    problems = local_import_problems(ROOT)
    assert not problems, ("function-local imports of ecoute modules (import at the top; if that makes "
                          "a cycle, the layering is wrong):\n" + "\n".join(problems))


def test_the_checks_catch_what_they_are_for(tmp_path: Path) -> None:
    """A tree with an upward import, a hidden cycle and a relative import: all three reported."""
    files = {
        "ecoute/__init__.py": "",
        "ecoute/config.py": "",
        "ecoute/store/__init__.py": "",
        "ecoute/store/vault.py": "from ecoute.privacy import audit\n",  # upward, at the top
        "ecoute/privacy/__init__.py": "",
        "ecoute/privacy/audit.py": "from ..store import vault\n",  # relative, downward: fine
        "ecoute/privacy/deletion.py": "def purge():\n    from ecoute.review import purge\n",  # hidden
        "ecoute/review/__init__.py": "",
        "ecoute/review/purge.py": "from ecoute.privacy import deletion\n",
        "ecoute/cli/__init__.py": "def main():\n    from ecoute.review import purge\n",  # allowed
        "ecoute/jobs.py": 'STAGES = {"x": "ecoute.cli:main"}\n',  # upward, by dotted path
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    problems = cycle_problems(tmp_path)
    assert problems[0] == "cycle between privacy, review, store, closed by:"
    assert "  ecoute/store/vault.py:1: ecoute.store.vault -> ecoute.privacy.audit" in problems
    layers = layer_problems(tmp_path)
    assert any(p.startswith("ecoute/store/vault.py:1: ecoute.store.vault -> ecoute.privacy.audit ") for p in layers)
    assert any(p.startswith("ecoute/privacy/deletion.py:2: ecoute.privacy.deletion -> ecoute.review.purge")
               for p in layers)
    assert any("ecoute/jobs.py:1: ecoute.jobs -> ecoute.cli (dotted-path string)" in p for p in layers)
    assert not any("privacy/audit.py" in p for p in layers)
    assert local_import_problems(tmp_path) == [
        "ecoute/privacy/deletion.py:2: ecoute.privacy.deletion -> ecoute.review.purge (function-local)"]
