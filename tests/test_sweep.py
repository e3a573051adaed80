"""lr_tutor.sweep on a local Ray with 2 CPUs, started once for the session: rows equal the runs trained apart, a
photos sweep, a worker killed mid-run, a driver interrupted and resumed, your Learner defined in a notebook, a
script or a module, failures that are reported once, and Ray missing. The script test starts its own Ray (its
start message, and the temporary directory it leaves)."""
import json, math, os, shutil, signal, subprocess, sys, tempfile, textwrap, threading, time
from functools import partial
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent
from lr_tutor.schedules import one_cycle, constant, sgdr, cosine
from lr_tutor.engine import train
from lr_tutor.sweep import Space, Sweep, plan_sweep, start_ray, sweep
from lr_tutor.sweep_trials import REPORT_FILE, WorkerTraceback
try: import ray
except ImportError: ray = None
needs_ray = pytest.mark.skipif(ray is None, reason="needs the extra lr_tutor[sweep] (scripts/test.sh installs it)")
sys.path.insert(0, str(TESTS))
import sweep_tasks      # not importable in Ray's workers (tests/ is not on their path): sweep sends it by value

COLS = ['schedule', 'family', 'optimizer', 'seed', 'epochs', 'accuracy', 'best_accuracy', 'final_loss', 'diverged', 'stopped']

@pytest.fixture(scope='session')
def local_ray():
    if ray is None: pytest.skip("needs the extra lr_tutor[sweep] (scripts/test.sh installs it)")
    "One embedded Ray with 2 CPUs for the whole session, shut down at its end."
    os.environ.setdefault('OMP_NUM_THREADS', '1')
    start_ray(num_cpus=2)
    yield ray
    ray.shutdown()

def same_as_alone(sw, task='spiral'):
    "Every row of `sw` is what `train` gives for its schedule and seed, run apart: same accuracy, same loss."
    for run, row in sw.runs.iterrows():
        alone = train(task, sw.jobs[run].schedule, int(row.seed), row.optimizer)
        assert repr(alone.schedule) == row.schedule
        assert (alone.final_accuracy, alone.final_loss) == (row.accuracy, row.final_loss) or (
            row.diverged and alone.diverged is not None), (run, row.to_dict())

@needs_ray
def test_spaces_come_from_the_param_metadata():
    s = Space(sgdr, lr_max=(1e-3, 1.), n_cycles=(1, 4), cycle_mult=[1, 2])
    test = s.tune_space()
    assert type(test['lr_max']).__name__ == 'Float' and 'LogUniform' in type(test['lr_max'].sampler).__name__
    assert type(test['n_cycles']).__name__ == 'Integer'
    assert type(test['cycle_mult']).__name__ == 'Categorical'
    grid = s.grid(4)
    assert [g['lr_max'] for g in grid[::8]] == [.001, .01, .1, 1.]          # log grid
    assert sorted({g['n_cycles'] for g in grid}) == [1, 2, 3, 4]            # integers
    assert len(grid) == 4 * 4 * 2
    draws = s.sample(50, seed=1)
    assert draws == s.sample(50, seed=1)
    assert all(1e-3 <= d['lr_max'] <= 1 and isinstance(d['n_cycles'], int) for d in draws)
    with pytest.raises(ValueError, match=r'lr_max must be in \(0, inf\)'): Space(sgdr, lr_max=(-1., 1.))
    with pytest.raises(ValueError, match='n_cycles must be an integer'): Space(sgdr, n_cycles=(1.5, 3))
    with pytest.raises(ValueError, match='lo < hi'): Space(sgdr, lr_max=(1., 1e-3))
    with pytest.raises(ValueError, match='log scale'): Space(sgdr, lr_min=(0., 1e-3))
    with pytest.raises(ValueError, match='family must be'): Space('nope', lr=(1e-3, 1.))

