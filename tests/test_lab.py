"The lab's training engine: real gradients, real optimizers, runs that depend only on their arguments."
import numpy as np
import pytest
import torch
from lr_tutor.engine import TASKS, Landscape, MLP, Run, Spiral, Task, register_task, train, train_many
from torch_reference import torch_train
from lr_tutor.schedules import constant, cosine, one_cycle, sgdr

def test_mlp_gradients_are_autograds():
    "The hand-written backward pass gives PyTorch autograd's gradients of the mean cross-entropy, for 3 models at once."
    task = TASKS['spiral']
    w = np.stack([task.init(s) for s in range(3)])
    x, onehot = task.batches(0, 1)
    batch = (np.broadcast_to(x[0], (3, *x[0].shape)), np.broadcast_to(onehot[0], (3, *onehot[0].shape)))
    grad = np.zeros_like(w)
    loss = task.loss_grad(w, batch, grad)
    for b in range(3):
        wt = torch.tensor(w[b], requires_grad=True)
        ps = task.mlp.views(wt[None])
        h = torch.from_numpy(x[0])[None]
        for i in range(0, len(ps) - 2, 2): h = torch.relu(h @ ps[i] + ps[i + 1])
        z = h @ ps[-2] + ps[-1]
        ref = torch.nn.functional.cross_entropy(z[0], torch.from_numpy(onehot[0].argmax(1)))
        ref.backward()
        assert loss[b] == pytest.approx(ref.item(), rel=1e-12)
        np.testing.assert_allclose(grad[b], wt.grad.numpy(), rtol=1e-10, atol=1e-13)

@pytest.mark.parametrize('optimizer', ['sgd', 'adam'])
def test_runs_match_a_plain_pytorch_loop(optimizer):
    "Whole runs, optimizer included, against nn.Sequential + torch.optim stepped one batch at a time."
    s = one_cycle(lr_max=.4, n_epochs=3) if optimizer == 'sgd' else cosine(lr_max=.02, n_epochs=3)   # Adam: constant beta1
    run = train('spiral', s, seed=2, optimizer=optimizer)
    np.testing.assert_allclose(run.loss, torch_train('spiral', s, seed=2, optimizer=optimizer), rtol=1e-8, atol=1e-10)

def test_landscape_gradient_is_the_surfaces():
    "Central differences of the surface agree with its gradient (the noise aside)."
    task = TASKS['landscape']
    p = np.array([[-.45, .42], [.3, -.2], [1.4, .1]])
    _, g = task.surface(p)
    eps = 1e-6
    for i in range(2):
        d = np.zeros(2); d[i] = eps
        num = (task.surface(p + d)[0] - task.surface(p - d)[0]) / (2 * eps)
        np.testing.assert_allclose(g[:, i], num, rtol=1e-6, atol=1e-8)

def test_same_arguments_same_run_and_batching_changes_nothing():
    s = sgdr(lr_max=.3, lr_min=0., cycle_len=2, cycle_mult=1, n_cycles=3)
    for task in ('spiral', 'landscape'):
        alone = [train(task, s, seed) for seed in range(3)]
        together = train_many(task, [s] * 3, [0, 1, 2])
        assert alone == together
        assert alone[0] != alone[1]

def test_momentum_follows_the_schedule_and_rates_are_the_schedules():
    s = one_cycle(lr_max=.3, n_epochs=4)
    run = train('landscape', s, optimizer='adam')
    np.testing.assert_array_equal(run.lr, s(run.t))
    np.testing.assert_array_equal(run.mom, s.momentum(run.t))
    np.testing.assert_array_equal(run.t, np.arange(80) / 20)
    assert run.path.shape == (81, 2) and np.array_equal(run.path[-1], run.weights)

def test_too_large_a_rate_diverges_without_raising():
    for task, lr in [('spiral', 50.), ('landscape', 500.)]:
        run = train(task, constant(lr, 4))
        assert run.diverged is not None and run.diverged < run.n_steps
        assert np.isnan(run.loss[run.diverged:]).all() and np.isfinite(run.loss[:run.diverged]).all()
        assert 'diverged at step' in repr(run)
        assert run.steps_to_target() is None

