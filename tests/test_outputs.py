"""The lessons are committed executed: every notebook in nbs/ carries the outputs its code cells made, and
they are not stale (no code cell changed since `scripts/execute_notebooks.py` ran it)."""
import importlib.util, json
from pathlib import Path
import nbformat, pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location('execute_notebooks', ROOT / 'scripts' / 'execute_notebooks.py')
ex = importlib.util.module_from_spec(_spec); _spec.loader.exec_module(ex)
MANIFEST = ex.read_manifest()
FIX = 'run `python scripts/execute_notebooks.py {}` (with LR_TUTOR_DATA set to the full photo set) and commit the result'
MAX_BYTES = 3_000_000   # plots at default dpi and tables: a lesson is a few hundred kB, not megabytes of widget state

@pytest.mark.parametrize('path', ex.notebooks(), ids=lambda p: p.stem)
def test_outputs_saved_and_fresh(path):
    fix = FIX.format(path.stem)
    assert path.name in MANIFEST, f'{path.name} was never executed by scripts/execute_notebooks.py: {fix}'
    entry, nb = MANIFEST[path.name], nbformat.read(path, as_version=4)
    recorded = [line.split() for line in entry['code_cells']]
    cells = ex.code_cells(nb)
    assert len(cells) == len(recorded), f'{path.name}: {len(cells)} code cells now, {len(recorded)} when executed: {fix}'
    for i, (cell, (sha, n_out)) in enumerate(zip(cells, recorded)):
        first = cell.source.splitlines()[0] if cell.source else ''
        assert ex.cell_hash(cell.source) == sha, f'{path.name}: code cell {i} ({first!r}) changed after its outputs were made: {fix}'
        if int(n_out): assert cell.get('outputs'), f'{path.name}: code cell {i} ({first!r}) lost its outputs: {fix}'
    import lr_tutor
    assert entry['lr_tutor'] == lr_tutor.__version__, f'{path.name} was executed with lr_tutor {entry["lr_tutor"]}: {fix}'

@pytest.mark.parametrize('path', ex.notebooks(), ids=lambda p: p.stem)
def test_opens_without_asking(path):
    "The python3 kernelspec is saved, the widgets' state is not, and the file stays small."
    nb = json.loads(path.read_text())
    assert nb['metadata'].get('kernelspec', {}).get('name') == 'python3', \
        f'{path.name} has no python3 kernelspec: run `python scripts/execute_notebooks.py --kernelspec-only {path.stem}`'
    assert 'widgets' not in nb['metadata'], f'{path.name} stores widget state: {FIX.format(path.stem)}'
    assert path.stat().st_size < MAX_BYTES, f'{path.name} is {path.stat().st_size / 1e6:.1f} MB'

def test_manifest_names_only_notebooks_that_exist():
    names = {p.name for p in ex.notebooks()}
    test = [n for n in MANIFEST if n not in names]
    assert not test, f'nbs/.outputs.json lists notebooks that are gone: {test}'

def test_lesson_opens_without_select_kernel():
    "In JupyterLab (not told to start kernels by itself) a saved lesson starts python3 without the Select Kernel dialog."
    from conftest import JupyterLab, launch_chromium, need_browser
    need_browser()
    import re, time
    from playwright.sync_api import sync_playwright
    with JupyterLab(ROOT) as lab, sync_playwright() as p:
        settings = lab.home / 'settings' / '@jupyterlab' / 'notebook-extension' / 'tracker.jupyterlab-settings'
        settings.write_text(json.dumps({'autoStartDefaultKernel': False}))
        browser = launch_chromium(p)
        try:
            page = browser.new_page()
            page.goto(lab.url('nbs/index.ipynb'))
            page.get_by_text(re.compile(r'\| Idle$')).first.wait_for(timeout=90_000)   # the kernel started by itself
            time.sleep(1)
            assert page.locator('.jp-Dialog').count() == 0, page.locator('.jp-Dialog').all_inner_texts()
        finally: browser.close()
