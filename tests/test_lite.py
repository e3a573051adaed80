"""The "Try it in your browser" site (scripts/build_lite.py): lr_tutor on Pyodide in JupyterLite.

- The modules the site uses import with torch, fastai and ipympl blocked, and start no thread (Pyodide has none).
- The site, built offline with the verified Pyodide in ../shared/pyodide, served on 127.0.0.1 and opened in headless
  Chromium: the Try-it notebook runs; its explorer and spiral lab follow a key press and a drag on lr_max (the
  figures change, the code follows, the lab retrains: its readouts are CPython's), as tests/test_frontends.py checks
  JupyterLab and Notebook 7; no request leaves 127.0.0.1, and the site is at most 60 MB.
- The site's root page, where a shared link lands, answers every request its browser makes (its favicon too).
- Lessons 00 and 02 as the site has them run to their end in the browser (Run All), with nothing on stderr.

Its fixtures live here; benchmarks/bench_lite.py uses them too. Screenshots go to test-artifacts/."""
import contextlib, functools, http.server, json, os, re, subprocess, sys, textwrap, threading, time
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'scripts'))
import build_lite  # noqa: E402
from conftest import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, follow_key_and_drag, page_problems  # noqa: E402

# Chromium resolves no name but 127.0.0.1: a request for anything else fails, and is recorded.
OFFLINE_ARGS = CHROMIUM_ARGS + ['--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1']
SITE_LIMIT_MB = 60
BLOCKED = ('torch', 'torchvision', 'fastai', 'ipympl', 'keras', 'tensorflow')

def _missing(what:str):
    "Skip here, fail in CI (which has Chromium, Playwright and ../shared/pyodide)."
    if os.environ.get('CI'): pytest.fail(f'the site test needs {what}')
    pytest.skip(f'the site test needs {what}')

# ---- the library without what a browser lacks -------------------------------------------------------------------

BLOCKER = textwrap.dedent('''
    import importlib.abc, sys, threading
    BLOCKED = {blocked!r}
    class Blocker(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split('.')[0] in BLOCKED: raise ImportError(f'{{name}} is blocked: a browser has no {{name}}')
    sys.meta_path.insert(0, Blocker())
    started = []
    _start = threading.Thread.start
    def start(self): started.append(self.name); return _start(self)
    threading.Thread.start = start
    import importlib, importlib.util
    names = ['lr_tutor.schedules', 'lr_tutor.explore', 'lr_tutor.lab']
    if importlib.util.find_spec('lr_tutor.engine'): names.append('lr_tutor.engine')
    for n in names: importlib.import_module(n)
    from lr_tutor.explore import explore
    from lr_tutor.lab import lab
    from lr_tutor.engine import train
    from lr_tutor.schedules import one_cycle
    explore('one_cycle'); lab('one_cycle', task='spiral')          # the widgets too, not only the imports
    train('spiral', one_cycle(lr_max=.5, n_epochs=2))
    import json
    print(json.dumps([names, sorted(m for m in sys.modules if m.split('.')[0] in BLOCKED), started, threading.active_count()]))
''')

def test_browser_modules_import_without_torch_or_threads():
    code = BLOCKER.format(blocked=BLOCKED)
    env = {**os.environ, 'PYTHONPATH': str(ROOT), 'MPLBACKEND': 'agg'}
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    names, loaded, started, n_threads = json.loads(out.stdout.strip().splitlines()[-1])
    assert {'lr_tutor.schedules', 'lr_tutor.explore', 'lr_tutor.lab'} <= set(names)
    assert loaded == [] and started == [] and n_threads == 1, (loaded, started, n_threads)

def test_the_blocker_blocks():
    "The check above could fail: the photos lab, which needs fastai, does not import under the blocker."
    code = BLOCKER.format(blocked=BLOCKED).replace("names = [", "names = ['lr_tutor.lab_photos', ")
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=ROOT, timeout=300,
                         env={**os.environ, 'PYTHONPATH': str(ROOT), 'MPLBACKEND': 'agg'})
    assert out.returncode != 0 and 'is blocked' in out.stderr, out.stderr[-2000:]

# ---- the build, without a browser -------------------------------------------------------------------------------

