"""Run All on a CPU never fails, twice: every notebook in nbs/ executes top to bottom in a fresh python3 kernel,
as Jupyter's Run All does (nbclient, working directory the notebook's folder, no nbdev flags: the hidden test cells and the
`#| gpu` cells run too, and on a CPU the latter only say what they would run), then once more in the same kernel, as
a learner who presses Run All again does (`RUN_ALL_PASSES`). Each pass gets at most
LR_TUTOR_RUN_ALL_TIMEOUT seconds (default 300), LR_TUTOR_RUN_ALL_WORKERS notebooks at a time (default 2,
one torch thread each unless OMP_NUM_THREADS says otherwise). Nothing is written back to the notebooks.

The kernel is `$LR_TUTOR_KERNEL` (default python3, this Python): scripts/learner_run_all.sh points it at a fresh
learner's install, and scripts/test.sh runs the pass that way. This pass runs every cell nbdev-test runs and more, so
scripts/test.sh runs it instead of nbdev-test."""
import importlib.util, os, re, time, traceback
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location('execute_notebooks', ROOT / 'scripts' / 'execute_notebooks.py')
ex = importlib.util.module_from_spec(_spec); _spec.loader.exec_module(ex)
TIMEOUT = float(os.environ.get('LR_TUTOR_RUN_ALL_TIMEOUT', 300))
WORKERS = int(os.environ.get('LR_TUTOR_RUN_ALL_WORKERS', 2))
RUN_ALL_PASSES = 2          # Run All, then Run All again in the same kernel: a notebook must pass both
NOTEBOOKS = ex.notebooks()

def _run(path):
    "In a worker process: Run All on `path`, `RUN_ALL_PASSES` times in one kernel; (error text or None, seconds)."
    os.environ.setdefault('OMP_NUM_THREADS', '1')   # the kernels inherit it: one thread per notebook
    start = time.time()
    try: ex.run_notebook(path, timeout=TIMEOUT, passes=RUN_ALL_PASSES); return None, time.time() - start
    except Exception as e:   # the kernel's traceback, without its terminal colours
        text = re.sub(r'\x1b\[[0-9;]*m', '', f'{type(e).__name__}: {e}')     # its first line says which pass
        return (text if len(text) <= 6000 else text[:300] + '\n...\n' + text[-5700:]) or traceback.format_exc(), time.time() - start

@pytest.fixture(scope='session')
def run_all(request):
    "Run All (twice) on every selected notebook, WORKERS at a time, and print each one's time."
    chosen = [item.callspec.params['path'] for item in request.session.items
              if item.name.startswith('test_run_all[') and hasattr(item, 'callspec')]
    reporter = request.config.pluginmanager.get_plugin('terminalreporter')
    capture = request.config.pluginmanager.get_plugin('capturemanager')
    def report(line):
        with capture.global_and_fixture_disabled(): reporter.write_line(line)
    results, start = {}, time.time()
    with ProcessPoolExecutor(WORKERS) as pool:
        futures = {p: pool.submit(_run, p) for p in chosen}
        for p, f in futures.items():
            results[p] = f.result()
            report(f'Run All {p.name}: {"ok" if results[p][0] is None else "FAILED"} '
                                         f'in {results[p][1]:.0f} s')
    report(f'Run All x{RUN_ALL_PASSES}: {len(chosen)} notebooks in {time.time() - start:.0f} s, {WORKERS} at a time, '
           f'kernel {ex.kernel_name()}')
    return results

@pytest.mark.parametrize('path', NOTEBOOKS, ids=lambda p: p.stem)
def test_run_all(path, run_all):
    error, seconds = run_all[path]
    assert error is None, f'Run All of {path.name} failed after {seconds:.0f} s:\n{error}'
