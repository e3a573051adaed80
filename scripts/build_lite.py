#!/usr/bin/env python3
"""Build the "Try it in your browser" site: JupyterLite with the Pyodide kernel, lr_tutor's explorer and labs.

    python scripts/build_lite.py                     # offline, with the verified Pyodide in ../shared/pyodide
    python scripts/build_lite.py --cdn --out _docs/lite     # for publishing: Pyodide from its CDN

The site holds `lite/try_it.ipynb`, lessons 00 and 02 made from `nbs/` at build time (see `lesson_for_browser`),
and, in its `pypi/` folder (piplite), lr_tutor as a wheel built from this checkout that declares only its
browser-safe dependencies and carrying matplotlib's font list (`font_list`), plus the pure-Python wheels of
`lite/wheels.txt`. The build tools (`lite/requirements.txt`)
live in their own virtualenv, `lite/_build/venv`, made once and kept. Every build is clean (an incremental
JupyterLite build can drop settings).

Offline, the site serves Pyodide itself: `--pyodide` (default `$LR_TUTOR_PYODIDE`, else `../shared/pyodide/0.27.7`
beside this clone) must hold the runtime, the official lock and the package files the site serves; each package file is
checked against the sha256 of the official lock (`pyodide-lock.official.json`) and the build refuses on a mismatch;
the site's lock is the official one trimmed to the packages it serves.
"""
from __future__ import annotations
import argparse, base64, copy, csv, hashlib, io, json, os, re, shutil, subprocess, sys, tempfile, textwrap, time, venv, zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LITE = ROOT / 'lite'
BUILD = LITE / '_build'
DEFAULT_PYODIDE = Path(os.environ.get('LR_TUTOR_PYODIDE', ROOT.parent / 'shared' / 'pyodide' / '0.27.7'))
# What lr_tutor needs in a browser: numpy and matplotlib come with Pyodide, the widgets from the site's pypi/.
BROWSER_REQUIRES = ['numpy>=1.24', 'matplotlib>=3.7', 'ipywidgets>=8', 'anywidget>=0.9']
LESSONS = ['00_schedules.ipynb', '02_explore.ipynb']
RUNTIME = ['pyodide.js', 'pyodide.mjs', 'pyodide.asm.js', 'pyodide.asm.wasm', 'python_stdlib.zip', 'package.json']
# What the site serves of Pyodide (with their dependencies): the kernel's own needs, then lr_tutor's.
PYODIDE_PACKAGES = ['micropip', 'ipython', 'jedi', 'sqlite3', 'ssl', 'pyodide-unix-timezones', 'numpy', 'matplotlib']
KERNEL_SETTINGS = '@jupyterlite/pyodide-kernel-extension:kernel'
# Off: with JupyterLite's service worker, the kernel mounts the browser's files as its working folder, and every
# top-level import stats that folder through a synchronous request to the page (some 150 on the way to the first
# lab, about 4 s here). Without it the kernel works in its own folder: the notebooks here read and write no files,
# and a file a user writes from Python stays in the kernel (the file browser does not show it).
SERVICE_WORKER = '@jupyterlite/application-extension:service-worker-manager'
# Code cells of a lesson that need a full Python install: torch, fastai, Keras, ipympl, threads (Pyodide starts none).
# `#| export` cells are the library's own source, which imports without them (tests/test_lite.py): always kept.
NEEDS_FULL_PYTHON = re.compile(r'^\s*(import|from)\s+(torch|torchvision|fastai|keras|tensorflow|ipympl|nbdev)\b'
                               r'|\b(Thread|ThreadPoolExecutor|to_fastai|to_torch|to_keras'
                               r'|lab_photos|photo_lab|rps_dls|lr_find|subprocess)\b|backend=[\'"]ipympl', re.M)
# Markdown that holds only with a full Python install (ipympl's canvas, say), marked so in the lesson: left out here.
FULL_PYTHON_TEXT = re.compile(r'<!-- full Python -->.*?<!-- /full Python -->', re.S)
FULL_PYTHON_NOTE = ('*In the browser:* {left_out}what needs torch, fastai, Keras, ipympl or threads (the adapters, the '
                    'photos) runs after `pip install lr_tutor`; the full lesson, with its outputs, is in the '
                    '[documentation](https://lr-tutor.github.io/lr_tutor/).')

def log(*a): print('[build_lite]', *a, flush=True)

def sha256(path:Path) -> str: return hashlib.sha256(path.read_bytes()).hexdigest()

def _norm(name:str) -> str: return re.sub(r'[-_.]+', '-', name).lower()