def test_browser_wheel_declares_only_browser_safe_dependencies(tmp_path):
    import zipfile
    wheel = build_lite.lr_tutor_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        meta = z.read(next(n for n in names if n.endswith('.dist-info/METADATA'))).decode()
    requires = [l.split(': ', 1)[1] for l in meta.splitlines() if l.startswith('Requires-Dist')]
    assert sorted(re.split(r'[<>=]', r)[0] for r in requires) == ['anywidget', 'ipywidgets', 'matplotlib', 'numpy']
    assert {'lr_tutor/explore.py', 'lr_tutor/lab.py', 'lr_tutor/schedules.py', 'lr_tutor/js/frame_view.js'} <= set(names)
    assert not any('sample_data' in n for n in names)

def test_lessons_lose_only_what_needs_full_python():
    for name in build_lite.LESSONS:
        src = json.loads((ROOT / 'nbs' / 'reference' / name).read_text())
        nb = build_lite.lesson_for_browser(ROOT / 'nbs' / 'reference' / name)
        code = [''.join(c['source']) for c in nb['cells'] if c['cell_type'] == 'code']
        assert code[0].startswith('%pip install -q lr_tutor')
        assert not any(build_lite.NEEDS_FULL_PYTHON.search(c) for c in code if not c.startswith('#| export'))
        assert all(c['outputs'] == [] for c in nb['cells'] if c['cell_type'] == 'code')
        n_src = sum(c['cell_type'] == 'code' for c in src['cells'])
        assert len(code) - 1 >= n_src // 2, f'{name}: {len(code) - 1} of {n_src} code cells kept'   # most of it runs
        # nothing tells the learner to do what only a full install can (ipympl's canvas), though the docs' copy may
        told = lambda cells: [t for t in (''.join(c['source']) for c in cells) if not t.lstrip().startswith('#| export')
                              and "backend='ipympl'" in t]
        assert told(nb['cells']) == [], (name, told(nb['cells']))
        if name == '02_explore.ipynb': assert told(src['cells'])

def test_lesson_00_runs_without_torch():
    "Lesson 00 as the site has it runs (Run All, CPython) with torch, fastai and ipympl blocked."
    import nbclient, nbformat
    nb = nbformat.from_dict(build_lite.lesson_for_browser(ROOT / 'nbs' / 'reference' / '00_schedules.ipynb'))
    setup = next(c for c in nb.cells if c.cell_type == 'code')
    setup.source = BLOCKER.format(blocked=BLOCKED).split('    started = []')[0]      # instead of %pip install
    nb.metadata['kernelspec'] = {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'}
    nbclient.NotebookClient(nb, timeout=300, kernel_name='python3', resources={'metadata': {'path': str(ROOT)}}).execute()
    printed = ''.join(o.get('text', '') for c in nb.cells if c.cell_type == 'code' for o in c.outputs)
    assert 'step_decay: s(15) = ' in printed, printed[-2000:]            # the lesson's own printed numbers

def test_refuses_a_pyodide_file_that_differs(tmp_path):
    pyodide = _pyodide()
    copy = tmp_path / 'pyodide'
    copy.mkdir()
    for f in pyodide.iterdir():
        if f.is_file(): os.symlink(f, copy / f.name)
    numpy = next(copy.glob('numpy-*.whl'))
    numpy.unlink(); numpy.write_bytes(b'not numpy')
    with pytest.raises(SystemExit, match='numpy.*differs from the official build'):
        build_lite.verified_pyodide(copy)
    assert 'numpy' in build_lite.verified_pyodide(pyodide)['packages']

def _pyodide() -> Path:
    p = build_lite.DEFAULT_PYODIDE
    if not (p / 'pyodide-lock.official.json').exists(): _missing(f'an offline Pyodide in {p} (LR_TUTOR_PYODIDE)')
    return p

# ---- the site in a browser --------------------------------------------------------------------------------------

class Site:
    "The built site served on 127.0.0.1 (a free port) from a thread of this process, until `close()`."
    def __init__(self, folder:Path):
        handler = functools.partial(_Handler, directory=str(folder))
        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
        self.folder, self.port = folder, self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self): return f'http://127.0.0.1:{self.port}'

    def url(self, notebook:str='try_it.ipynb') -> str: return f'{self.base}/lab/index.html?path={notebook}'

    def close(self): self.server.shutdown(); self.server.server_close(); self.thread.join()

class _Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, '.wasm': 'application/wasm',
                      '.js': 'application/javascript', '.mjs': 'application/javascript', '.json': 'application/json'}
    def log_message(self, *args): pass

def built_site(folder:Path) -> Path:
    "The site built offline into `folder` (Pyodide from ../shared/pyodide, or LR_TUTOR_PYODIDE)."
    return build_lite.build(folder, _pyodide())