@needs_ray
def test_plan_checks_its_arguments():
    p = plan_sweep([Space(one_cycle, lr_max=(1e-2, 1.), n_epochs=5), constant(.1, 5)], seeds=(0, 1), n=5, cpus=2)
    assert (p.n_runs, p.n_trials, p.kind) == ((5 + 1) * 2, 2, 'lab')
    assert plan_sweep([one_cycle(.5, 2)], task='photos', seeds=(0, 1, 2), scheduler='asha', cpus=2).n_trials == 3
    with pytest.raises(ValueError, match="scheduler='asha' needs runs that report every epoch"):
        plan_sweep([one_cycle(.5, 2)], scheduler='asha')
    with pytest.raises(ValueError, match='optimizer must be one of'): plan_sweep([one_cycle(.5, 2)], optimizer='lion')
    with pytest.raises(ValueError, match='resources must map'): plan_sweep([one_cycle(.5, 2)], resources={'tpu': 1})
    with pytest.raises(ValueError, match='task must be'): plan_sweep([one_cycle(.5, 2)], task=3)
    with pytest.raises(ValueError, match=r'schedules\[1\] must be a Schedule'): plan_sweep([one_cycle(.5, 2), 'x'])

def test_base_contract_rows_equal_runs_apart(local_ray, tmp_path):
    sw = sweep([one_cycle(.5, 20), constant(.1, 20), sgdr(.5, 0., 2, 2, 3)], task='spiral', seeds=(0, 1, 2),
               storage=str(tmp_path), progress=False)
    assert list(sw.runs.columns[:4]) == ['schedule', 'family', 'optimizer', 'seed'] and len(sw.runs) == 9
    assert set(COLS) <= set(sw.runs.columns)
    same_as_alone(sw)
    assert set(sw.curves.run) == set(range(9))
    assert sw.best.code().startswith('from lr_tutor.schedules import')
    # a grid over rates with Adam, diverging at the top: diverged runs are results, with no accuracy
    grid = sweep([Space(constant, lr=(1e-2, 1e3), n_epochs=3)], task='spiral', seeds=(0,), optimizer='sgd', n=4,
                 storage=str(tmp_path), progress=False)
    assert grid.runs.diverged.any() and not grid.failures
    assert grid.runs.loc[grid.runs.diverged, 'accuracy'].isna().all()
    same_as_alone(grid)
    assert grid.map_table().diverged.sum() >= 1
    axs = grid.plot()
    assert axs[0].get_xscale() == 'log'

def test_photos_sweep_reports_every_epoch(local_ray, tmp_path):
    import torch
    from lr_tutor.photos import fit_photos, photo_dls
    s = one_cycle(1e-2, 2)
    sw = sweep([s], task='photos', seeds=(0, 1), tier='cpu', storage=str(tmp_path), progress=False)
    assert len(sw.runs) == 2 and list(sw.runs.epochs) == [2., 2.] and not sw.runs.stopped.any()
    assert sw.curves.groupby('run').size().tolist() == [2, 2]            # one report per epoch
    torch.set_num_threads(1)                                            # as in Ray's 1-CPU worker
    for run, row in sw.runs.iterrows():
        alone, _ = fit_photos(photo_dls('cpu'), s, int(row.seed), 'adam', 'simple_cnn', 'cpu')
        assert alone.final_accuracy == row.accuracy
        assert math.isclose(alone.final_loss, row.final_loss, rel_tol=1e-5)

def test_learner_function_with_asha(local_ray, tmp_path):
    from lr_tutor.data import synthetic_dls
    from lr_tutor.training import make_learner
    make = lambda seed: make_learner(synthetic_dls(n_train=96, n_valid=48, size=16, bs=32), arch='simple_cnn', seed=seed)
    sw = sweep([one_cycle(1e-2, 3), constant(1e-5, 3)], task=make, seeds=(0,), scheduler='asha', grace_period=1,
               storage=str(tmp_path), progress=False)
    assert len(sw.runs) == 2 and sw.runs.optimizer.isna().all()
    assert (sw.runs.epochs <= 3).all() and (sw.runs.epochs >= 1).all()
    assert sw.curves.groupby('run').size().min() >= 1
    # epochs count training batches (the validation loader is shorter here: 3 training batches, 2 validation)
    for _, c in sw.curves.groupby('run'): assert list(c.epoch) == list(range(1, len(c) + 1))
    assert ((sw.runs.epochs < 3) == sw.runs.stopped).all()