def verified_pyodide(folder:Path) -> dict:
    """The Pyodide lock the site serves: the official lock of the distribution in `folder`
    (`pyodide-lock.official.json`, as npm's `pyodide` package ships it) trimmed to `PYODIDE_PACKAGES` and their
    dependencies, once every one of their files exists in `folder` with the official sha256; a missing file or
    one that differs stops the build. Nothing else of `folder` is served."""
    folder = Path(folder)
    for name in RUNTIME + ['pyodide-lock.official.json']:
        if not (folder / name).is_file(): sys.exit(f'build_lite: {folder / name} is missing (--pyodide, or LR_TUTOR_PYODIDE)')
    official = json.loads((folder / 'pyodide-lock.official.json').read_text())
    by_name = {_norm(k): k for k in official['packages']}
    keep, todo = set(), list(PYODIDE_PACKAGES)
    while todo:
        name = by_name.get(_norm(todo.pop()))
        if name is None or name in keep: continue
        keep.add(name); todo += official['packages'][name]['depends']
    problems = []
    for name in sorted(keep):
        entry = official['packages'][name]
        f = folder / entry['file_name']
        if not f.is_file(): problems.append(f'{name}: {f.name} is missing')
        elif sha256(f) != entry['sha256']: problems.append(f'{name}: {f.name} differs from the official build (sha256)')
    if problems: sys.exit('build_lite: refusing this Pyodide:\n  ' + '\n  '.join(problems))
    log(f'Pyodide {official["info"]["version"]}: {len(keep)} package files match the official lock')
    return {**official, 'packages': {k: v for k, v in official['packages'].items() if k in keep}}

def build_env(folder:Path=BUILD / 'venv') -> Path:
    "The build tools' own virtualenv (made once, remade when lite/requirements.txt or lite/wheels.txt change)."
    reqs, wheels = (LITE / 'requirements.txt').read_text(), (LITE / 'wheels.txt').read_text()
    stamp, want = folder / 'lr_tutor-lite.stamp', hashlib.sha256((reqs + wheels).encode()).hexdigest()
    python = folder / ('Scripts/python.exe' if os.name == 'nt' else 'bin/python')
    if python.exists() and stamp.exists() and stamp.read_text() == want: return python
    log(f'making the build virtualenv {folder}')
    shutil.rmtree(folder, ignore_errors=True)
    venv.create(folder, with_pip=True)
    pip = [str(python), '-m', 'pip', 'install', '-q', '--disable-pip-version-check']
    subprocess.run(pip + ['-r', str(LITE / 'requirements.txt')], check=True)
    # the widgets' JupyterLab extensions, at the versions the browser kernel gets
    subprocess.run(pip + ['--no-deps'] + [r for r in pinned(LITE / 'wheels.txt') if re.match(r'(jupyterlab_widgets|anywidget)\b', r)], check=True)
    stamp.write_text(want)
    return python

def pinned(path:Path) -> list[str]:
    return [l.split('#')[0].strip() for l in path.read_text().splitlines() if l.split('#')[0].strip()]

def browser_wheels(dest:Path, python:Path) -> list[Path]:
    "The pure-Python wheels of lite/wheels.txt, downloaded once into lite/_build/wheels, copied to `dest`."
    cache = BUILD / 'wheels'
    want = pinned(LITE / 'wheels.txt')
    def have(req):
        name, version = req.split('==')
        return list(cache.glob(f'{name.replace("-", "_")}-{version}-py*-none-any.whl'))
    if not all(have(r) for r in want):
        log('downloading', ', '.join(want))
        subprocess.run([str(python), '-m', 'pip', 'download', '-q', '--disable-pip-version-check', '--no-deps',
                        '--only-binary', ':all:', '--platform', 'any', '--python-version', '3.12', '--implementation', 'py',
                        '-d', str(cache)] + want, check=True)
    dest.mkdir(parents=True, exist_ok=True)
    out = []
    for r in want:
        found = have(r)
        if not found: sys.exit(f'build_lite: no pure-Python wheel for {r}')
        out.append(Path(shutil.copy(found[0], dest)))
    return out

