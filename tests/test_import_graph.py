"""The package's structure: no import cycle (imports inside functions count too), the training engine free of
widgets and torch, and the browser's modules (JupyterLite: no torch, fastai or ipympl) importable without them
and without starting a thread."""
import ast, subprocess, sys, textwrap
from pathlib import Path
import lr_tutor

PKG = Path(lr_tutor.__file__).parent

def module_name(path: Path) -> str:
    parts = path.relative_to(PKG.parent).with_suffix('').parts
    return '.'.join(parts[:-1] if parts[-1] == '__init__' else parts)

def imports_of(path: Path) -> set:
    "The lr_tutor modules `path` imports, anywhere in it (module level or inside a function)."
    name, out = module_name(path), set()
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
        out |= {m for m in found if m.split('.')[0] == 'lr_tutor'}
    return out

def graph() -> dict:
    mods = {module_name(p): p for p in PKG.rglob('*.py')}
    return {m: {i for i in imports_of(p) if i in mods and i != m} for m, p in mods.items()}

def test_the_graph_sees_the_package():
    g = graph()
    assert {'lr_tutor.engine', 'lr_tutor.lab', 'lr_tutor.lab_photos', 'lr_tutor.explore', 'lr_tutor.schedules'} <= set(g)
    assert 'lr_tutor.engine' in g['lr_tutor.lab'] and 'lr_tutor.lab' in g['lr_tutor.lab_photos']

def test_no_import_cycle():
    g, state, stack = graph(), {}, []
    def visit(m):
        state[m] = 'open'; stack.append(m)
        for n in sorted(g[m]):
            if state.get(n) == 'open': raise AssertionError('import cycle: ' + ' -> '.join(stack[stack.index(n):] + [n]))
            if n not in state: visit(n)
        state[m] = 'done'; stack.pop()
    for m in sorted(g):
        if m not in state: visit(m)

def test_the_engine_imports_no_widgets_and_no_torch():
    src = (PKG / 'engine.py').read_text()
    top = [n for n in ast.parse(src).body if isinstance(n, (ast.Import, ast.ImportFrom))]
    names = {a.name.split('.')[0] for n in top if isinstance(n, ast.Import) for a in n.names} | {
        (n.module or '').split('.')[0] for n in top if isinstance(n, ast.ImportFrom) and not n.level}
    assert not names & {'torch', 'fastai', 'ipywidgets', 'anywidget', 'matplotlib', 'ipympl', 'traitlets'}, names
    assert graph()['lr_tutor.engine'] <= {'lr_tutor.schedules'}

BLOCKED = textwrap.dedent('''
    import sys, threading, importlib.abc
    class Absent(importlib.abc.MetaPathFinder):
        "torch, fastai and ipympl are not installed (as in Pyodide)."
        def find_spec(self, name, path, target=None):
            if name.split('.')[0] in ('torch', 'torchvision', 'fastai', 'ipympl', 'fastprogress'):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    sys.meta_path.insert(0, Absent())
    before = threading.active_count()
''')

def run_without_torch(code: str) -> str:
    out = subprocess.run([sys.executable, '-c', BLOCKED + textwrap.dedent(code)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout

def test_the_browser_modules_import_without_torch_fastai_ipympl_and_start_no_thread():
    out = run_without_torch('''
        import lr_tutor.schedules, lr_tutor.engine, lr_tutor.explore, lr_tutor.lab
        assert threading.active_count() == before, threading.enumerate()
        assert not [m for m in sys.modules if m.split('.')[0] in ('torch', 'fastai', 'ipympl')]
        from lr_tutor.engine import train, TASKS
        from lr_tutor.schedules import one_cycle
        print(train('spiral', one_cycle(lr_max=.5, n_epochs=20)).final_accuracy > .9)
    ''')
    assert out.split() == ['True']

def test_the_photos_lab_without_torch_says_what_it_needs():
    out = run_without_torch('''
        from lr_tutor.lab import lab
        w = lab('one_cycle', task='photos')
        print(type(w).__name__)
        print(w.value)
    ''')
    kind, message = out.split('\\n', 1) if '\\n' in out else out.split('\n', 1)
    assert kind == 'HTML' and 'needs a full Python install with torch and fastai' in message and 'Traceback' not in message

def test_to_code_and_from_native_import_no_framework():
    "`from lr_tutor import from_native` and writing every framework's code import none of them (nor lr_tutor's adapters)."
    out = run_without_torch('''
        from lr_tutor import from_native, to_code
        from lr_tutor.schedules import one_cycle, sgdr, warmup, cosine
        for fw in ('pytorch', 'keras', 'optax', 'transformers', 'timm'):
            for s in (one_cycle(), sgdr(peak_decay=.5), warmup(cosine(), 1)):
                s.to_code(fw, 7)
        print(sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'keras', 'jax', 'optax', 'timm', 'transformers', 'fastai'}))
    ''')
    assert out.split() == ['[]']
