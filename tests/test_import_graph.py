"""The package's structure (read by scripts/import_graph.py, which draws the reference's "How it is built" page): no
import cycle (imports inside functions count too), no registry written by another module, the training engine
free of widgets and torch, the photos' training free of widgets (a Ray worker loads no ipywidgets), and the
browser's modules (JupyterLite: no torch, fastai or ipympl) importable without them and without starting a thread."""
import ast, importlib.util, subprocess, sys, textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location('import_graph', ROOT / 'scripts' / 'import_graph.py')
ig = importlib.util.module_from_spec(_spec); _spec.loader.exec_module(ig)
WIDGETS = ('ipywidgets', 'anywidget', 'traitlets', 'ipympl')

def test_the_graph_sees_the_package():
    g = ig.graph()
    assert {'lr_tutor.engine', 'lr_tutor.lab', 'lr_tutor.lab_photos', 'lr_tutor.photos', 'lr_tutor.explore',
            'lr_tutor.controls', 'lr_tutor.schedules'} <= set(g)
    assert 'lr_tutor.lab_shell' in g['lr_tutor.lab'] and 'lr_tutor.photos' in g['lr_tutor.lab_photos']
    assert 'lr_tutor.lab_photos' in g['lr_tutor.lab']          # lab() opens the photos lab: an import, not a registry
    assert ig.floors(g)['lr_tutor.lab'] > ig.floors(g)['lr_tutor.lab_photos'] > ig.floors(g)['lr_tutor.lab_shell']

def test_no_import_cycle():
    cycle = ig.find_cycle(ig.graph())
    assert cycle is None, 'import cycle: ' + ' -> '.join(cycle)

def test_the_cycle_finder_finds_one():
    "The check above could fail."
    assert ig.find_cycle({'a': {'b'}, 'b': {'c'}, 'c': {'a'}, 'd': set()}) == ['a', 'b', 'c', 'a']

def test_every_module_says_its_job():
    g = ig.graph()
    jobs = {m: ig.job(m) for m in ig.modules(g)}
    assert all(len(j) > 30 for j in jobs.values()), {m: j for m, j in jobs.items() if len(j) <= 30}

def assigned_subscripts(path:Path) -> set:
    "Names of the module-level dicts `path` writes into (`NAME[key] = ...`) outside any function or class."
    out = set()
    for node in ast.parse(path.read_text()).body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AugAssign) else []
        out |= {t.value.id for t in targets if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name)}
    return out

def test_no_module_writes_another_modules_registry_at_import():
    "A module may fill its own registry as it loads (schedules' families, the engine's tasks), never one it imported."
    for path in ig.PKG.glob('*.py'):
        tree = ast.parse(path.read_text())
        imported = {a.asname or a.name for n in tree.body if isinstance(n, ast.ImportFrom) for a in n.names}
        assert not assigned_subscripts(path) & imported, (path.name, assigned_subscripts(path) & imported)
    # registration by another module's function, at import: only the owner registers its own
    registrations = {p.name for p in ig.PKG.glob('*.py') for n in ast.parse(p.read_text()).body
                     if isinstance(n, ast.Expr) and isinstance(n.value, ast.Call)
                     and getattr(n.value.func, 'id', '') == 'register_task'}
    assert registrations == {'engine.py'}, registrations

def top_level_imports(path:Path) -> set:
    top = [n for n in ast.parse(path.read_text()).body if isinstance(n, (ast.Import, ast.ImportFrom))]
    return {a.name.split('.')[0] for n in top if isinstance(n, ast.Import) for a in n.names} | {
        (n.module or '').split('.')[0] for n in top if isinstance(n, ast.ImportFrom) and not n.level}

def test_the_engine_imports_no_widgets_and_no_torch():
    names = top_level_imports(ig.PKG / 'engine.py')
    assert not names & {'torch', 'fastai', 'matplotlib', *WIDGETS}, names
    assert ig.graph()['lr_tutor.engine'] <= {'lr_tutor.schedules'}

def test_importing_the_photos_training_loads_no_widgets():
    "A Ray worker of a photos sweep imports lr_tutor.photos (and the sweep): no widget module comes with them."
    out = subprocess.run([sys.executable, '-c', textwrap.dedent(f'''
        import sys
        import lr_tutor.photos, lr_tutor.sweep
        print(sorted({{m.split('.')[0] for m in sys.modules}} & set({WIDGETS!r})))''')],
        capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.split() == ['[]'], out.stdout
    assert not {'lr_tutor.lab', 'lr_tutor.lab_shell', 'lr_tutor.lab_photos'} & ig.graph()['lr_tutor.photos']

BLOCKED = textwrap.dedent('''
    import sys, threading, importlib.abc
    class Absent(importlib.abc.MetaPathFinder):
        "torch, fastai, fastcore and ipympl are not installed (as in Pyodide)."
        def find_spec(self, name, path, target=None):
            if name.split('.')[0] in ('torch', 'torchvision', 'fastai', 'ipympl', 'fastprogress', 'fastcore'):
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
        ex = lr_tutor.explore.explore('wsd', framework='pytorch', plot=False)    # the code box writes another framework's code
        print('LambdaLR' in ex.code.value or 'SequentialLR' in ex.code.value)
    ''')
    assert out.split() == ['True', 'True']

def test_the_photos_lab_without_torch_says_what_it_needs():
    out = run_without_torch('''
        from lr_tutor.lab import lab
        w = lab('one_cycle', task='photos')
        print(type(w).__name__)
        print(w.value)
    ''')
    kind, message = out.split('\n', 1)
    assert kind == 'HTML' and 'needs a full Python install with torch and fastai' in message and 'Traceback' not in message

def test_evidence_needs_no_torch_and_no_widgets():
    "The course's comparisons work on numbers from anywhere (the spiral, the photos, a sweep): scipy and pandas only."
    code = ('import sys, lr_tutor.evidence; '
            "print(sorted(m for m in ('torch', 'fastai', 'ipywidgets', 'anywidget', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == '[]', out

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
