"""The photos lab driven from Python: `Lab.train` fits a fastai Learner on the photos with the lab's schedule,
in a background thread; Stop from another thread ends it at the next batch; every run joins `Lab.runs`."""
import math, threading, time
import numpy as np
import pytest
import torch
from lr_tutor.lab import lab
from lr_tutor.lab_photos import PhotoLab, fmt_epochs
from lr_tutor.photos import PhotoRun, TIERS, fit_photos
from lr_tutor.schedules import constant, cosine, one_cycle

@pytest.fixture(scope='module')
def L():
    return lab(one_cycle(lr_max=1e-2, n_epochs=3), task='photos', tier='cpu')

def test_lab_dispatches_to_photos(L):
    assert isinstance(L, PhotoLab) and L.tier == 'cpu' and L.task.arch == TIERS['cpu']['arch']

def test_train_returns_runs_with_the_rates_fastai_set(L):
    n = len(L.runs)
    runs = L.train(seeds=(0,))
    assert len(runs) == 1 and L.result is runs[0] and len(L.runs) == n + 1
    r = runs[0]
    spe = len(L.dls().train)
    assert isinstance(r, PhotoRun) and r.n_steps == 3 * spe and len(r.lr) == len(r.loss) == len(r.t)
    np.testing.assert_allclose(r.lr, r.schedule(r.t))
    np.testing.assert_allclose(np.array(L.learn.recorder.lrs), r.lr)       # fastai's own record of what it set
    np.testing.assert_allclose(r.mom, r.schedule.momentum(r.t))
    assert len(r.test_accuracy) == 3 and np.all((0 <= r.test_accuracy) & (r.test_accuracy <= 1))
    row = L.runs.iloc[-1]
    assert row.schedule == repr(r.schedule) and row.seed == 0 and row.epochs == 3 and not row.stopped
    assert row.accuracy == r.final_accuracy and row.best_accuracy == r.test_accuracy.max() and row.seconds > 0

def test_same_seed_same_run_other_seed_another(L):
    a, = L.train(seeds=(1,))
    b, = L.train(seeds=(1,))
    np.testing.assert_array_equal(a.loss, b.loss)
    np.testing.assert_array_equal(a.test_accuracy, b.test_accuracy)
    c, = L.train(seeds=(2,))
    assert not np.array_equal(a.loss, c.loss)

def test_three_seeds_one_group_and_ghosts(L):
    n_groups = len(L.groups)
    runs = L.train(seeds=(0, 1, 2))
    assert [r.seed for r in runs] == [0, 1, 2] and L.groups[-1] == runs and len(L.groups) == n_groups + 1
    assert L.runs.seed.tolist()[-3:] == [0, 1, 2]
    ghosts = L.ghosts
    assert ghosts and all(g.runs[0] in L.all_runs for g in ghosts) and all(runs[0] not in g.runs for g in ghosts)
    assert L.table.value.count('<tr>') == len(L.runs) + 1
    assert L.best_run.final_accuracy == L.runs.accuracy.max()

def test_stop_from_another_thread_keeps_the_run_and_the_learner(L):
    n = len(L.runs)
    L.train(seeds=(0, 1, 2), wait=False, schedule=cosine(lr_max=1e-2, n_epochs=30))
    deadline = time.time() + 60
    start = L.n_frames     # frames come as it trains
    while time.time() < deadline and L.n_frames < start + 2: time.sleep(.01)   # a few live frames: training
    assert L.training and L.sliders['lr_max'].disabled and not L.stop_button.disabled
    L.stop()
    new = L.wait(60)
    assert new is not None and len(new) == 1, new                       # no further seed started
    r = new[0]
    assert r.stopped and 0 < r.epochs < 30 and not L.training
    assert L.runs.stopped.tolist()[n:] == [True] and 'stopped' in L.table.value
    assert not L.sliders['lr_max'].disabled and L.stop_button.disabled and not L.train_button.disabled
    L.learn.fit(1)                                                      # the Learner still trains

def test_moving_sliders_trains_nothing(L):
    n, frames = len(L.runs), L.n_frames
    L.sliders['lr_max'].value = 3e-3
    assert L.schedule.params['lr_max'] == 3e-3 and 'lr_max=0.003' in L.code.value
    assert len(L.runs) == n and L.n_frames == frames and not L.training

