"""Driving JupyterLab in headless Chromium, for the browser tests and benchmarks/bench_explorer_browser.py.

`JupyterLab(folder)` starts a private JupyterLab server on 127.0.0.1 (free port, random token, temporary
config/runtime/settings folders) and stops it, kernels included, on `close()`; `JupyterLab(folder, app='notebook')`
starts Jupyter Notebook 7 the same way. The helpers open a notebook, run all its cells, find widgets and use them
(`follow_key_and_drag`) the way a person would: through the page."""
import contextlib, io, json, math, os, re, shutil, signal, socket, subprocess, sys, tempfile, time, urllib.request
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / 'test-artifacts'
CHROMIUM = os.environ.get('LR_TUTOR_CHROMIUM', '/usr/bin/chromium')
CHROMIUM_ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                 '--disable-background-networking', '--disable-component-update', '--disable-sync']
KERNELSPEC = {'name': 'python3', 'display_name': 'Python 3 (ipykernel)', 'language': 'python'}

def need_browser():
    "Skip (locally) or fail (in CI, where .ci/run installs them) when Chromium or Playwright is missing."
    missing = []
    if not Path(CHROMIUM).exists(): missing.append(f'Chromium ({CHROMIUM})')
    try: import playwright.sync_api  # noqa: F401
    except ImportError: missing.append('the playwright Python package')
    if missing:
        msg = f"browser test needs {' and '.join(missing)}"
        if os.environ.get('CI'): pytest.fail(msg + ' (CI installs them: see .ci/run)')
        pytest.skip(msg)

def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]

def _settings(folder:Path):
    "User settings: no news or update checks, start the notebook's kernel without asking."
    for plugin, values in [('apputils-extension/notification', {'fetchNews': 'false', 'checkForUpdates': False}),
                           ('notebook-extension/tracker', {'autoStartDefaultKernel': True})]:
        f = folder / '@jupyterlab' / f'{plugin}.jupyterlab-settings'
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(json.dumps(values))

FRONT_ENDS = ('lab', 'notebook')      # what `JupyterLab` starts: `jupyter lab`, or `jupyter notebook` (Notebook 7)

class JupyterLab:
    """A private Jupyter server serving `root`; kernels can import lr_tutor from this checkout. `app`: 'lab'
    (JupyterLab) or 'notebook' (Notebook 7, the same server with Notebook's pages), with default settings but
    for those of `_settings`."""
    def __init__(self, root, timeout:float=90, app:str='lab'):
        if app not in FRONT_ENDS: raise ValueError(f'app must be one of {FRONT_ENDS}, got {app!r}')
        self.app = app
        self.root, self.port, self.token = Path(root), _free_port(), os.urandom(16).hex()
        self.home = Path(tempfile.mkdtemp(prefix='lr-tutor-lab-'))
        _settings(self.home / 'settings')
        env = {**os.environ, 'JUPYTER_CONFIG_DIR': str(self.home / 'config'), 'JUPYTER_RUNTIME_DIR': str(self.home / 'runtime'),
               'IPYTHONDIR': str(self.home / 'ipython'), 'MPLCONFIGDIR': str(self.home / 'mpl'),
               'PYTHONPATH': os.pathsep.join(filter(None, [str(ROOT), os.environ.get('PYTHONPATH')]))}
        env.pop('MPLBACKEND', None)
        self.log = open(self.home / 'server.log', 'wb')
        config = {'lab': 'LabApp', 'notebook': 'JupyterNotebookApp'}[app]
        cmd = [sys.executable, '-m', 'jupyter', app, '--no-browser', '--ServerApp.open_browser=False',
               '--ServerApp.ip=127.0.0.1', f'--ServerApp.port={self.port}', '--ServerApp.port_retries=0',
               f'--IdentityProvider.token={self.token}', f'--ServerApp.root_dir={self.root}',
               f'--{config}.user_settings_dir={self.home / "settings"}', f'--{config}.workspaces_dir={self.home / "ws"}']
        if hasattr(os, 'geteuid') and os.geteuid() == 0: cmd.append('--allow-root')
        # its own session: close() stops the server and the kernels it started, and nothing else
        self.proc = subprocess.Popen(cmd, cwd=self.root, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.time() + timeout
        while True:
            try:
                urllib.request.urlopen(f'{self.base}/api/status?token={self.token}', timeout=2)
                break
            except OSError:
                if self.proc.poll() is not None or time.time() > deadline:
                    self.close()
                    raise RuntimeError(f'jupyter {app} did not start:\n{self.server_log()[-3000:]}')
                time.sleep(.25)

    @property
    def base(self): return f'http://127.0.0.1:{self.port}'

    def url(self, notebook:str) -> str:
        if self.app == 'notebook': return f'{self.base}/notebooks/{notebook}?token={self.token}'
        return f'{self.base}/lab/tree/{notebook}?token={self.token}&reset'

    def kernel_idle(self, notebook:str) -> bool:
        "Whether the server runs a kernel for `notebook` (a path under `root`) that is idle."
        with urllib.request.urlopen(f'{self.base}/api/sessions?token={self.token}', timeout=5) as r: sessions = json.load(r)
        return any(s.get('path') == notebook and (s.get('kernel') or {}).get('execution_state') == 'idle' for s in sessions)

    def server_log(self) -> str:
        try: return (self.home / 'server.log').read_text(errors='replace')
        except OSError: return ''

    def close(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try: self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.home, ignore_errors=True)

    def __enter__(self): return self
    def __exit__(self, *exc): self.close()

def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

def open_and_run(page, lab:JupyterLab, notebook:str, timeout:float=120):
    "Open `notebook`, wait for its kernel, run all cells (Run > Run All Cells) and wait until they finished."
    page.goto(lab.url(notebook))
    if lab.app == 'notebook':                        # Notebook 7: no status bar, no file browser beside the notebook
        # its toolbar's kernel indicator says idle for a moment before the page starts the kernel: first the server's
        # word that the notebook's kernel is up and idle, then the page's
        deadline = time.time() + timeout
        while not lab.kernel_idle(notebook):
            if time.time() > deadline: raise TimeoutError(f'no idle kernel for {notebook} after {timeout} s')
            time.sleep(.25)
        page.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]').first.wait_for(timeout=timeout * 1000)
    else:
        page.get_by_text(re.compile(r'\| Idle$')).first.wait_for(timeout=timeout * 1000)
        page.keyboard.press('Control+b')             # hide the file browser: the notebook gets the width
    page.get_by_role('menuitem', name='Run', exact=True).click()
    page.get_by_role('menuitem', name='Run All Cells', exact=True).click()
    # every code cell shows an execution count once it ran
    page.wait_for_function("""() => { const p = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
                                       return p.length && p.every(e => /\\[\\d+\\]/.test(e.textContent)); }""",
                           timeout=timeout * 1000)

