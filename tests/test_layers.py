"""The package's architecture, checked: no import cycles (imports inside functions included), engines
never import an application, every module stays small."""

import ast
from pathlib import Path

import earmark

PACKAGE = Path(earmark.__file__).parent
APPLICATIONS = ("streaming", "evaluation", "training", "batch", "server", "compat", "cli")
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every earmark module a file imports, at the top or inside functions."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("earmark")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("earmark"):
                continue
            for alias in node.names:  # `from . import x` imports the module earmark.x
                candidate = f"{target}.{alias.name}"
                found.add(candidate if candidate in MODULES else target)
    return found - {name}


MODULES = {module_name(p) for p in PACKAGE.rglob("*.py")}
GRAPH = {module_name(p): imports_of(p) & MODULES for p in PACKAGE.rglob("*.py")}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), plus self-loops."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def layer(module: str) -> str:
    parts = module.split(".")
    if module in ("earmark", "earmark.__main__"):  # the public API and the entry point reach every layer
        return "api"
    return parts[1] if len(parts) > 2 or module.endswith(APPLICATIONS) else "core"


def test_the_graph_sees_function_level_imports():
    # registry imports engines only by dotted path; the CLI imports the registry inside a function
    assert "earmark.registry" in GRAPH["earmark.cli.options"]
    assert "earmark.engines.encoders" in GRAPH["earmark.training.train"]


def test_no_import_cycles():
    assert cycles(GRAPH) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_engines_and_the_core_never_import_applications():
    offenders = []
    for module, imported in GRAPH.items():
        if layer(module) in ("core", "engines", "io"):
            offenders += [(module, i) for i in imported if layer(i) in APPLICATIONS]
    assert offenders == []


def test_engines_never_call_load():
    offenders = [m for m, imported in GRAPH.items() if layer(m) == "engines" and "earmark.registry" in imported]
    assert offenders == []


def test_every_module_is_small():
    sizes = {module_name(p): len(p.read_text().splitlines()) for p in PACKAGE.rglob("*.py")}
    assert {m: n for m, n in sizes.items() if n > MAX_LINES} == {}


MAX_FUNCTION_LINES = 60


def function_lengths(path: Path) -> dict[str, int]:
    """Each function's body in lines (its docstring included), by qualified-enough name."""
    out = {}
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out[f"{path.stem}.{node.name}:{node.lineno}"] = node.end_lineno - node.body[0].lineno + 1
    return out


def test_every_function_is_short():
    lengths = {name: n for p in PACKAGE.rglob("*.py") for name, n in function_lengths(p).items()}
    assert {name: n for name, n in lengths.items() if n > MAX_FUNCTION_LINES} == {}


def test_the_length_check_finds_a_long_function(tmp_path):
    long = tmp_path / "long.py"
    long.write_text("def f():\n" + "    x = 1\n" * 61)
    assert list(function_lengths(long).values()) == [61]