def test_killed_worker_is_retried(local_ray, tmp_path):
    flags = tmp_path / 'flags'; flags.mkdir()
    (flags / 'stall').touch()
    killed = []
    def killer():
        for _ in range(6000):                                            # a busy machine starts workers slowly
            if (flags / 'pid').exists():
                pid = int((flags / 'pid').read_text())
                os.kill(pid, signal.SIGKILL); killed.append(pid)
                for _ in range(100):                                     # wait until it is gone, then let retries run
                    try: os.kill(pid, 0); time.sleep(.05)
                    except ProcessLookupError: break
                (flags / 'stall').unlink()
                return
            time.sleep(.05)
    t = threading.Thread(target=killer, daemon=True); t.start()
    task = sweep_tasks.SleepySpiral(flags)
    sw = sweep([one_cycle(.5, 6), constant(.1, 6), cosine(.3, 0., 6)], task=task, seeds=(0, 1), chunk_size=6,
               storage=str(tmp_path / 'sweeps'), max_failures=2, progress=False)
    t.join(5)
    assert killed, 'the trial never stalled, so no worker was killed'
    assert not sw.failures and len(sw.runs) == 6 and sw.runs.error.isna().all()
    same_as_alone(sw)

DRIVER = textwrap.dedent('''
    import sys
    sys.path.insert(0, {tests!r})
    import sweep_tasks
    from lr_tutor.sweep import sweep, Space
    from lr_tutor.schedules import one_cycle
    task = sweep_tasks.SleepySpiral({flags!r}, delay=1.)
    sweep([Space(one_cycle, lr_max=(.05, 1.), n_epochs=4)], task=task, seeds=(0,), n=8, chunk_size=1,
          address={address!r}, storage={storage!r}, name='interrupted', progress=False)
    print('driver finished')
''')

def _checkpoints(path):
    return {str(p.relative_to(path)): p.stat().st_mtime_ns for p in Path(path).glob(f'*/checkpoint_*/{REPORT_FILE}')}

def test_interrupted_driver_resumes(local_ray, tmp_path):
    flags = tmp_path / 'flags'; flags.mkdir()
    storage = tmp_path / 'sweeps'
    address = ray.get_runtime_context().gcs_address
    script = DRIVER.format(tests=str(TESTS), flags=str(flags), address=address, storage=str(storage))
    driver = subprocess.Popen([sys.executable, '-c', script], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    path = storage / 'interrupted'
    try:
        for _ in range(1200):                        # Ctrl-C once two trials have finished
            if len(_checkpoints(path)) >= 2 or driver.poll() is not None: break
            time.sleep(.1)
        driver.send_signal(signal.SIGINT)
        out, _ = driver.communicate(timeout=120)
    finally:
        if driver.poll() is None: driver.kill()
    from ray.tune import ExperimentAnalysis
    finished = {Path(t.path).name for t in ExperimentAnalysis(str(path)).trials if t.status == 'TERMINATED'}
    assert 1 <= len(finished) < 8, f'the sweep should be part-way when interrupted, {len(finished)} of 8 trials finished:\n{out[-3000:]}'
    done = {k: v for k, v in _checkpoints(path).items() if k.split('/')[0] in finished}
    assert len(done) == len(finished)
    sw = Sweep.resume(path)
    assert len(sw.runs) == 8 and not sw.failures
    after = _checkpoints(path)
    assert {k: after[k] for k in done} == done                  # the finished trials were not run again
    assert len(after) == 8
    same_as_alone(sw)
    assert Sweep.resume(path).runs[COLS].equals(sw.runs[COLS])   # and the table stays the same

def test_without_ray_the_error_names_the_extra():
    code = textwrap.dedent('''
        import sys
        sys.modules['ray'] = None                      # as if ray were not installed
        from lr_tutor.sweep import sweep
        from lr_tutor.schedules import one_cycle
        try: sweep([one_cycle(.5, 20)])
        except ImportError as e: print('ImportError:', e)
    ''')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=120)
    assert "ImportError: lr_tutor.sweep runs on Ray Tune" in out.stdout, out.stdout + out.stderr
    assert "pip install 'lr_tutor[sweep]'" in out.stdout

def test_a_failing_make_learner_is_raised_once(local_ray, tmp_path, capfd):
    "Your make_learner raises: the sweep raises that exception, once, its traceback the worker's; no run is retried."
    calls = tmp_path / 'calls'; calls.mkdir()
    make = partial(sweep_tasks.missing_data_learner, calls=str(calls))     # a partial of a function of your module
    with pytest.raises(RuntimeError, match='my data folder is missing') as raised:
        sweep([one_cycle(1e-2, 2), constant(1e-3, 2)], task=make, seeds=(0, 1), storage=str(tmp_path), progress=False)
    e = raised.value
    assert type(e) is RuntimeError and isinstance(e.__cause__, WorkerTraceback)
    assert 'in missing_data_learner' in str(e.__cause__) and "errors='keep'" in e.__notes__[0]
    seeds = [p.name.split('-')[0] for p in calls.iterdir()]
    assert 1 <= len(seeds) <= 4 and max(map(seeds.count, seeds)) <= 2, seeds   # never retried (max_failures=3)
    assert 'Traceback' not in capfd.readouterr().err                          # and nothing else printed it