class Ravine(Task):
    "A user's task, as the lesson describes: an ill-conditioned quadratic with noisy gradients."
    name, n_params, steps_per_epoch, keeps_path = 'ravine', 2, 10, True
    lr, n_epochs, target = {'sgd': .05, 'adam': .05}, 5, .01
    scale = np.array([1., 25.])
    def init(self, seed): return np.array([2., 1.]) + .1 * np.random.default_rng(seed).standard_normal(2)
    def batches(self, seed, n_steps): return .1 * np.random.default_rng([seed, 9]).standard_normal((n_steps, 2))
    def loss_grad(self, w, noise, grad):
        grad[:] = self.scale * w + noise
        return .5 * (self.scale * w * w).sum(1)
    def evaluate(self, w): return .5 * (self.scale * w * w).sum(1), None

def test_a_registered_task_trains_by_name():
    register_task(Ravine())
    try:
        run = train('ravine', cosine(lr_max=.05, n_epochs=5))
        assert run.n_steps == 50 and run.test_accuracy is None and run.final_loss < run.loss[0]
        with pytest.raises(ValueError, match='task must be a Task instance'): register_task('ravine')
    finally: TASKS.pop('ravine')

# --- what a learner meets: each lab here is the test's own ---
from lr_tutor.lab_shell import start_schedule
from lr_tutor.lab import lab

@pytest.mark.parametrize('task', ['spiral', 'landscape'])
def test_every_family_and_optimizer_switch_starts_at_the_tasks_good_rate_and_length(task):
    L = lab('one_cycle', task=task, prefetch=False)
    t = L.task
    for optimizer in t.optimizers:
        L.optimizer.value = optimizer
        for family in ('constant', 'sgdr', 'cosine', 'one_cycle', 'step_decay', 'multi_step'):
            L.controls.family.value = family
            L.flush()
            assert L.schedule == start_schedule(family, task, optimizer), (task, optimizer, family, L.schedule)
            assert L.schedule.peak_lr() == pytest.approx(t.lr_for.get(family, {}).get(optimizer, t.lr[optimizer]), rel=1e-3)
            assert L.schedule.n_epochs == pytest.approx(t.n_epochs, rel=.01)
            assert L.result.failure is None, (task, optimizer, family, L.result)
            if task == 'spiral': assert L.result.final_accuracy > .85, (optimizer, family, L.result)

def test_a_fresh_family_starts_good_under_the_optimizer_chosen_now():
    L = lab('one_cycle', task='spiral', prefetch=False)
    L.optimizer.value = 'adam'; L.flush()
    L.controls.family.value = 'constant'; L.flush()
    assert L.schedule == start_schedule('constant', 'spiral', 'adam') and L.result.final_accuracy > .9
    L.controls.family.value = 'sgdr'; L.flush()
    assert L.schedule == start_schedule('sgdr', 'spiral', 'adam') and L.schedule.n_epochs == pytest.approx(20, rel=.01)

@pytest.mark.parametrize('lr_max', [1., 2., 5., 10.])
def test_a_rate_too_high_to_train_is_reported_as_divergence_is(lr_max):
    L = lab('one_cycle', task='spiral', prefetch=False)
    L.sliders['lr_max'].value = lr_max; L.flush()
    r = L.result
    assert r.failure is not None and (r.diverged is not None or 'chance' in r.failure or 'above where it started' in r.failure)
    assert '&#9888;' in L.readouts.value and 'the rate is too large' in L.readouts.value or 'diverged' in L.readouts.value
    assert L.plot.status.get_text().startswith(r.failure)
    L.sliders['lr_max'].value = .5; L.flush()
    assert L.result.failure is None and '&#9888;' not in L.readouts.value and L.plot.status.get_text() == ''

def test_a_loss_ending_above_its_start_is_a_failure():
    r = train('landscape', constant(3., 10))
    assert r.diverged is None and r.final_loss > r.loss[0] and 'above where it started' in r.failure