def served_copy(tmp_path_factory, notebook:Path, name:str, app:str='lab'):
    "JupyterLab (or `app`) serving a fresh folder that holds a copy of `notebook` as `name` (for module-scoped fixtures)."
    need_browser()
    folder = tmp_path_factory.mktemp(Path(name).stem)
    shutil.copy(notebook, folder / name)
    with JupyterLab(folder, app=app) as server: yield server

@contextlib.contextmanager
def notebook_page(lab:JupyterLab, notebook:str, height:int=1200, width:int=1400):
    "A Chromium page, `width` px wide, on `notebook` run in JupyterLab `lab`, checked to have written nothing to stderr."
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={'width': width, 'height': height})
        try:
            open_and_run(page, lab, notebook)
            errors = page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
            assert errors.count() == 0, errors.first.inner_text()
            yield page
        finally:
            page.close(); browser.close()

def slider_handle(page, name:str, root='.lr-tutor-explorer'):
    "The keyboard-focusable handle of the slider labelled `name` inside `root` (a selector or a locator)."
    label = page.locator('label', has_text=re.compile(f'^{re.escape(name)}$'))
    root = page.locator(root) if isinstance(root, str) else root
    return root.locator('.widget-slider', has=label).locator('.noUi-handle').first

def page_problems(page) -> list:
    """What a learner would see go wrong on the page: tracebacks and stderr in outputs, widgets that could not be
    shown (ipywidgets' error widget, 'Error displaying widget'), and lr_tutor's own error lines with text in them."""
    found = page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]').all_inner_texts()
    found += page.locator('.jupyter-widgets-error-widget').all_inner_texts()
    found += page.get_by_text('Error displaying widget').all_inner_texts()
    found += [t for t in page.locator('.lr-tutor-error').all_inner_texts() if t.strip()]
    return found

def code_value(code, name:str) -> float:
    "The value of `name` in the code a widget's code box shows (`lr_max=0.001,`)."
    m = re.search(rf'\b{re.escape(name)}=([0-9.eE+-]+)', code.inner_text())
    assert m, f'no {name}= in the code box: {code.inner_text()!r}'
    return float(m[1])

def changed_shot(element, before:bytes, timeout:float=60) -> bytes:
    "A stable screenshot of `element` once it differs from `before` (or the last one taken after `timeout` s)."
    deadline, shot = time.time() + timeout, before
    while time.time() < deadline and shot == before:
        time.sleep(.1)
        shot = element.screenshot()
    return stable_shot(element)

