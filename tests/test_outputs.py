"""The lessons are committed executed: every notebook in nbs/ carries the outputs its code cells made, and
they are not stale (no code cell changed since `scripts/execute_notebooks.py` ran it). What they show is fit for
a learner: no machine's path, no dependency's warning, the hidden test cells saved collapsed."""
import importlib.util, json, re
from pathlib import Path
import nbformat, pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location('execute_notebooks', ROOT / 'scripts' / 'execute_notebooks.py')
ex = importlib.util.module_from_spec(_spec); _spec.loader.exec_module(ex)
MANIFEST = ex.read_manifest()
FIX = 'run `python scripts/execute_notebooks.py {}` (the learner\'s default data: LR_TUTOR_DATA is left out) and commit the result'
MAX_BYTES = 3_000_000   # plots at default dpi and tables: a lesson is a few hundred kB, not megabytes of widget state

@pytest.mark.parametrize('path', ex.notebooks(), ids=lambda p: p.stem)
def test_outputs_saved_and_fresh(path):
    fix = FIX.format(path.stem)
    key = ex.manifest_key(path)
    assert key in MANIFEST, f'{key} was never executed by scripts/execute_notebooks.py: {fix}'
    entry, nb = MANIFEST[key], nbformat.read(path, as_version=4)
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
    names = {ex.manifest_key(p) for p in ex.notebooks()}
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

def _output_texts(nb):
    "(code cell index, text) for every text a saved output shows: streams, text/* data, tracebacks."
    for i, cell in enumerate(ex.code_cells(nb)):
        for out in cell.get('outputs', []):
            if 'text' in out: yield i, ''.join(out['text'])
            for mime, data in out.get('data', {}).items():
                if mime.startswith('text/') or mime.endswith('json'): yield i, data if isinstance(data, str) else json.dumps(data)
            if 'traceback' in out: yield i, re.sub(r'\x1b\[[0-9;]*m', '', '\n'.join(out['traceback']))

# A path of the machine that executed the notebook: the checkout, home and temp folders, an installed package.
MACHINE_PATH = re.compile('|'.join([re.escape(str(ROOT)), re.escape(str(Path.home())),
    r'(?<![\w.:/~-])/(?:work|home|root|tmp|Users|usr|opt|var|private|mnt|srv)/',
    r'[A-Za-z]:\\(?:Users|Windows|Program)', r'(?:site|dist)-packages']))

def machine_paths(nb):
    "'cell N: the line' for every saved output line that holds a path of the machine that ran it."
    return [f'code cell {i}: {line.strip()[:160]}' for i, text in _output_texts(nb)
            for line in text.splitlines() if MACHINE_PATH.search(line)]

def test_machine_path_found():
    "The check itself: it sees the paths a notebook run leaves (a photo folder, a warning's source file, a temp dir)."
    out = lambda text: nbformat.v4.new_output('stream', name='stdout', text=text)
    for text in (f'Using the set at {ROOT}/data/rps', '/work/shared/data/rps -> train', 'into /tmp/tmp3nc6occb/rps',
                 '/opt/venv/lib/python3.11/site-packages/torch/jit/_script.py:1491: FutureWarning: x',
                 "C:\\Users\\ana\\rps", 'written to /home/ana/x.pkl'):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('x', outputs=[out(text)])])
        assert machine_paths(nb), text
    for text in ('https://github.com/lr-tutor/lr_tutor/blob/main/lr_tutor/finder.py#L279', 'rps/ -> train/ + test/',
                 'lr 1e-3/3e-3 per group', '$LR_TUTOR_DATA holds no rps/', 'nbs/images/lab.png'):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('x', outputs=[out(text)])])
        assert not machine_paths(nb), text

@pytest.mark.parametrize('path', ex.notebooks(), ids=lambda p: p.stem)
def test_no_machine_path(path):
    "No saved output shows where the notebook ran: say which photo set was used, not where it lay."
    found = machine_paths(nbformat.read(path, as_version=4))
    assert not found, f'{path.name} shows paths of the machine that executed it:\n  ' + '\n  '.join(found)

# Python's warning line: "<file>:<line>: SomeWarning: message"
WARNING_LINE = re.compile(r'^(?P<file>.+?):\d+: (?P<kind>\w*Warning): ', re.M)

@pytest.mark.parametrize('path', ex.notebooks(), ids=lambda p: p.stem)
def test_no_dependency_warning(path):
    "A lesson does not open with a warning box from torch, fastai or another dependency (filter it in lr_tutor/__init__)."
    found = [f'code cell {i}: {m.group(0)}{text[m.end():].splitlines()[0][:100] if text[m.end():] else ""}'
             for i, text in _output_texts(nbformat.read(path, as_version=4)) for m in WARNING_LINE.finditer(text)
             if 'lr_tutor' not in Path(m.group('file')).parts]
    assert not found, f'{path.name} saved warnings raised outside lr_tutor:\n  ' + '\n  '.join(found)

@pytest.mark.parametrize('path', ex.notebooks(), ids=lambda p: p.stem)
def test_hidden_cells_collapsed(path):
    "Each `#| hide` cell (the tests) is saved collapsed, so a learner in JupyterLab meets the lesson, not its asserts."
    nb = nbformat.read(path, as_version=4)
    open_ = [i for i, c in enumerate(ex.code_cells(nb)) if ex.is_hidden(c)
             and not c.metadata.get('jupyter', {}).get('source_hidden')]
    assert not open_, (f'{path.name}: #| hide code cells {open_} are not saved collapsed: run '
                       f'`python scripts/execute_notebooks.py --kernelspec-only {path.stem}` (or re-execute it)')

def test_collapsed_cells_survive_nbdev_clean(tmp_path):
    "execute_notebooks collapses the `#| hide` cells, and nbdev-clean (this project's settings) keeps it so."
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('#| hide\nassert 1 + 1 == 2'),
                                         nbformat.v4.new_code_cell('print(2)', outputs=[
                                             nbformat.v4.new_output('stream', name='stdout', text='2\n')]),
                                         nbformat.v4.new_code_cell('#| hide\nprint(3)', outputs=[
                                             nbformat.v4.new_output('stream', name='stdout', text='3\n')])])
    path = tmp_path / 'lesson.ipynb'
    nbformat.write(ex.collapse_hidden(nb), path)
    ex.nbdev_clean(path)
    meta = [c.metadata.get('jupyter', {}) for c in nbformat.read(path, as_version=4).cells]
    assert meta == [{'source_hidden': True}, {}, {'source_hidden': True}], meta