def font_list(python:Path) -> dict:
    """{name: bytes}: matplotlib's font list as the browser's matplotlib would make it on its first plot (about
    1.5 s there, with a notice on stderr), made by the build virtualenv's matplotlib of the same version. Its fonts
    are matplotlib's own (mpl-data), stored relative to matplotlib's data path, so the list holds in the browser.
    In the wheel as `lr_tutor/browser/matplotlib-<version>-fontlist-v<n>.json`; `import lr_tutor` in the browser
    puts it where matplotlib reads it, so lr_tutor is imported before pyplot (the lessons' first cell does it)."""
    code = textwrap.dedent('''
        import json, sys, tempfile, matplotlib, matplotlib.font_manager as fm
        only_matplotlibs = fm.findSystemFonts
        fm.findSystemFonts = lambda fontpaths=None, fontext='ttf': only_matplotlibs(fontpaths, fontext) if fontpaths else []
        with tempfile.TemporaryDirectory() as d:
            fm.json_dump(fm.FontManager(), f'{d}/list.json')
            data = open(f'{d}/list.json').read()
        fonts = [e['fname'] for e in json.loads(data)['ttflist'] + json.loads(data)['afmlist']]
        assert fonts and not any(f.startswith('/') for f in fonts), fonts[:3]     # all matplotlib's own, relative
        sys.stdout.write(json.dumps({'name': f'matplotlib-{matplotlib.__version__}-fontlist-v{fm.FontManager.__version__}.json',
                                     'data': data}))
    ''')
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run([str(python), '-c', code], capture_output=True, text=True, check=True,
                             env={**os.environ, 'MPLCONFIGDIR': tmp})
    made = json.loads(out.stdout)
    return {f'lr_tutor/browser/{made["name"]}': made['data'].encode()}

def lr_tutor_wheel(dest:Path, extra:dict|None=None) -> Path:
    """lr_tutor as a wheel for the browser, from this checkout: the package's modules and page scripts (not the
    sample photos, which only the photos lab uses) and `extra` ({path in the wheel: bytes}), declaring only
    `BROWSER_REQUIRES`."""
    version = re.search(r'^__version__\s*=\s*[\'"]([^\'"]+)', (ROOT / 'lr_tutor' / '__init__.py').read_text(), re.M)[1]
    dist = f'lr_tutor-{version}.dist-info'
    files = {f'lr_tutor/{p.relative_to(ROOT / "lr_tutor").as_posix()}': p.read_bytes()
             for p in sorted((ROOT / 'lr_tutor').rglob('*')) if p.is_file() and p.suffix in ('.py', '.js')
             and 'sample_data' not in p.parts and '__pycache__' not in p.parts}
    files.update(extra or {})
    files[f'{dist}/METADATA'] = '\n'.join(
        ['Metadata-Version: 2.1', 'Name: lr_tutor', f'Version: {version}',
         'Summary: Learning-rate schedules you can see and feel (the browser build: explorer and labs)',
         'License: Apache-2.0', 'Requires-Python: >=3.10'] + [f'Requires-Dist: {r}' for r in BROWSER_REQUIRES]).encode() + b'\n'
    files[f'{dist}/WHEEL'] = b'Wheel-Version: 1.0\nGenerator: lr_tutor scripts/build_lite.py\nRoot-Is-Purelib: true\nTag: py3-none-any\n'
    files[f'{dist}/top_level.txt'] = b'lr_tutor\n'
    record = io.StringIO()
    w = csv.writer(record, lineterminator='\n')
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()
        w.writerow([name, f'sha256={digest}', len(data)])
    w.writerow([f'{dist}/RECORD', '', ''])
    files[f'{dist}/RECORD'] = record.getvalue().encode()
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / f'lr_tutor-{version}-py3-none-any.whl'
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))   # reproducible
            info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
            z.writestr(info, data)
    return path

def _source(cell) -> str: return ''.join(cell['source']) if isinstance(cell['source'], list) else cell['source']

def lesson_for_browser(nb_path:Path) -> dict:
    """Lesson `nb_path` as the browser runs it: outputs cleared (the kernel makes them), the `#| default_exp`
    cell dropped, `#| hide` cells (the checks) collapsed, cells that need a full Python install
    (`NEEDS_FULL_PYTHON`, `#| export` cells aside) left out and said so, so is markdown marked as holding only there
    (`FULL_PYTHON_TEXT`), and a first cell that installs lr_tutor from the site."""
    nb = json.loads(Path(nb_path).read_text())
    cells, dropped = [], 0
    for cell in nb['cells']:
        cell = copy.deepcopy(cell)
        src = cell['source'] = _source(cell)
        if cell['cell_type'] == 'code':
            if src.lstrip().startswith('#| default_exp'): continue
            if not src.lstrip().startswith('#| export') and NEEDS_FULL_PYTHON.search(src): dropped += 1; continue
            cell['outputs'], cell['execution_count'] = [], None
            if src.lstrip().startswith('#| hide'): cell.setdefault('metadata', {}).setdefault('jupyter', {})['source_hidden'] = True
        else:
            cell['source'] = FULL_PYTHON_TEXT.sub('', src)
            if not cell['source'].strip(): continue
        cells.append(cell)
    title = next((i for i, c in enumerate(cells) if c['cell_type'] == 'markdown'), -1) + 1
    setup = {'cell_type': 'code', 'execution_count': None, 'metadata': {}, 'outputs': [],
             'source': '%pip install -q lr_tutor fastcore\nimport numpy, matplotlib, lr_tutor  # Pyodide loads them; fastcore runs the lesson\'s checks'}
    left_out = f'{dropped} cells of this lesson are left out here: ' if dropped else ''
    note = {'cell_type': 'markdown', 'metadata': {}, 'source': FULL_PYTHON_NOTE.format(left_out=left_out)}
    cells[title:title] = [note, setup]
    for c in cells: c.pop('id', None)
    nb['cells'] = cells
    nb['metadata'] = {'kernelspec': {'name': 'python', 'display_name': 'Python (Pyodide)', 'language': 'python'},
                      'language_info': {'name': 'python'}}
    nb['nbformat'], nb['nbformat_minor'] = 4, 4
    return nb