def follow_key_and_drag(page, root, figure, name:str='lr_max', step:float=.05, min_pixels:int=200) -> tuple:
    """Use log slider `name` of widget `root` (a locator) as a person would, and check that `figure` and the code box
    follow: → on the focused handle moves it one step of its grid (`step` decades: the code box shows the next
    grid value, to 3 significant digits), then a drag of the handle 30 px to the left lowers it. Each time, the
    figure's pixels change. Returns the three values (at the start, after the key, after the drag)."""
    code = root.locator('.lr-tutor-code')
    figure.scroll_into_view_if_needed()
    start, shot = code_value(code, name), stable_shot(figure)
    handle = slider_handle(page, name, root)
    handle.focus()
    page.keyboard.press('ArrowRight')
    want = f'{10 ** ((round(math.log10(start) / step) + 1) * step):.3g}'
    from playwright.sync_api import TimeoutError
    try: page.wait_for_function("([el, text]) => el.innerText.includes(text)", arg=[code.element_handle(), f'{name}={want},'],
                                timeout=30_000)
    except TimeoutError: raise AssertionError(f'→ on {name} at {start:g} did not take it to {want}: the code box shows '
                                              f'{code_value(code, name):g}') from None
    keyed = changed_shot(figure, shot)
    moved = (pixels(shot) != pixels(keyed)).any(axis=-1).sum()
    assert moved > min_pixels, f'the figure did not follow the key press ({moved} pixels changed)'
    box = handle.bounding_box()
    x, y = box['x'] + box['width'] / 2, box['y'] + box['height'] / 2
    page.mouse.move(x, y); page.mouse.down()
    page.mouse.move(x - 30, y, steps=6); page.mouse.up()
    page.wait_for_function(f"(el) => {{ const m = el.innerText.match(/\\b{name}=([0-9.eE+-]+)/); return m && +m[1] < {float(want)}; }}",
                           arg=code.element_handle(), timeout=30_000)
    dragged = changed_shot(figure, keyed)
    moved = (pixels(keyed) != pixels(dragged)).any(axis=-1).sum()
    assert moved > min_pixels, f'the figure did not follow the drag ({moved} pixels changed)'
    return start, float(want), code_value(code, name)

def wait_for_figure(page, selector:str='.lr-tutor-figure', timeout:float=60):
    "Wait until the figure element shows a picture (ipympl's canvas sized, or the image loaded)."
    page.wait_for_function("""(sel) => { const el = document.querySelector(sel); if (!el) return false;
        const c = el.tagName === 'IMG' ? el : el.querySelector('canvas, img');
        return c && (c.tagName === 'IMG' ? c.complete && c.naturalWidth > 10 : c.width > 10); }""",
        arg=selector, timeout=timeout * 1000)

def pixels(png:bytes):
    "A PNG screenshot as an int array of RGB pixels, to count what changed."
    import numpy as np
    from PIL import Image
    return np.asarray(Image.open(io.BytesIO(png)).convert('RGB')).astype(int)

def stable_shot(element, tries=20):
    "A screenshot of `element` once two in a row agree (the first frames may still be arriving)."
    last = element.screenshot()
    for _ in range(tries):
        time.sleep(.3)
        shot = element.screenshot()
        if shot == last: return shot
        last = shot
    return last

# For the browser benchmarks: JavaScript defining `figureSignature(fig, imgRoot, kind, stride)`, which returns a
# function giving the figure's current look: for a canvas (`kind` 'canvas') a hash of every `stride`-th pixel,
# computed again only after something was drawn on it (hashing every animation frame would slow the page); for
# an image view the src of the last loaded <img> under `imgRoot`.
FIGURE_SIGNATURE_JS = '''
const figureSignature = (fig, imgRoot, kind, stride) => {
  if (kind !== 'canvas') return () => { const im = [...imgRoot.querySelectorAll('img')].filter(i => i.complete && i.naturalWidth);
                                        return im.length ? im[im.length - 1].src : null; };
  const c = fig.querySelector('canvas'), ctx = c.getContext('2d');
  if (!ctx.__wrapped) { const draw = ctx.drawImage.bind(ctx);
    ctx.drawImage = (...a) => { window.__drawn = true; return draw(...a); }; ctx.__wrapped = true; }
  const hash = () => { const d = new Int32Array(ctx.getImageData(0, 0, c.width, c.height).data.buffer);
    let h = 0; for (let i = 0; i < d.length; i += stride) h = (Math.imul(h, 31) + d[i]) | 0; return h; };
  let last = hash(); window.__drawn = false;
  return () => { if (window.__drawn) { window.__drawn = false; last = hash(); } return last; };
};
'''

# For the layout tests: where on the page a notebook shows `el` (its scrolling panel, within the window), and the
# labels and buttons inside `el` whose text does not fit (cut to "Tr…", or spilling out of their box)
VISIBLE_AREA_JS = """(el) => { let p = el.parentElement;
  while (p && !(p.scrollHeight > p.clientHeight + 1 && /auto|scroll/.test(getComputedStyle(p).overflowY))) p = p.parentElement;
  const r = (p || document.documentElement).getBoundingClientRect();
  return [Math.max(r.left, 0), Math.max(r.top, 0), Math.min(r.right, innerWidth), Math.min(r.bottom, innerHeight)]; }"""
CUT_LABELS_JS = """(el) => [...el.querySelectorAll('label, button, .widget-label, .widget-label-basic')]
  .filter(e => e.offsetParent !== null && e.textContent.trim() && e.scrollWidth > e.clientWidth + 1)
  .map(e => [e.textContent.trim(), e.scrollWidth, e.clientWidth])"""
BOX_JS = "(el) => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; }"

def inside(box, area, tol:float=1) -> bool:
    "Whether `box` ([left, top, right, bottom], CSS pixels) lies wholly in `area`."
    return box[0] >= area[0] - tol and box[1] >= area[1] - tol and box[2] <= area[2] + tol and box[3] <= area[3] + tol
