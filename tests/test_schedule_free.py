"""The engine's schedule-free optimizers against the `schedulefree` package's PyTorch ones (`SGDScheduleFree`,
`AdamWScheduleFree`): the same network (the spiral's MLP as `nn.Sequential`, float64), the same initial weights,
the same batches, each step's rate and momentum set on the package's optimizer as a scheduler sets them. Over a
whole spiral run the training losses (taken at y), the test losses (at x, after `optimizer.eval()`) and the final
weights agree to float rounding."""
import numpy as np
import pytest
torch = pytest.importorskip('torch')
schedulefree = pytest.importorskip('schedulefree', reason='schedulefree (the lessons extra) is the reference')
from lr_tutor.engine import TASKS, train, train_many
from lr_tutor.schedules import SCHEDULE_FREE, constant, one_cycle, wsd
from torch_reference import torch_mlp

PACKAGE = {'schedule_free_sgd': schedulefree.SGDScheduleFree, 'schedule_free_adamw': schedulefree.AdamWScheduleFree}

def flat(model) -> np.ndarray:
    "The model's weights as the engine's flat vector."
    return np.concatenate([p for lin in model[::2] for p in (lin.weight.detach().numpy().T.ravel(), lin.bias.detach().numpy())])

def package_run(optimizer, schedule, seed, momentum=.9):
    """The spiral trained with the package's optimizer: per step the training loss (at y); per epoch the test loss at
    x (`optimizer.eval()`, then `.train()` again); the final x and y."""
    task = TASKS['spiral']
    model = torch_mlp(task, task.init(seed))
    n = int(round(schedule.n_epochs * task.steps_per_epoch))
    t = np.arange(n) / task.steps_per_epoch
    lrs = schedule(t)
    moms = schedule.momentum(t) if schedule.has_momentum else np.full(n, momentum)
    key = 'momentum' if optimizer == 'schedule_free_sgd' else 'betas'
    opt = PACKAGE[optimizer](model.parameters(), lr=float(lrs[0]), **{key: moms[0] if key == 'momentum' else (moms[0], .999)})
    x, onehot = (torch.from_numpy(np.ascontiguousarray(a)) for a in task.batches(seed, n))
    xt, yt = torch.from_numpy(task.x_test), torch.from_numpy(task.y_test)
    def test_loss():
        opt.eval()
        with torch.no_grad(): out = torch.nn.functional.cross_entropy(model(xt), yt).item()
        opt.train()
        return out
    opt.train()
    losses, tests = np.empty(n), [test_loss()]
    for k in range(n):
        for g in opt.param_groups:             # as a scheduler sets them, before the step
            g['lr'] = float(lrs[k])
            if key == 'momentum': g['momentum'] = float(moms[k])
            else: g['betas'] = (float(moms[k]), .999)
        loss = torch.nn.functional.cross_entropy(model(x[k]), onehot[k].argmax(1))
        opt.zero_grad(); loss.backward(); opt.step()
        losses[k] = loss.item()
        if (k + 1) % task.steps_per_epoch == 0: tests.append(test_loss())
    y = flat(model)
    opt.eval()
    return losses, np.array(tests), flat(model), y

CASES = {'schedule_free_sgd': [wsd(lr_max=2., warmup=2, stable=18, decay=0),   # the rate it is meant for
                               one_cycle(lr_max=1., n_epochs=20)],                                   # rate and β scheduled
         'schedule_free_adamw': [wsd(lr_max=.02, warmup=2, stable=18, decay=0),
                                 one_cycle(lr_max=.03, n_epochs=20)]}

@pytest.mark.parametrize('optimizer', SCHEDULE_FREE)
def test_port_matches_the_schedulefree_package_over_a_whole_run(optimizer):
    for s in CASES[optimizer]:
        run = train('spiral', s, seed=3, optimizer=optimizer)
        losses, tests, x, _ = package_run(optimizer, s, seed=3)
        assert run.diverged is None and run.failure is None, run          # a real run: it trains
        np.testing.assert_allclose(run.loss, losses, rtol=1e-9, atol=1e-12, err_msg=f'{optimizer} {s}')
        np.testing.assert_allclose(run.test_loss, tests, rtol=1e-9, atol=1e-12, err_msg=f'{optimizer} {s}')
        np.testing.assert_allclose(run.weights, x, rtol=1e-8, atol=1e-10, err_msg=f'{optimizer} {s}')

def test_a_warm_up_from_zero_is_the_packages_too():
    "A first step at rate 0 (the warm-up of `wsd` from its floor 0): the package's average weight is 0/0, taken as 0."
    s = wsd(lr_max=1., warmup=1, stable=2, decay=0)
    assert s(0.) == 0
    run = train('spiral', s, seed=0, optimizer='schedule_free_sgd')
    losses, tests, x, _ = package_run('schedule_free_sgd', s, seed=0)
    np.testing.assert_allclose(run.loss, losses, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(run.weights, x, rtol=1e-8, atol=1e-10)

def test_evaluated_at_the_average_not_where_it_trains():
    "The run's weights and test losses are x's, which are far from y, where it trains: evaluating y would fail above."
    s = wsd(lr_max=2., warmup=2, stable=8, decay=0)
    run = train('spiral', s, seed=1, optimizer='schedule_free_sgd')
    losses, tests, x, y = package_run('schedule_free_sgd', s, seed=1)
    np.testing.assert_allclose(run.weights, x, rtol=1e-8, atol=1e-10)
    assert np.abs(x - y).max() > 1e-2 * np.abs(x).max()
    assert abs(TASKS['spiral'].evaluate(y[None])[0][0] - run.test_loss[-1]) > 1e-3

def test_batched_runs_are_the_runs_alone_and_momentum_is_checked():
    a, b = wsd(lr_max=2., warmup=2, stable=8, decay=0), constant(1., 10)
    for o in SCHEDULE_FREE:
        together = train_many('spiral', [a, b, a], [0, 0, 1], optimizer=o)
        assert together == [train('spiral', a, 0, o), train('spiral', b, 0, o), train('spiral', a, 1, o)]
        with pytest.raises(ValueError, match=f'momentum must be in \\(0, 1\\) for {o}, got 0'):
            train('spiral', a, optimizer=o, momentum=0.)
        with pytest.raises(ValueError, match=f'schedules\\[0\\] sets the momentum to 0, and {o} needs it in \\(0, 1\\)'):
            train('spiral', one_cycle(moms=(0., .5, .9)), optimizer=o)
    land = train('landscape', a, optimizer='schedule_free_sgd')
    assert np.array_equal(land.path[-1], land.weights)                  # the path is x's, as the weights are
