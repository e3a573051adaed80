"""Execute the notebooks as Jupyter's Run All does and save them with their outputs, so that a learner can
read a lesson before running it.

Each notebook runs top to bottom in a fresh `python3` kernel (nbclient), working directory the notebook's own folder, every
cell included (the hidden test cells and the `#| gpu` cells too, which on a CPU only say what they would
run). The executed notebook is then cleaned the way `nbdev-clean` cleans it (so `nbdev-clean` leaves it
unchanged), without the widgets' saved state: a widget's output keeps its static picture (image/png or
HTML) and drops the live view, which needs the kernel. Every notebook gets the python3 kernelspec, so
Jupyter opens it without asking for a kernel, and every `#| hide` cell (the tests) is saved collapsed
(`jupyter.source_hidden`, kept by nbdev-clean through `allowed_cell_metadata_keys`): a learner in JupyterLab
sees a "..." bar where the test is, and a click opens it.

The kernel that runs the notebooks is `$LR_TUTOR_KERNEL` (default `python3`, this Python): the learner-install
check (scripts/learner_run_all.sh) names a kernel that runs in the learner's virtualenv.

What the staleness check (tests/test_outputs.py) needs goes to `nbs/.outputs.json`: per notebook, the
lr_tutor version, the Run All time, and for each code cell in order `"<hash of its source> <number of outputs>"`.
A code cell edited after the run no longer matches its hash.

    python scripts/execute_notebooks.py                      # every notebook in nbs/
    python scripts/execute_notebooks.py 06_one_cycle index   # some of them
    python scripts/execute_notebooks.py --passes 2 11_lab    # Run All twice in one kernel (saves the first pass)
    python scripts/execute_notebooks.py --kernelspec-only    # only add the kernelspec, run nothing

The committed outputs are the CPU size's, from the data a learner's default run uses (the bundled photo sample): the
kernels run without `LR_TUTOR_DATA` even where it is set, unless `--keep-data` says to keep it (numbers a learner
will not reproduce: a lesson that keeps them must say so at its top)."""
import argparse, hashlib, json, os, re, sys, time
from pathlib import Path
import nbformat

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / 'nbs'
MANIFEST = NBS / '.outputs.json'
# nbdev-clean keeps the kernelspec but rewrites its display_name to the kernel's name ('python3')
KERNELSPEC = {'display_name': 'Python 3 (ipykernel)', 'language': 'python', 'name': 'python3'}
WIDGET_VIEW = 'application/vnd.jupyter.widget-view+json'
STATIC = ('image/png', 'image/svg+xml', 'text/html')

def notebooks(names=()):
    """The notebooks under nbs/ (its course/ and reference/ folders included; nbdev skips names starting with `_` or
    `.`), or those named: a path under nbs/ or a bare name such as `03_one_cycle`, with or without .ipynb."""
    every = sorted(p for p in NBS.rglob('*.ipynb')
                   if not any(part.startswith(('_', '.')) for part in p.relative_to(NBS).parts))
    if not names: return every
    def find(n):
        n = n if n.endswith('.ipynb') else f'{n}.ipynb'
        if (NBS / n).exists(): return NBS / n
        hits = [p for p in every if p.name == n]
        if len(hits) != 1: raise SystemExit(f'{n}: {"no" if not hits else "more than one"} notebook of that name under nbs/')
        return hits[0]
    return [find(n) for n in names]

def manifest_key(path) -> str:
    "A notebook's key in the manifest: its path under nbs/ ('course/03_one_cycle.ipynb')."
    return Path(path).resolve().relative_to(NBS).as_posix()

def cell_hash(source:str) -> str:
    "Short hash of a code cell's source: what the saved outputs were made from."
    return hashlib.sha1(source.encode()).hexdigest()[:12]

def code_cells(nb): return [c for c in nb.cells if c.cell_type == 'code']

def add_kernelspec(nb):
    nb.metadata['kernelspec'] = dict(KERNELSPEC)
    return nb

def kernel_name() -> str:
    "The Jupyter kernel that runs the notebooks: `$LR_TUTOR_KERNEL`, else python3."
    return os.environ.get('LR_TUTOR_KERNEL') or 'python3'

def is_hidden(cell) -> bool:
    "A `#| hide` cell: nbdev leaves it out of the docs (the tests, the imports they need)."
    return cell.cell_type == 'code' and any(re.match(r'#\|\s*hide\s*$', l) for l in cell.source.splitlines())

def collapse_hidden(nb):
    """Save every `#| hide` cell's source collapsed in JupyterLab (`source_hidden`), and only `#| hide` cells.
    Outputs stay open: a test that fails when the learner runs it must show its error."""
    for cell in code_cells(nb):
        meta = cell.metadata.get('jupyter', {})
        if is_hidden(cell): meta['source_hidden'] = True
        else: meta.pop('source_hidden', None)
        if meta: cell.metadata['jupyter'] = meta
        else: cell.metadata.pop('jupyter', None)
    return nb

