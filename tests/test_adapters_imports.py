"""One job per module: importing `lr_tutor.schedules`, or using `to_keras()`, loads neither torch, fastai nor keras,
and `schedules` imports no adapter module (the adapters `@patch` their methods onto `Schedule`)."""
import ast, os, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ('torch', 'fastai', 'keras', 'tensorflow')

def run(code: str) -> str:
    "stdout of `code` in a fresh interpreter that imports lr_tutor from this checkout."
    env = {**os.environ, 'PYTHONPATH': os.pathsep.join(filter(None, [str(ROOT), os.environ.get('PYTHONPATH')]))}
    return subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, env=env, check=True).stdout.strip()

def loaded_after(code: str) -> list:
    return eval(run(f"import sys\n{code}\nprint([m for m in {HEAVY!r} if m in sys.modules])"))

def test_importing_schedules_loads_no_framework():
    assert loaded_after('import lr_tutor.schedules') == []

def test_to_keras_per_epoch_loads_no_framework():
    code = ('from lr_tutor.schedules import one_cycle\n'
            'fn = one_cycle(1e-3, 12).to_keras()\n'
            'assert fn(3) == one_cycle(1e-3, 12)(3.)\n'
            'import lr_tutor.keras_adapter')
    assert loaded_after(code) == []

def test_to_fastai_and_to_torch_come_from_adapters_on_first_use():
    code = ('import torch\nfrom lr_tutor.schedules import one_cycle\n'
            'cb = one_cycle(1e-3, 2).to_fastai()\n'
            'sch = one_cycle(1e-3, 2).to_torch(torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=.1, momentum=.9), 3)\n'
            'print(type(cb).__module__, type(sch).__module__)')
    assert run(code).splitlines()[-1] == 'lr_tutor.adapters lr_tutor.adapters'

def module_imports(path: Path, top_level_only: bool) -> set:
    "Modules `path` imports (relative imports as lr_tutor.<name>), at module level only or anywhere."
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import): found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            found.add(('lr_tutor.' if node.level else '') + (node.module or ''))
    return found

def test_no_import_cycle_and_no_framework_in_schedules():
    mods = module_imports(ROOT / 'lr_tutor' / 'schedules.py', top_level_only=False)
    assert not {m for m in mods if m.split('.')[0] in HEAVY or m.startswith('lr_tutor.')}, mods

def test_keras_adapter_imports_keras_only_inside_functions():
    top = module_imports(ROOT / 'lr_tutor' / 'keras_adapter.py', top_level_only=True)
    assert not {m for m in top if m.split('.')[0] in HEAVY or m == 'lr_tutor.adapters'}, top
    anywhere = module_imports(ROOT / 'lr_tutor' / 'keras_adapter.py', top_level_only=False)
    assert not {m for m in anywhere if m.split('.')[0] in ('torch', 'fastai')}, anywhere

BLOCK = "import sys\nfor m in {mods!r}: sys.modules[m] = None   # as if not installed (the browser, on Pyodide)\n"

def test_adapters_without_torch_or_fastai_say_what_they_need():
    for mods in [('torch', 'fastai'), ('fastai',)]:
        code = (BLOCK.format(mods=mods) +
                'import lr_tutor.schedules\nfrom lr_tutor.schedules import one_cycle\n'
                'try: import lr_tutor.adapters\n'
                'except ImportError as e: print(type(e).__name__, "|", e)\n'
                'print(one_cycle(1e-2, 2)(1.))')
        out = run(code).splitlines()
        kind, msg = out[-2].split(' | ', 1)
        assert kind == 'ImportError'          # not the bare ModuleNotFoundError
        assert f"this Python has no {mods[0]!r}" in msg and 'need a full Python install with torch and fastai' in msg
        assert '`pip install lr_tutor`' in msg
        assert float(out[-1]) > 0             # the schedules still work
