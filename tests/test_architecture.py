"""The dependency direction of ../shared/docs/ARCHITECTURE.md, read from the source (no imports run).

Every ``import`` and ``from ... import`` of our own packages is collected, at module level and inside
functions alike, and each rule below is checked; a violation names the file, the line and the rule.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = ("agents", "symbolic", "perception", "evaluation", "scripts")


@dataclass(frozen=True)
class Edge:
    source: str  # importing module, dotted
    target: str  # imported module (or package), dotted
    path: str
    line: int


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(dotted: str) -> bool:
    base = ROOT.joinpath(*dotted.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _runtime_nodes(tree: ast.AST):
    """Every node except those under ``if TYPE_CHECKING:`` (annotations only; they never run)."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                todo.extend(child.orelse)
                continue
            todo.append(child)


def _edges_of(path: Path) -> list[Edge]:
    source = _module_name(path)
    package = source if path.name == "__init__.py" else source.rpartition(".")[0]
    tree = ast.parse(path.read_text(), filename=str(path))
    edges: list[Edge] = []
    rel = str(path.relative_to(ROOT))
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            # ``from pkg import sub`` imports the module pkg.sub when it is one, else a name of pkg.
            targets = [f"{mod}.{a.name}" if _is_module(f"{mod}.{a.name}") else mod for a in node.names]
        else:
            continue
        for target in targets:
            if target.split(".")[0] in OURS:
                edges.append(Edge(source, target, rel, node.lineno))
    return edges


def _all_edges() -> list[Edge]:
    edges = []
    for top in OURS:
        for path in sorted((ROOT / top).rglob("*.py")):
            edges += _edges_of(path)
    return edges


EDGES = _all_edges()


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _violations(rule) -> list[str]:
    return [f"{e.path}:{e.line}: {e.source} imports {e.target}" for e in EDGES if rule(e)]


RULES = {
    "symbolic imports nothing of ours": lambda e: _within(e.source, "symbolic") and not _within(e.target, "symbolic"),
    "perception knows no rules, agents or evaluation": lambda e: _within(e.source, "perception")
    and not _within(e.target, "perception"),
    "agents never import evaluation or scripts": lambda e: _within(e.source, "agents")
    and (_within(e.target, "evaluation") or _within(e.target, "scripts")),
    "agents.world imports only agents.world, agents.sandbox and symbolic": lambda e: _within(e.source, "agents.world")
    and not any(_within(e.target, p) for p in ("agents.world", "agents.sandbox", "symbolic")),
    "agents.llm and agents.sandbox stand alone": lambda e: (_within(e.source, "agents.llm")
                                                           or _within(e.source, "agents.sandbox"))
    and not (_within(e.target, "agents.llm") or _within(e.target, "agents.sandbox")),
    "an agent imports only agents.world, agents.llm, agents.sandbox, symbolic and itself":
        lambda e: _within(e.source, "agents")
        and e.source.split(".")[:2] != e.target.split(".")[:2]
        and not any(_within(e.target, p) for p in ("agents.world", "agents.llm", "agents.sandbox", "symbolic")),
    "worlds import no agent except agents.world": lambda e: _within(e.source, "evaluation.worlds")
    and _within(e.target, "agents") and not _within(e.target, "agents.world"),
    "evaluation uses only the public API of agents.llm": lambda e: _within(e.source, "evaluation")
    and _within(e.target, "agents.llm") and e.target != "agents.llm",
    "the harness imports no benchmark or world": lambda e: _within(e.source, "evaluation.harness")
    and any(_within(e.target, p) for p in ("evaluation.benchmarks", "evaluation.worlds"))
    and not (e.source == "evaluation.harness.registry" and e.target == "evaluation.benchmarks"),
}


@pytest.mark.parametrize("rule", list(RULES))
def test_dependency_direction(rule: str) -> None:
    bad = _violations(RULES[rule])
    assert not bad, f"rule '{rule}' broken:\n" + "\n".join(bad)


def test_no_import_cycles() -> None:
    """No cycle among modules (package ``__init__`` re-exports excluded: they only gather names)."""
    inits = {_module_name(p) for top in OURS for p in (ROOT / top).rglob("__init__.py")}
    graph: dict[str, set[str]] = {}
    for e in EDGES:
        if e.source in inits or e.target in inits or e.source == e.target:
            continue
        graph.setdefault(e.source, set()).add(e.target)
    # Tarjan's strongly connected components; any component of two or more modules is a cycle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    assert not cycles, "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


def test_rules_see_real_imports() -> None:
    """The walk itself must find imports (a broken parser would make every rule pass)."""
    sources = {e.source for e in EDGES}
    assert "evaluation.benchmarks.refinement" in sources
    assert any(e.source.startswith("agents.refinement") and e.target.startswith("agents.world") for e in EDGES)
    assert any(_within(e.source, "evaluation.worlds") and e.target == "agents.world" for e in EDGES)
