"""The package's layout: every module imports on its own, and no two modules import each other,
directly or round a longer loop (imports inside functions counted)."""

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "dedup"


def _modules() -> dict[str, Path]:
    return {".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__"): p
            for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The package's modules that ``name`` imports, anywhere in its code."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            target = f"{base}.{node.module}" if node.module else base
            candidates = [target] + [f"{target}.{a.name}" for a in node.names]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("dedup"):
            candidates = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            candidates = [a.name for a in node.names if a.name.startswith("dedup")]
        else:
            continue
        out.update(c for c in candidates if c in known and c != name)
    return out


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A loop of imports, if any (depth-first search)."""
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(v: str) -> list[str] | None:
        state[v] = 1
        path.append(v)
        for w in sorted(graph[v]):
            if w == "dedup":
                continue  # the package's own __init__ re-exports; a module reaching it is not a loop of modules
            if state.get(w) == 1:
                return path[path.index(w):] + [w]
            if w not in state and (found := visit(w)):
                return found
        state[v] = 2
        path.pop()
        return None

    for v in sorted(graph):
        if v not in state and (found := visit(v)):
            return found
    return None


def test_no_module_imports_another_that_imports_it_back():
    modules = _modules()
    graph = {name: _imports(name, path, set(modules)) for name, path in modules.items() if name != "dedup"}
    assert _cycle(graph) is None, " -> ".join(_cycle(graph))


def test_the_cycle_finder_finds_a_loop():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_every_module_imports_on_its_own():
    names = [n for n in _modules() if n != "dedup.__main__"]
    code = ("import importlib, sys\n"
            f"for name in {names!r}:\n"
            "    for m in [m for m in sys.modules if m == 'dedup' or m.startswith('dedup.')]:\n"
            "        del sys.modules[m]\n"
            "    importlib.import_module(name)\n"
            "print('ok')\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PACKAGE.parent)
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stderr


def test_the_stage_folders_import_each_other_in_one_direction():
    """Folders (and top-level modules) as units: no loop among them either, so each folder sits on
    the floors below it (compute, article, text, match, job, ...) and never reaches back up."""
    modules = _modules()

    def unit(name: str) -> str:
        parts = name.split(".")
        return parts[1] if len(parts) > 1 else "dedup"

    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        if name == "dedup":
            continue
        graph.setdefault(unit(name), set()).update(
            unit(t) for t in _imports(name, path, set(modules)) if unit(t) != unit(name))
    for targets in graph.values():
        targets.discard("dedup")  # the package's own __init__ re-exports
    graph.pop("__main__", None)
    assert _cycle(graph) is None, " -> ".join(_cycle(graph))
    assert {"text", "io", "match", "report", "index", "engine", "compute", "cli"} <= set(graph)


def test_every_module_opens_by_saying_what_it_does():
    """A newcomer reads a module's docstring first: every module has one, of a sentence or more."""
    thin = [name for name, path in _modules().items()
            if len((ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or "").split()) < 8]
    assert thin == []


#: The floors, from the bottom (docs/architecture.md): a folder or top-level module imports only
#: from its own floor or those below it.
FLOORS = [{"compute"}, {"article"}, {"text"}, {"match"}, {"job"}, {"io"}, {"engine", "corpus", "metrics"},
          {"report", "index"}, {"config"}, {"cli"}, {"__main__"}]


def _unit_graph() -> dict[str, set[str]]:
    modules = _modules()

    def unit(name: str) -> str:
        parts = name.split(".")
        return parts[1] if len(parts) > 1 else "dedup"

    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        if name != "dedup":
            graph.setdefault(unit(name), set()).update(unit(t) for t in _imports(name, path, set(modules)))
    return graph


def test_each_floor_imports_only_itself_and_the_floors_below():
    rank = {unit: k for k, floor in enumerate(FLOORS) for unit in floor}
    graph = _unit_graph()
    assert set(graph) <= set(rank), f"a folder or module with no floor: {sorted(set(graph) - set(rank))}"
    upward = sorted(f"{a} -> {b}" for a, targets in graph.items() for b in targets
                    if b != "dedup" and rank[b] > rank[a])
    assert upward == []
