"""lr_tutor.sweep on a local Ray with 2 CPUs, started once for the session: rows equal the runs trained apart, a
photos sweep, a worker killed mid-run, a driver interrupted and resumed, and Ray missing."""
import math, os, signal, subprocess, sys, textwrap, threading, time
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent
from lr_tutor.schedules import one_cycle, constant, sgdr, cosine
from lr_tutor.engine import train
from lr_tutor.sweep import Space, Sweep, plan_sweep, start_ray, sweep
try: import ray, ray.cloudpickle as cloudpickle     # Ray pickles with its own copy of cloudpickle
except ImportError: ray = None
needs_ray = pytest.mark.skipif(ray is None, reason="needs the extra lr_tutor[sweep] (scripts/test.sh installs it)")
sys.path.insert(0, str(TESTS))
import sweep_tasks
if ray is not None: cloudpickle.register_pickle_by_value(sweep_tasks)     # Ray's workers get the test task by value

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
    assert grid.runs.diverged.any() and not grid.errors
    assert grid.runs.loc[grid.runs.diverged, 'accuracy'].isna().all()
    same_as_alone(grid)
    assert grid.map_table().diverged.sum() >= 1
    axs = grid.plot()
    assert axs[0].get_xscale() == 'log'

def test_photos_sweep_reports_every_epoch(local_ray, tmp_path):
    import torch
    from lr_tutor.photos import fit_photos, photo_dls
    s = one_cycle(1e-2, 2)
    sw = sweep([s], task='photos', seeds=(0, 1), size='cpu', storage=str(tmp_path), progress=False)
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
    assert not sw.errors and len(sw.runs) == 6
    same_as_alone(sw)

DRIVER = textwrap.dedent('''
    import sys
    import ray.cloudpickle as cloudpickle
    sys.path.insert(0, {tests!r})
    import sweep_tasks
    cloudpickle.register_pickle_by_value(sweep_tasks)
    from lr_tutor.sweep import sweep, Space
    from lr_tutor.schedules import one_cycle
    task = sweep_tasks.SleepySpiral({flags!r}, delay=1.)
    sweep([Space(one_cycle, lr_max=(.05, 1.), n_epochs=4)], task=task, seeds=(0,), n=8, chunk_size=1,
          address={address!r}, storage={storage!r}, name='interrupted', progress=False)
    print('driver finished')
''')

def _checkpoints(path):
    return {str(p.relative_to(path)): p.stat().st_mtime_ns for p in Path(path).glob('*/checkpoint_*/rows.pkl')}

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
    sw = Sweep.resume(path, progress=False)
    assert len(sw.runs) == 8 and not sw.errors
    after = _checkpoints(path)
    assert {k: after[k] for k in done} == done                  # the finished trials were not run again
    assert len(after) == 8
    same_as_alone(sw)
    assert Sweep.resume(path, progress=False).runs[COLS].equals(sw.runs[COLS])   # and the table stays the same

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