def test_schedule_without_momentum_and_sgd():
    S = lab(constant(lr=.05, n_epochs=2), task='photos', tier='cpu', optimizer='sgd')
    r, = S.train()
    np.testing.assert_allclose(r.lr, .05)
    np.testing.assert_allclose(r.mom, .9)         # fastai's SGD momentum, untouched by a schedule without one
    assert r.optimizer == 'sgd' and r.diverged is None

def test_diverging_run_is_marked():
    D = lab(constant(lr=1e4, n_epochs=2), task='photos', tier='cpu', optimizer='sgd')
    r, = D.train()
    assert r.diverged is not None and math.isnan(r.final_accuracy) and np.isnan(r.loss[r.diverged:]).all()
    assert 'diverged' in D.status.value and 'diverged' in D.table.value

def test_no_photos_is_a_message():
    E = lab('one_cycle', task='photos', tier='cpu', path='/nonexistent/photos')
    with pytest.raises(FileNotFoundError, match='not a rps dataset'): E.train()
    assert 'not a rps dataset' in E.status.value and len(E.runs) == 0 and not E.train_button.disabled
    E.train_button.click()                        # the button: shown, not raised
    E.wait(30)
    assert 'not a rps dataset' in E.status.value

@pytest.mark.skipif(torch.cuda.is_available(), reason='a GPU is here')
def test_gpu_tier_without_a_gpu():
    G = lab('one_cycle', task='photos', tier='gpu')
    assert 'needs a CUDA GPU' in G.status.value and G.train_button.disabled
    with pytest.raises(ValueError, match='needs a CUDA GPU'): G.train()

@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a CUDA GPU')
def test_gpu_tier_trains(tmp_path):
    import os
    G = lab(one_cycle(lr_max=1e-2, n_epochs=2), task='photos', tier='gpu',
            path=None if os.environ.get('LR_TUTOR_DATA') else __import__('lr_tutor.data').data.SAMPLE_DIR / 'rps')
    r, = G.train()
    assert r.tier == 'gpu' and r.epochs == 2 and G.learn.dls.device.type == 'cuda'
    print(f'GPU tier: {r.seconds:.1f} s per run ({G.dls().source})')

def test_the_buttons_train_three_seeds_in_the_background():
    B = lab(one_cycle(lr_max=1e-2, n_epochs=2), task='photos', tier='cpu')
    B.three_seeds.value = True
    B.train_button.click()                       # what a click does: returns at once, the fit runs in a thread
    assert B.training or len(B.runs) > 0
    new = B.wait(120)
    assert [r.seed for r in new] == [0, 1, 2] and B.runs.seed.tolist() == [0, 1, 2]
    assert 'finished: 3 runs' in B.status.value and 'epoch 2/2' in B.progress.value

def test_the_live_view_does_not_change_the_run(L):
    r, = L.train(seeds=(0,), schedule=one_cycle(lr_max=1e-2, n_epochs=2))
    bare, _ = fit_photos(L.dls(), r.schedule, seed=0)      # no lab, no drawing
    np.testing.assert_array_equal(r.loss, bare.loss)
    np.testing.assert_array_equal(r.test_accuracy, bare.test_accuracy)

def test_stop_before_the_first_batch_keeps_a_stopped_run():
    stop_first = [True]
    def before_fit(lab):              # as if Stop came while the Learner was being made
        if stop_first.pop() if stop_first else False: lab.stop()
    S = lab(one_cycle(lr_max=1e-2, n_epochs=2), task='photos', tier='cpu', before_fit=before_fit)
    new = S.train(seeds=(0, 1))
    assert len(new) == 1 and new[0].stopped and new[0].n_steps == 0 and new[0].epochs == 0
    assert S.runs.stopped.tolist() == [True] and 'stopped' in S.table.value
    assert len(S.train(seeds=(0,))) == 1                  # and the next run trains, with the stopped one as a ghost
    assert S.ghosts and S.ghosts[0].runs[0] is new[0]

