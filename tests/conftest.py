"""Driving JupyterLab in headless Chromium, for the browser tests and benchmarks/bench_explorer_browser.py.

`JupyterLab(folder)` starts a private JupyterLab server on 127.0.0.1 (free port, random token, temporary
config/runtime/settings folders) and stops it, kernels included, on `close()`. The helpers open a notebook,
run all its cells and find widgets the way a person would: through the page."""
import contextlib, io, json, os, re, shutil, signal, socket, subprocess, sys, tempfile, time, urllib.request
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

class JupyterLab:
    "A private JupyterLab server serving `root`; kernels can import lr_tutor from this checkout."
    def __init__(self, root, timeout:float=90):
        self.root, self.port, self.token = Path(root), _free_port(), os.urandom(16).hex()
        self.home = Path(tempfile.mkdtemp(prefix='lr-tutor-lab-'))
        _settings(self.home / 'settings')
        env = {**os.environ, 'JUPYTER_CONFIG_DIR': str(self.home / 'config'), 'JUPYTER_RUNTIME_DIR': str(self.home / 'runtime'),
               'IPYTHONDIR': str(self.home / 'ipython'), 'MPLCONFIGDIR': str(self.home / 'mpl'),
               'PYTHONPATH': os.pathsep.join(filter(None, [str(ROOT), os.environ.get('PYTHONPATH')]))}
        env.pop('MPLBACKEND', None)
        self.log = open(self.home / 'server.log', 'wb')
        cmd = [sys.executable, '-m', 'jupyter', 'lab', '--no-browser', '--ServerApp.open_browser=False',
               '--ServerApp.ip=127.0.0.1', f'--ServerApp.port={self.port}', '--ServerApp.port_retries=0',
               f'--IdentityProvider.token={self.token}', f'--ServerApp.root_dir={self.root}',
               f'--LabApp.user_settings_dir={self.home / "settings"}', f'--LabApp.workspaces_dir={self.home / "ws"}']
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
                    raise RuntimeError(f'JupyterLab did not start:\n{self.server_log()[-3000:]}')
                time.sleep(.25)

    @property
    def base(self): return f'http://127.0.0.1:{self.port}'

    def url(self, notebook:str) -> str: return f'{self.base}/lab/tree/{notebook}?token={self.token}&reset'

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
    page.get_by_text(re.compile(r'\| Idle$')).first.wait_for(timeout=timeout * 1000)
    page.keyboard.press('Control+b')                 # hide the file browser: the notebook gets the width
    page.get_by_role('menuitem', name='Run', exact=True).click()
    page.get_by_role('menuitem', name='Run All Cells', exact=True).click()
    # every code cell shows an execution count once it ran
    page.wait_for_function("""() => { const p = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
                                       return p.length && p.every(e => /\\[\\d+\\]/.test(e.textContent)); }""",
                           timeout=timeout * 1000)

def served_copy(tmp_path_factory, notebook:Path, name:str):
    "JupyterLab serving a fresh folder that holds a copy of `notebook` as `name` (for module-scoped fixtures)."
    need_browser()
    folder = tmp_path_factory.mktemp(Path(name).stem)
    shutil.copy(notebook, folder / name)
    with JupyterLab(folder) as server: yield server

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

def slider_handle(page, name:str, root:str='.lr-tutor-explorer'):
    "The keyboard-focusable handle of the slider labelled `name` inside `root`."
    label = page.locator('label', has_text=re.compile(f'^{re.escape(name)}$'))
    return page.locator(f'{root} .widget-slider', has=label).locator('.noUi-handle').first

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