@contextlib.contextmanager
def browser_page(site:Site, requests:list, height:int=1400):
    "A Chromium page, 1400 px wide, recording into `requests` the URL of every request the page or its workers make."
    if not Path(CHROMIUM).exists(): _missing(f'Chromium ({CHROMIUM})')
    try: from playwright.sync_api import sync_playwright
    except ImportError: _missing('the playwright Python package')
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=OFFLINE_ARGS)
        context = browser.new_context(viewport={'width': 1400, 'height': height})
        context.on('request', lambda r: requests.append(r.url))
        page = context.new_page()
        page.on('worker', lambda w: requests.append(w.url))
        try: yield page
        finally: context.close(); browser.close()

def open_and_run_all(page, site:Site, notebook:str, timeout:float=120) -> float:
    "Open `notebook`, wait for its kernel to be idle, hide the file browser and Run All: the time.time() it was idle."
    page.goto(site.url(notebook))
    page.get_by_text(re.compile(r'\| Idle$')).first.wait_for(timeout=timeout * 1000)
    idle = time.time()
    page.keyboard.press('Control+b')                 # hide the file browser: the notebook gets the width
    page.get_by_role('menuitem', name='Run', exact=True).click()
    page.get_by_role('menuitem', name='Run All Cells', exact=True).click()
    return idle

def requests_outside(requests:list, site:Site) -> list:
    "The URLs in `requests` that are not the site's own (127.0.0.1), a blob or data."
    return sorted({u for u in requests if not re.match(rf'(http://127\.0\.0\.1:{site.port}/|blob:|data:)', u)})

def run_try_it(page, site:Site, timeout:float=120) -> dict:
    """Open the Try-it notebook, run all its cells, wait until the spiral lab shows its first frame: returns the
    seconds from navigation to the kernel idle and to that frame."""
    t0 = time.time()
    t_idle = open_and_run_all(page, site, 'try_it.ipynb', timeout) - t0
    try:
        page.wait_for_function("""() => { const c = document.querySelector('.lr-tutor-lab .lr-tutor-lab-figure canvas');
                                           return c && c.width > 10; }""", timeout=timeout * 1000)
    except Exception as e:                          # say what the kernel said, not only that the frame never came
        raise AssertionError(f'no lab frame in {timeout:.0f} s; the cells said: {cell_problems(page)[:3]}') from e
    t_lab = time.time() - t0
    page.wait_for_function("""() => { const p = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
                                       return p.length && p.every(e => /\\[\\d+\\]/.test(e.textContent)); }""",
                           timeout=timeout * 1000)
    return {'idle': t_idle, 'first_lab': t_lab, 'all_cells': time.time() - t0}

@pytest.fixture(scope='module')
def site(tmp_path_factory):
    s = Site(built_site(tmp_path_factory.mktemp('lite') / 'site'))
    yield s
    s.close()

def test_site_size(site):
    size = build_lite.site_size(site.folder)
    assert size <= SITE_LIMIT_MB * 2**20, f'the site is {size / 2**20:.1f} MB (limit {SITE_LIMIT_MB} MB)'
    config = json.loads((site.folder / 'jupyter-lite.json').read_text())['jupyter-config-data']
    kernel = config['litePluginSettings'][build_lite.KERNEL_SETTINGS]
    assert kernel['pyodideUrl'] == './static/pyodide/pyodide.js' and kernel['disablePyPIFallback'] is True
    assert build_lite.SERVICE_WORKER in config['disabledExtensions']
    import zipfile
    with zipfile.ZipFile(next((site.folder / 'pypi').glob('lr_tutor-*.whl'))) as z:     # the browser's font list
        assert any(re.fullmatch(r'lr_tutor/browser/matplotlib-[\d.]+-fontlist-v\d+\.json', n) for n in z.namelist())

def test_the_root_page_answers_every_request(site):
    "Where a shared link lands (the site's root, which sends the browser on to the lab): no request answered with an error."
    import urllib.request
    with urllib.request.urlopen(f'{site.base}/favicon.ico') as r:       # what a browser asks the root for
        assert r.status == 200 and r.read(4) == b'\x00\x00\x01\x00'        # an icon file
    failed = []
    with browser_page(site, []) as page:
        page.on('response', lambda r: failed.append((r.status, r.url)) if r.status >= 400 else None)
        page.goto(site.base + '/')
        page.wait_for_url(re.compile(r'/lab/'), timeout=60_000)
        time.sleep(3)
    assert failed == [], failed