def lite_config(pyodide_url:str|None) -> dict:
    "lite/jupyter-lite.json, with the kernel pointed at a local Pyodide (and no PyPI fallback) when `pyodide_url`."
    config = json.loads((LITE / 'jupyter-lite.json').read_text())
    config['jupyter-config-data'].setdefault('disabledExtensions', []).append(SERVICE_WORKER)
    if pyodide_url:
        kernel = config['jupyter-config-data'].setdefault('litePluginSettings', {}).setdefault(KERNEL_SETTINGS, {})
        kernel.update(pyodideUrl=pyodide_url, disablePyPIFallback=True)
    return config

def site_size(folder:Path) -> int:
    "Bytes in the site, source maps aside."
    return sum(p.stat().st_size for p in Path(folder).rglob('*') if p.is_file() and not p.name.endswith('.map'))

def build(out:Path, pyodide:Path|None) -> Path:
    """Build the site into `out` (emptied first); `pyodide` None: the kernel loads Pyodide from its CDN."""
    out = Path(out).resolve()
    lock = verified_pyodide(pyodide) if pyodide else None
    python = build_env()
    with tempfile.TemporaryDirectory(prefix='lr-tutor-lite-') as tmp:
        stage = Path(tmp)
        contents = stage / 'files'
        contents.mkdir()
        shutil.copy(LITE / 'try_it.ipynb', contents / 'try_it.ipynb')
        for name in LESSONS:
            (contents / name).write_text(json.dumps(lesson_for_browser(ROOT / 'nbs' / 'reference' / name), indent=1) + '\n')
        browser_wheels(stage / 'pypi', python)
        log('built', lr_tutor_wheel(stage / 'pypi', font_list(python)).name)
        (stage / 'jupyter-lite.json').write_text(json.dumps(lite_config('./static/pyodide/pyodide.js' if pyodide else None), indent=2))
        shutil.copy(LITE / 'overrides.json', stage / 'overrides.json')
        if out.exists(): shutil.rmtree(out)
        jupyter = python.parent / 'jupyter'
        cmd = [str(jupyter), 'lite', 'build', '--lite-dir', str(stage), '--contents', str(contents), '--output-dir', str(out),
               '--apps', 'lab', '--apps', 'notebooks', '--apps', 'tree', '--no-sourcemaps', '--no-unused-shared-packages']
        env = {**os.environ, 'JUPYTER_PLATFORM_DIRS': '1'}
        for k in ('JUPYTER_CONFIG_DIR', 'JUPYTER_DATA_DIR', 'JUPYTER_PATH'): env.pop(k, None)
        t = time.time()
        subprocess.run(cmd, cwd=stage, env=env, check=True, stdout=subprocess.DEVNULL)
        log(f'jupyter lite build: {time.time() - t:.1f} s')
    # the root page, where a shared link lands, names no icon: a browser asks for /favicon.ico there
    shutil.copy(out / 'static' / 'favicons' / 'favicon.ico', out / 'favicon.ico')
    if pyodide:
        target = out / 'static' / 'pyodide'
        target.mkdir(parents=True, exist_ok=True)
        for name in RUNTIME + [e['file_name'] for e in lock['packages'].values()]:
            shutil.copy(Path(pyodide) / name, target / name)
        (target / 'pyodide-lock.json').write_text(json.dumps(lock))
    log(f'site: {out} ({site_size(out) / 2**20:.1f} MB without source maps)')
    return out

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--out', type=Path, default=BUILD / 'site', help='output folder, emptied first (default lite/_build/site)')
    where = ap.add_mutually_exclusive_group()
    where.add_argument('--pyodide', type=Path, default=DEFAULT_PYODIDE,
                       help='a verified offline Pyodide to serve with the site (default $LR_TUTOR_PYODIDE or ../shared/pyodide/0.27.7)')
    where.add_argument('--cdn', action='store_true', help="load Pyodide from its CDN, as a published site does")
    args = ap.parse_args(argv)
    build(args.out, None if args.cdn else args.pyodide)

if __name__ == '__main__': main()