def test_errors_keep_returns_finished_and_failed_runs(local_ray, tmp_path):
    "A model whose forward raises for seed 1: with errors='keep', a row per run, the failed ones with their error."
    sw = sweep([one_cycle(1e-2, 2), constant(1e-3, 2)], task=sweep_tasks.forward_fails_for_seed_1, seeds=(0, 1),
               errors='keep', storage=str(tmp_path), progress=False)
    assert len(sw.runs) == 4 and list(sw.runs.seed) == [0, 1, 0, 1]
    done, failed = sw.runs[sw.runs.seed == 0], sw.runs[sw.runs.seed == 1]
    assert done.error.isna().all() and done.accuracy.between(0, 1).all() and (done.epochs == 2).all()
    assert (failed.error == 'ValueError: expected 4 features, got 5').all() and failed.accuracy.isna().all()
    assert [f.runs for f in sw.failures] == [[1], [3]] and all(type(f.exception) is ValueError for f in sw.failures)
    assert sw.summary().failed.tolist() == [1, 1]
    with pytest.raises(ValueError, match=r'2 of 4 runs failed \(runs 1, 3;.* the first with ValueError: expected 4'):
        sw.best

ISSUE_LEARNER = '''
def make_learner(seed):
    set_seed(seed, reproducible=True)
    x = torch.randn(256, 1, 16, 16); y = (x.mean((1, 2, 3)) > 0).long()
    ds = [(x[i], y[i]) for i in range(256)]
    dls = DataLoaders.from_dsets(ds[:192], ds[192:], bs=32, device='cpu')
    model = nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 2))
    return Learner(dls, model, loss_func=CrossEntropyLossFlat(), metrics=accuracy)
'''    # the issue's example: a small CNN on noise images, whose class is the sign of their mean

NOTEBOOK = ['''
import os
from functools import partial
from fastai.vision.all import *
from fastai.tabular.all import *
from lr_tutor.sweep import sweep
from lr_tutor.schedules import one_cycle, constant
''', ISSUE_LEARNER, '''
def make_tabular(seed, n=256):
    set_seed(seed, reproducible=True)
    rng = np.random.default_rng(0)
    df = pd.DataFrame({'a': rng.normal(size=n), 'b': rng.normal(size=n), 'c': rng.choice(['x', 'y'], n)})
    df['y'] = np.where(df.a + df.b > 0, 'pos', 'neg')
    dls = TabularDataLoaders.from_df(df, procs=[Categorify, Normalize], cat_names=['c'], cont_names=['a', 'b'],
                                     y_names='y', y_block=CategoryBlock(), valid_idx=list(range(192, n)), bs=32, device='cpu')
    return tabular_learner(dls, layers=[16], n_out=2, metrics=accuracy)   # n_out: fastai 2.8's dls.c is wrong here
''', '''
def smoothed_cross_entropy(pred, y): return F.cross_entropy(pred, y, label_smoothing=.1)    # a loss of your own

def make_plain(seed, hidden):
    set_seed(seed, reproducible=True)
    x = torch.randn(256, 4); y = (x[:, 0] > 0).long()
    ds = [(x[i], y[i]) for i in range(256)]
    dls = DataLoaders.from_dsets(ds[:192], ds[192:], bs=32, device='cpu')
    model = nn.Sequential(nn.Linear(4, hidden), nn.ReLU(), nn.Linear(hidden, 2))
    return Learner(dls, model, loss_func=smoothed_cross_entropy, metrics=accuracy)
''', '''
tasks = {'vision': make_learner, 'tabular, a lambda': lambda seed: make_tabular(seed), 'plain, a partial': partial(make_plain, hidden=8)}
sweeps = {name: sweep([one_cycle(1e-2, 2), constant(1e-3, 2)], task=task, seeds=(0,), storage=os.environ['SWEEP_STORAGE'])
          for name, task in tasks.items()}
for name, sw in sweeps.items():
    assert len(sw.runs) == 2 and sw.runs.accuracy.between(0, 1).all() and sw.runs.error.isna().all(), (name, sw.runs)
print({name: sw.runs.accuracy.round(3).tolist() for name, sw in sweeps.items()})
''']

