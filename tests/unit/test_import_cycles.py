"""No import cycles inside opencode_lsp/.

Every import statement counts, wherever it stands (module level, inside a function, under
``if TYPE_CHECKING``): a cycle hidden in a function is still two modules that each need the other.
Modules break cycles by taking their collaborators as arguments and typing them with Protocols
kept in leaf modules (``core/run_state.py``, ``lsp/host.py``, ``mcp/tools.ToolServer``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import opencode_lsp

PACKAGE_DIR = Path(opencode_lsp.__file__).parent


def package_modules(package_dir: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every .py file under ``package_dir``."""
    modules = {}
    for path in package_dir.rglob("*.py"):
        parts = list(path.relative_to(package_dir.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The package's modules that ``name`` imports anywhere in its source."""
    is_package = path.name == "__init__.py"
    # The package a relative import starts from: the module itself for an __init__.py.
    here = name.split(".") if is_package else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in modules)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = here[: len(here) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:
                # ``from pkg import sub`` imports the submodule; ``from mod import thing`` the module.
                submodule = f"{base}.{alias.name}"
                if submodule in modules:
                    found.add(submodule)
                elif base in modules:
                    found.add(base)
    found.discard(name)
    return found


def import_graph(package_dir: Path) -> dict[str, set[str]]:
    modules = package_modules(package_dir)
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def cyclic_groups(graph: dict[str, set[str]]) -> list[list[str]]:
    """Groups of modules that reach each other through imports (strongly connected components
    of more than one module), found with Tarjan's algorithm, iteratively."""
    index: dict[str, int] = {}
    lowest: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = lowest[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, targets = work[-1]
            target = next(targets, None)
            if target is not None:
                if target not in index:
                    index[target] = lowest[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph.get(target, ())))))
                elif target in on_stack:
                    lowest[node] = min(lowest[node], index[target])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                lowest[parent] = min(lowest[parent], lowest[node])
            if lowest[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return groups


def describe(graph: dict[str, set[str]], groups: list[list[str]]) -> str:
    lines = []
    for group in groups:
        lines.append("cycle among: " + ", ".join(group))
        lines += [f"  {a} imports {b}" for a in group for b in sorted(graph[a]) if b in group]
    return "\n".join(lines)


def test_opencode_lsp_has_no_import_cycles():
    graph = import_graph(PACKAGE_DIR)
    assert len(graph) > 50  # the walk found the package's modules
    assert "opencode_lsp.core.step" in graph["opencode_lsp.core.prompt"]  # and their imports
    groups = cyclic_groups(graph)
    assert groups == [], describe(graph, groups)


def test_the_checker_sees_function_level_relative_and_type_checking_cycles(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from . import b\n")
    (pkg / "b.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import f\n")
    (pkg / "sub" / "__init__.py").write_text("from .c import thing\n")
    (pkg / "sub" / "c.py").write_text("import pkg.sub\nthing = 1\n")
    (pkg / "leaf.py").write_text("from .a import f\nfrom .sub import c\n")
    graph = import_graph(pkg)
    assert cyclic_groups(graph) == [["pkg.a", "pkg.b"], ["pkg.sub", "pkg.sub.c"]]
    assert "pkg.leaf imports" not in describe(graph, cyclic_groups(graph))
