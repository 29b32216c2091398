"""The package's module-level imports form no cycle (an import-order hazard, and a sign that two
layers depend on each other)."""
import ast
import os
import os.path as osp
from typing import Dict, List, Set

from tests.conftest import REPO

PACKAGE = 'mmseg_uda'


def module_names(root: str) -> Dict[str, str]:
    """Dotted module name -> file, for every module of the package under ``root``."""
    modules = {}
    for folder, _, files in os.walk(osp.join(root, PACKAGE)):
        for name in files:
            if name.endswith('.py'):
                path = osp.join(folder, name)
                dotted = osp.relpath(path, root)[:-3].replace(os.sep, '.')
                modules[dotted[:-len('.__init__')] if name == '__init__.py' else dotted] = path
    return modules


def module_imports(module: str, path: str, modules: Dict[str, str]) -> Set[str]:
    """Package modules that ``module`` imports at module level (not inside functions).

    ``from X import name`` counts as importing ``X.name`` when that is a module, else ``X``.
    """
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    package = module if path.endswith('__init__.py') else module.rpartition('.')[0]
    found = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                parts = package.split('.')
                parts = parts[:len(parts) - node.level + 1]
                base = '.'.join(parts + ([base] if base else []))
            for alias in node.names:
                sub = f'{base}.{alias.name}'
                found.add(sub if sub in modules else base)
    return {name for name in found if name in modules and name != module}


def cycles(graph: Dict[str, Set[str]]) -> List[List[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on_stack: Set[str] = set()
    found: List[List[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph[node]):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_cycle_finder_finds_a_cycle():
    assert cycles({'a': {'b'}, 'b': {'c'}, 'c': {'a'}, 'd': {'a'}}) == [['a', 'b', 'c']]
    assert cycles({'a': {'b'}, 'b': set()}) == []


def test_package_imports_form_no_cycle():
    modules = module_names(REPO)
    assert 'mmseg_uda.models.adaptation.base_adaptation' in modules
    graph = {name: module_imports(name, path, modules) for name, path in modules.items()}
    # relative imports resolved: ``from ..losses.adversarial_loss import``, ``from
    # ..discriminators import`` (a package), ``from ...patch_modes import``
    assert 'mmseg_uda.models.losses.adversarial_loss' in \
        graph['mmseg_uda.models.adaptation.base_adaptation']
    assert {'mmseg_uda.models.discriminators', 'mmseg_uda.patch_modes'} <= \
        graph['mmseg_uda.models.adaptation.patch_alignment']
    assert cycles(graph) == []