def test_learners_defined_in_a_notebook(local_ray, tmp_path, monkeypatch):
    """Functions defined in a notebook's cells (a CNN, a tabular_learner through a lambda, a plain Learner with a loss
    of its own through a partial), swept from the notebook's kernel on this session's Ray."""
    import nbformat
    from nbclient import NotebookClient
    monkeypatch.setenv('RAY_ADDRESS', ray.get_runtime_context().gcs_address)   # the kernel joins this session's Ray
    monkeypatch.setenv('SWEEP_STORAGE', str(tmp_path))
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c.strip()) for c in NOTEBOOK])
    NotebookClient(nb, timeout=600, kernel_name='python3', resources={'metadata': {'path': str(tmp_path)}}).execute()
    out = ''.join(o.get('text', '') for o in nb.cells[-1].outputs)
    assert "'vision'" in out and "'tabular, a lambda'" in out and "'plain, a partial'" in out, out
    said = out.splitlines()[:2]       # what the first sweep said of Ray, kept in the cell (Tune's reporter cleared it)
    assert said[0].startswith('Connecting to the Ray cluster at') and said[1].startswith('Ray is ready after'), out

SCRIPT = '''
import json, sys, time
t0 = time.perf_counter()
class Clock:
    "stdout, noting for each line when it came (seconds since the sweep began) and whether Ray was imported by then."
    def __init__(self, out): self.out, self.lines = out, []
    def write(self, s):
        if s.strip(): self.lines.append((round(time.perf_counter() - t0, 3), 'ray' in sys.modules, s.strip()))
        return self.out.write(s)
    def __getattr__(self, name): return getattr(self.out, name)      # encoding, fileno, ...

from fastai.vision.all import *
from lr_tutor.sweep import sweep
from lr_tutor.schedules import one_cycle, constant
''' + ISSUE_LEARNER + '''
sys.stdout = clock = Clock(sys.stdout)
t0 = time.perf_counter()
sw = sweep([one_cycle(1e-2, 3), constant(1e-3, 3)], task=make_learner, seeds=(0, 1), storage=sys.argv[1])
sys.stdout = clock.out
print('RESULT', json.dumps(dict(lines=clock.lines, runs=sw.runs[['seed', 'accuracy', 'error']].to_dict('list'))))
'''

@needs_ray
def test_learner_from_a_script(tmp_path):
    """The issue's example, in a script (its make_learner lives in `__main__`), on a Ray of its own: 4 rows with
    accuracies; Ray's start said at once, before Ray is even imported; nothing left in the temporary directory."""
    temp, ray_temp = tmp_path / 'tmp', Path(tempfile.mkdtemp(prefix='ray', dir='/tmp'))   # Ray's sockets want a short path
    temp.mkdir()
    env = {k: v for k, v in os.environ.items() if k != 'RAY_ADDRESS'}
    env.update(TMPDIR=str(temp), RAY_TMPDIR=str(ray_temp), OMP_NUM_THREADS='1', PYTHONPATH=os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get('PYTHONPATH')])))
    try:
        out = subprocess.run([sys.executable, '-c', SCRIPT, str(tmp_path / 'sweeps')], env=env,
                             capture_output=True, text=True, timeout=600)
    finally: shutil.rmtree(ray_temp, ignore_errors=True)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    result = json.loads(out.stdout.split('RESULT ', 1)[1])
    (t, ray_imported, first), ready = result['lines'][0], [l for l in result['lines'] if l[2].startswith('Ray is ready')]
    assert first.startswith('Starting Ray on this machine') and not ray_imported and t < .5, result['lines'][:3]
    assert ready and ready[0][0] > t, result['lines']
    runs = result['runs']
    assert runs['seed'] == [0, 1, 0, 1] and all(0 <= a <= 1 for a in runs['accuracy']) and runs['error'] == [None] * 4
    left = sorted(p.name for p in temp.iterdir() if not p.name.startswith('torchinductor_'))  # torch's cache: one a user
    assert left == [], f'a sweep leaves nothing in the temporary directory (one folder a report, before): {left}'
