"The lab's training engine: real gradients, real optimizers, runs that depend only on their arguments."
import numpy as np
import pytest
import torch
from lr_tutor.lab import TASKS, Landscape, MLP, Run, Spiral, Task, register_task, torch_train, train, train_many
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