def run_notebook(path, timeout:float=None, cell_timeout:float=None, nb=None, passes:int=1):
    """Execute notebook `path` (or `nb`, read from it) in a fresh python3 kernel, cell by cell, in its folder;
    `passes` times over in that one kernel, as a learner who presses Run All again does (the notebook keeps
    the first pass's outputs; a later pass runs on a copy). `timeout` limits each pass (each cell gets what is
    left of it), `cell_timeout` each cell. Returns the executed notebook and the seconds it took, all passes;
    a failing cell raises nbclient's CellExecutionError, its message naming the pass after the first."""
    import copy
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError
    path = Path(path)
    nb = nb or nbformat.read(path, as_version=4)
    client = NotebookClient(nb, kernel_name=kernel_name(), resources={'metadata': {'path': str(path.parent)}},
                            store_widget_state=False, allow_errors=False,
                            timeout=int(cell_timeout or timeout) if (cell_timeout or timeout) else None)
    start = time.time()
    with client.setup_kernel():
        for n in range(1, passes + 1):
            cells, pass_start = nb.cells if n == 1 else copy.deepcopy(nb.cells), time.time()
            for i, cell in enumerate(cells):
                if timeout is not None:
                    left = timeout - (time.time() - pass_start)
                    if left <= 0: raise CellTimeoutError(f'{path.name}: over {timeout:.0f} s before cell {i} (pass {n})')
                    client.timeout = max(1, int(min(left, cell_timeout or left)))   # nbclient wants whole seconds
                try: client.execute_cell(cell, i)
                except CellExecutionError as e:
                    if n > 1: e.traceback = f'Run All pass {n}, in the kernel of pass {n - 1}, which succeeded:\n{e}'
                    raise
    return nb, time.time() - start

def static_frames(nb):
    "Drop the live view from widget outputs that also carry a static picture; drop the saved widget state."
    nb.metadata.pop('widgets', None)
    for cell in code_cells(nb):
        for out in cell.get('outputs', []):
            data = out.get('data', {})
            if WIDGET_VIEW in data and any(k in data for k in STATIC): del data[WIDGET_VIEW]
    return nb

def nbdev_clean(path):
    "Clean `path` in place exactly as `nbdev-clean` does, with this project's [tool.nbdev] settings."
    from nbdev.clean import nbdev_clean as clean
    cwd = os.getcwd()
    try: os.chdir(ROOT); clean(str(path))
    finally: os.chdir(cwd)

def manifest_entry(nb, seconds=None):
    import lr_tutor
    entry = {'lr_tutor': lr_tutor.__version__,
             'code_cells': [f"{cell_hash(c.source)} {len(c.get('outputs', []))}" for c in code_cells(nb)]}
    if seconds is not None: entry['run_all_seconds'] = round(seconds)
    return entry

def read_manifest():
    return json.loads(MANIFEST.read_text()) if MANIFEST.exists() else {}

def write_manifest(m):
    MANIFEST.write_text(json.dumps(dict(sorted(m.items())), indent=1) + '\n')

def execute(path, timeout=None, passes:int=1):
    """Run `path` (`passes` times in one kernel: the outputs saved are the first pass's), save it with its outputs,
    clean it, and record it in the manifest; the seconds it took."""
    nb = add_kernelspec(nbformat.read(path, as_version=4))
    nb, seconds = run_notebook(path, timeout=timeout, nb=nb, passes=passes)
    nbformat.write(collapse_hidden(static_frames(nb)), path)
    nbdev_clean(path)
    m = read_manifest()
    m[manifest_key(path)] = manifest_entry(nbformat.read(path, as_version=4), seconds)
    write_manifest(m)
    return seconds

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('names', nargs='*', help='notebooks under nbs/ (default: all)')
    ap.add_argument('--kernelspec-only', action='store_true',
                    help='add the kernelspec and collapse the #| hide cells, execute nothing')
    ap.add_argument('--timeout', type=float, default=None, help='seconds allowed per notebook (per pass)')
    ap.add_argument('--passes', type=int, default=1,
                    help='Run All this many times in one kernel, as tests/test_run_all.py does (2); the first pass is saved')
    ap.add_argument('--keep-data', action='store_true',
                    help="keep $LR_TUTOR_DATA for the kernels (by default they use the learner's default data)")
    args = ap.parse_args()
    if not args.keep_data: os.environ.pop('LR_TUTOR_DATA', None)
    print(f"LR_TUTOR_DATA={os.environ.get('LR_TUTOR_DATA', '(not set: the default photo set)')}, "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '(not set)')}", flush=True)
    for path in notebooks(args.names):
        if args.kernelspec_only:
            nbformat.write(collapse_hidden(add_kernelspec(nbformat.read(path, as_version=4))), path); nbdev_clean(path)
            print(f'{path.name}: kernelspec set, hidden cells collapsed'); continue
        print(f'{path.name}: running...', flush=True)
        print(f'{path.name}: Run All (x{args.passes}) took {execute(path, args.timeout, args.passes):.0f} s; saved with its outputs',
              flush=True)

if __name__ == '__main__': sys.exit(main())