def test_the_chance_line_is_labelled():
    L = lab('one_cycle', task='spiral', prefetch=False)
    labels = [t.get_text() for t in L.plot.test_ax.texts]
    assert 'chance (33%)' in labels

def test_the_landscape_constant_slider_reaches_the_lessons_constant_3():
    L = lab('constant', task='landscape', prefetch=False)
    assert L.sliders['lr'].span[1] >= 3. * (1 - 1e-9)
    L.sliders['lr'].value = 3.; L.flush()
    assert L.schedule == constant(3., 10) and L.result == train('landscape', constant(3., 10))

def test_the_epoch_axis_fits_the_schedule():
    L = lab('one_cycle', task='spiral', prefetch=False)
    assert L.plot.loss_ax.get_xlim()[1] == 20 and L.plot.test_ax.get_xlim()[1] == 20
    L.sliders['n_epochs'].value = 23; L.flush()
    assert L.plot.loss_ax.get_xlim()[1] == 25
    L.sliders['n_epochs'].value = 20; L.flush()
    assert L.plot.loss_ax.get_xlim()[1] == 20            # back to 20: not left at 25

def test_rate_axes_use_the_one_rate_format_and_a_constant_line_shows():
    from lr_tutor.schedules import fmt_rate
    L = lab(one_cycle(lr_max=.05, n_epochs=20), task='spiral', prefetch=False)
    ax = L.schedule_plot.drawing.ax
    L.schedule_plot.render()
    ticks = [t for t in ax.get_yticks() if ax.get_ylim()[0] <= t <= ax.get_ylim()[1]]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert ax.yaxis.get_offset_text().get_text() == '' and all(fmt_rate(t) in labels for t in ticks), labels
    assert any(float(l) >= .05 for l in labels if l)                 # a 0.05 peak reads 0.05, not 5 and a 1e-2
    C = lab(constant(.2, 20), task='spiral', prefetch=False)
    C.schedule_plot.render()
    top = C.schedule_plot.drawing.ax.get_ylim()[1]
    assert .2 * 1.04 < top                                           # the line sits under the top frame

def test_a_schedule_without_momentum_shows_the_flat_momentum_it_trains_with():
    for s in (constant(.2, 20), sgdr(lr_max=.2, lr_min=0., cycle_len=2, cycle_mult=2, n_cycles=3)):
        L = lab(s, task='spiral', prefetch=False)
        line = L.schedule_plot.drawing.mom_lines[0]
        assert line.get_visible() and L.schedule_plot.drawing.mom_ax.get_visible()
        np.testing.assert_array_equal(np.unique(line.get_ydata()), [.9])
        np.testing.assert_array_equal(L.result.mom, .9)

def test_arrow_keys_land_on_round_rates():
    L = lab('one_cycle', task='spiral', prefetch=False)
    w = L.sliders['lr_max']
    seen = []
    for _ in range(14):                    # what ArrowLeft presses send: the page's value one step down
        w.set_state({'value': 10 ** (np.log10(w.value) - w.step)})
        seen.append(w.value)
    assert .1 in seen and not [v for v in seen if abs(v - .1) < .002 and v != .1], seen

def test_the_landscape_readout_target_reads_as_a_target():
    L = lab('sgdr', task='landscape', prefetch=False)
    assert 'steps to loss ≤ −0.9' in L.readouts.value and 'loss -0.9' not in L.readouts.value
    L.pin()
    assert 'steps to loss ≤ −0.9' in L.table.value

def test_the_lessons_hidden_tests_use_labs_of_their_own():
    import json
    from pathlib import Path
    nb = json.loads((Path(__file__).parents[1] / 'nbs' / 'reference' / '11_lab.ipynb').read_text())
    shown = ('spiral_lab', 'landscape_lab')
    hidden = [''.join(c['source']) for c in nb['cells'] if c['cell_type'] == 'code' and ''.join(c['source']).startswith('#| hide')]
    assert hidden and not [h for h in hidden if any(name in h for name in shown)]
