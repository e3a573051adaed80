#!/usr/bin/env python3
"""lr_tutor's import graph, read from the code with `ast`: which module of the package imports which (at module
level or inside a function), the floor each module stands on (above everything it imports) and its one job (the
first line of its docstring). tests/test_import_graph.py checks the graph; the reference's "How it is built" page
(nbs/reference/99_how_it_is_built.ipynb) draws it.

    python scripts/import_graph.py                  # the modules floor by floor, with their jobs
    python scripts/import_graph.py --png house.png  # and the picture
"""
from __future__ import annotations
import argparse, ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / 'lr_tutor'

def module_name(path:Path, pkg:Path=PKG) -> str:
    "'lr_tutor.engine' for lr_tutor/engine.py, 'lr_tutor' for its __init__.py."
    parts = path.relative_to(pkg.parent).with_suffix('').parts
    return '.'.join(parts[:-1] if parts[-1] == '__init__' else parts)

def imports_of(path:Path, pkg:Path=PKG) -> set:
    "The modules of the package `path` imports, anywhere in it (module level or inside a function)."
    name, out = module_name(path, pkg), set()
    package = name if path.name == '__init__.py' else name.rpartition('.')[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import): found = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                up = package.split('.')[:len(package.split('.')) - node.level + 1]
                base = '.'.join(up + ([base] if base else []))
            found = [base] + [f'{base}.{a.name}' for a in node.names]
        else: continue
        out |= {m for m in found if m.split('.')[0] == pkg.name}
    return out

def graph(pkg:Path=PKG) -> dict:
    "Module -> the modules of the package it imports (itself left out)."
    mods = {module_name(p, pkg): p for p in pkg.rglob('*.py')}
    return {m: {i for i in imports_of(p, pkg) if i in mods and i != m} for m, p in mods.items()}

def find_cycle(g:dict) -> list | None:
    "A chain of imports that comes back to where it started (`[a, b, ..., a]`), or None."
    state, stack = {}, []
    def visit(m):
        state[m] = 'open'; stack.append(m)
        for n in sorted(g[m]):
            if state.get(n) == 'open': return stack[stack.index(n):] + [n]
            if n not in state and (found := visit(n)): return found
        state[m] = 'done'; stack.pop()
    for m in sorted(g):
        if m not in state and (found := visit(m)): return found
    return None

def floors(g:dict) -> dict:
    "Module -> its floor: 1 for one that imports no module of the package, else one above the highest it imports."
    out = {}
    def floor(m):
        if m not in out: out[m] = 1 + max((floor(n) for n in g[m]), default=0)
        return out[m]
    for m in g: floor(m)
    return out

def source(module:str, pkg:Path=PKG) -> Path:
    "The file of `module`: `a/b.py`, or a package's `a/b/__init__.py`."
    path = pkg.parent / (module.replace('.', '/') + '.py')
    return path if path.exists() else pkg.parent / module.replace('.', '/') / '__init__.py'

def job(module:str, pkg:Path=PKG) -> str:
    "A module's one job: the first line of its docstring."
    doc = ast.get_docstring(ast.parse(source(module, pkg).read_text())) or ''
    return doc.split('\n\n')[0].replace('\n', ' ')

def modules(g:dict) -> list:
    "The modules a reader meets (not the package's face or nbdev's index), top floor first."
    f = floors(g)
    return sorted((m for m in g if not m.rpartition('.')[2].startswith('_') and '.' in m), key=lambda m: (-f[m], m))

def lines(module:str, pkg:Path=PKG) -> int:
    return len(source(module, pkg).read_text().splitlines())

def reduced(g:dict) -> dict:
    "`g` without the arrows another path implies (a -> c where a -> b -> ... -> c): what a picture needs to show."
    def reach(m, seen):
        for n in g[m]:
            if n not in seen: seen.add(n); reach(n, seen)
        return seen
    return {m: {n for n in g[m] if not any(n in reach(k, set()) for k in g[m] - {n})} for m in g}

def draw(g:dict=None, figsize=(13, 8.5)):
    """The house: each module a box on its floor (the top floor at the top), an arrow from each module to each
    module it imports that no other path reaches (`reduced`); the modules of a floor ordered so arrows cross
    little. A matplotlib `Figure`."""
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyArrowPatch
    g = graph() if g is None else g
    mods, f = modules(g), floors(g)
    g = reduced(g)
    rows = {}
    for m in mods: rows.setdefault(f[m], []).append(m)
    x = {}
    for sweep in range(4):                      # order each floor by where its neighbours stand (barycentres)
        for fl in sorted(rows, reverse=sweep % 2 == 0):
            row = rows[fl]
            def centre(m, i):
                near = [x[n] for n in mods if n in x and (n in g[m] or m in g[n])]
                return sum(near) / len(near) if near else i / max(1, len(row) - 1)
            keys = {m: centre(m, i) for i, m in enumerate(row)}
            row.sort(key=keys.get)
            for i, m in enumerate(row): x[m] = (i + .5) / len(row)
    fig = Figure(figsize=figsize)
    ax = fig.add_axes((0, 0, 1, 1)); ax.set_xlim(0, 1); ax.set_ylim(.3, max(rows) + .7); ax.axis('off')
    pos = {m: (x[m], f[m]) for m in mods}
    box = {m: ax.text(px, py, f'{m.rpartition(".")[2]}\n{lines(m)} lines', ha='center', va='center', fontsize=8.5,
                      zorder=2, bbox=dict(boxstyle='round,pad=.4', fc='#e8f0fa', ec='#4a6f9c', lw=.8))
           for m, (px, py) in pos.items()}
    for m in mods:
        for n in g[m]:
            if n in pos:    # drawn after the boxes, clipped to their edges: the head shows where an arrow ends
                ax.add_patch(FancyArrowPatch(pos[m], pos[n], patchA=box[m].get_bbox_patch(), patchB=box[n].get_bbox_patch(),
                                             arrowstyle='-|>', mutation_scale=12, color='0.4', lw=.8, shrinkA=1, shrinkB=1,
                                             connectionstyle='arc3,rad=.06', zorder=3))
    for fl in rows: ax.text(.005, fl, f'floor {fl}', fontsize=7, color='0.45', va='center')
    return fig

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--png', help='also draw the house into this PNG file')
    args = ap.parse_args()
    g = graph()
    cycle = find_cycle(g)
    if cycle: print('IMPORT CYCLE: ' + ' -> '.join(cycle))
    f = floors(g)
    for m in modules(g): print(f'floor {f[m]}  {m:<22} {lines(m):>4} lines  {job(m)}')
    if args.png: draw(g).savefig(args.png, dpi=100)

if __name__ == '__main__': main()