def test_a_stopped_run_is_never_the_best_and_every_line_says_the_same_epochs():
    def stop_mid_epoch(rec):
        if len(rec.t) == rec.batches_per_epoch + 3: S.stop()     # part way through the second epoch
    S = lab(one_cycle(lr_max=1e-2, n_epochs=1), task='photos', tier='cpu', on_batch=stop_mid_epoch)
    done, = S.train()
    stopped, = S.train(schedule=one_cycle(lr_max=1e-2, n_epochs=3))
    assert stopped.stopped and 1 < stopped.epochs < 2 and not done.stopped
    assert S.best_run is done and 'best run</b> (#1,' in S.best.value and repr(done.schedule).split('(')[0] in S.best.value
    shown = fmt_epochs(stopped.epochs)
    assert '.' in shown and f'epoch {shown}/3' in S.progress.value          # the bar, the caption and the table agree
    assert f'stopped after {shown} epochs' in S.plot.status.get_text()
    assert f'<td>{shown}</td>' in S.table.value

def test_training_a_schedule_shows_it_in_the_sliders_and_code():
    S = lab('cosine', task='photos', tier='cpu')
    s = one_cycle(lr_max=S.schedule.peak_lr(), n_epochs=1)
    S.train(schedule=s)
    assert S.schedule == s == S.result.schedule and 'one_cycle(' in S.code.value and S.controls.family.value == 'one_cycle'

def test_every_family_and_optimizer_starts_at_the_photos_good_rate():
    S = lab('cosine', task='photos', tier='cpu')
    for family in ('one_cycle', 'constant', 'sgdr'):
        S.controls.family.value = family
        assert S.schedule.peak_lr() == pytest.approx(S.task.lr['adam']) and S.schedule.n_epochs == pytest.approx(S.task.n_epochs, rel=.01)

def test_the_gpu_skip_line_names_what_the_lesson_has():
    import json
    from pathlib import Path
    nb = json.loads((Path(__file__).parents[1] / 'nbs' / 'reference' / '12_lab_photos.ipynb').read_text())
    sources = [''.join(c['source']) for c in nb['cells'] if c['cell_type'] == 'code']
    gpu = next(s for s in sources if s.startswith('#| gpu'))
    assert 'FULL_SIZE)' in gpu and any(s.lstrip().startswith('import') and 'FULL_SIZE = ' in s for s in sources)

def test_a_schedule_without_momentum_shows_the_flat_momentum_fastai_uses():
    S = lab('constant', task='photos', tier='cpu')
    line = S.schedule_plot.drawing.mom_lines[0]
    assert line.get_visible() and S.schedule_plot.drawing.mom_ax.get_visible()
    np.testing.assert_array_equal(np.unique(line.get_ydata()), [.9])

def test_stop_during_the_second_seed_leaves_a_picture_that_says_what_it_shows():
    "Stop while seed 1 of 3 trains: the title names both seeds' ends, the picture draws both runs, the schedule says where it stopped."
    def stop_in_seed_1(rec):
        if S.training and len(S.all_runs) == 1 and len(rec.t) == 4: S.stop()     # 4 batches into seed 1 (not yet a group)
    S = lab(one_cycle(lr_max=1e-2, n_epochs=2), task='photos', tier='cpu', on_batch=stop_in_seed_1)
    done, stopped = S.train(seeds=(0, 1, 2))
    assert not done.stopped and stopped.stopped and stopped.seed == 1 and stopped.n_steps == 4
    title = S.plot.status.get_text()
    assert title == f'seed 0 finished: {done.final_accuracy:.1%}; seed 1 stopped after {fmt_epochs(stopped.epochs)} epochs', title
    lines = [l for l in S.plot.loss_ax.lines if l.get_alpha() == 1 and l.get_linestyle() != 'None']     # the current runs'
    assert sorted(float(l.get_xdata()[-1]) for l in lines) == [stopped.t[-1], done.t[-1]]
    assert [c.label for c in S.schedule_plot.curves] == ['schedule', 'fastai set', 'stopped here']
    assert S.schedule_plot.curves[-1].t[0] == stopped.t[-1]
    S.on_batch = None
    runs = S.train(seeds=(0, 1, 2))          # all three: their band, and no line marking where training is
    assert S.plot.status.get_text() == '3 seeds finished after 2 epochs: test accuracy ' + ', '.join(f'{r.final_accuracy:.1%}' for r in runs)
    assert [c.label for c in S.schedule_plot.curves] == ['schedule', 'fastai set']