def test_try_it_runs_offline_and_its_explorer_and_lab_follow_a_key_press_and_a_drag(site):
    """The Try-it notebook as tests/test_frontends.py checks JupyterLab and Notebook 7: the explorer and the spiral
    lab follow → and a drag on `lr_max` (figure and code), and the lab's readouts are those of the run CPython
    trains for the rate dragged to; nothing on stderr, no widget that failed; no request leaves 127.0.0.1."""
    ARTIFACTS.mkdir(exist_ok=True)
    requests = []
    with browser_page(site, requests) as page:
        run_try_it(page, site)
        page.screenshot(path=str(ARTIFACTS / 'lite_page.png'))
        # nothing on stderr: not even matplotlib's font-list notice (lr_tutor brings the list the site's build made)
        assert page_problems(page) == []
        assert page.locator('.lr-tutor-explorer').count() == 1 and page.locator('.lr-tutor-lab').count() == 2
        explorer, root = page.locator('.lr-tutor-explorer'), page.locator('.lr-tutor-lab').first
        start, keyed, dragged = follow_key_and_drag(page, explorer, explorer.locator('.lr-tutor-figure'))
        assert dragged < keyed, (start, keyed, dragged)
        readouts = root.locator('.lr-tutor-lab-readouts')
        start, keyed, dragged = follow_key_and_drag(page, root, root.locator('.lr-tutor-lab-figure'), min_pixels=500)
        assert (start, keyed) == (.5, .562) and dragged < keyed, (start, keyed, dragged)   # 10^-0.25: one step up
        # the readouts are those of the run for the rate dragged to, as CPython computes it
        from lr_tutor.engine import train
        from lr_tutor.schedules import one_cycle
        run = train('spiral', one_cycle(lr_max=dragged, n_epochs=20))
        want = [f'final loss {run.final_loss:.3g}', f'test accuracy {run.final_accuracy:.1%}']
        page.wait_for_function("([el, want]) => want.every(w => el.innerText.replace(/\\u00a0/g, ' ').includes(w))",
                               arg=[readouts.element_handle(), want], timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / 'lite_page_after.png'))
        assert page_problems(page) == []
    assert len(requests) > 50
    outside = requests_outside(requests, site)
    assert outside == [], f'requests left 127.0.0.1: {outside[:10]}'

# every code cell of the open notebook, from its model: (execution count, outputs)
NOTEBOOK_CELLS = '''() => { const nb = window.jupyterapp.shell.currentWidget;
  if (!nb || !nb.content || !nb.content.model) return null;
  return [...nb.content.model.cells].filter(c => c.type === 'code')
                                    .map(c => [c.executionCount, c.outputs.toJSON()]); }'''

def cell_problems(page, cells:list=None) -> list:
    "The errors (name, message, the traceback's last lines, colours stripped) and stderr texts the notebook's cells show."
    cells = page.evaluate(NOTEBOOK_CELLS) or [] if cells is None else cells
    outputs = [o for _, outs in cells for o in outs]
    plain = lambda t: re.sub(r'\x1b\[[0-9;]*m', '', t)
    return [f"{o['ename']}: {o.get('evalue')}\n" + plain('\n'.join(o.get('traceback', [])))[:1500]
            if o['output_type'] == 'error' else o.get('text') for o in outputs
            if o['output_type'] == 'error' or o.get('name') == 'stderr']

@pytest.mark.parametrize('lesson', build_lite.LESSONS)
def test_lessons_run_in_the_browser(site, lesson):
    "Each lesson the site carries runs to its end in the browser kernel (Run All): no error, nothing on stderr."
    requests = []
    with browser_page(site, requests) as page:
        open_and_run_all(page, site, lesson)
        deadline, cells, outputs = time.time() + 240, [], []
        while time.time() < deadline:
            cells = page.evaluate(NOTEBOOK_CELLS) or []
            outputs = [o for _, outs in cells for o in outs]
            if cells and (all(n is not None for n, _ in cells) or any(o['output_type'] == 'error' for o in outputs)): break
            time.sleep(1)
        bad = cell_problems(page, cells)
        assert bad == [], f'{lesson} in the browser: {bad[:3]}'
        assert cells and all(n is not None for n, _ in cells), f'{lesson}: not every cell ran in 240 s'
    outside = requests_outside(requests, site)
    assert outside == [], f'requests left 127.0.0.1: {outside[:10]}'
