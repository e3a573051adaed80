"""`wsd` against its peer, Hugging Face's `transformers.get_wsd_schedule`: the `LambdaLR` it returns is stepped
batch by batch, and its rates are `wsd`'s at every batch (as `at_batches` samples them and as `to_torch` sets them),
in float64 to a relative 1e-9, for every warm-up shape, cooldown shape and floor that both express; `cooldown_at`
is the peer with a shorter stable phase."""
import itertools
import numpy as np
import pytest
torch = pytest.importorskip('torch')
transformers = pytest.importorskip('transformers', reason='transformers (the dev extra) runs the peer WSD schedule')
from transformers import get_wsd_schedule
from lr_tutor.schedules import wsd

WARMUP = {'linear': 'linear', 'cosine': 'cos'}                 # Hugging Face's name -> ours
DECAY = {'linear': 'linear', 'cosine': 'cos', '1-sqrt': '1-sqrt'}
# warm-up, stable, decay steps; phases of 0 steps; (1, 4, 6) at 7 batches an epoch: 1/7 + 4/7 rounds above 5/7, so
# the cooldown's first batch sits a rounding error into it, where 1 - sqrt(p) is steepest
PHASES = [(5, 20, 10), (0, 12, 7), (3, 0, 9), (4, 11, 0), (1, 1, 1), (16, 40, 24), (1, 4, 6), (2, 7, 5)]
PEAK = 3e-3

def peer_rates(warmup, stable, decay, warmup_type, decay_type, min_lr_ratio, steps=None):
    "The rate of each batch as the peer's LambdaLR sets it, stepped once per batch."
    opt = torch.optim.SGD([torch.zeros(1, dtype=torch.float64, requires_grad=True)], lr=PEAK)
    sched = get_wsd_schedule(opt, num_warmup_steps=warmup, num_decay_steps=decay, num_stable_steps=stable,
                             warmup_type=warmup_type, decay_type=decay_type, min_lr_ratio=min_lr_ratio)
    out = []
    for _ in range(steps or warmup + stable + decay):
        out.append(opt.param_groups[0]['lr'])
        opt.step(); sched.step()
    return np.array(out)

def ours(warmup, stable, decay, warmup_type, decay_type, min_lr_ratio, spe):
    return wsd(lr_max=PEAK, warmup=warmup / spe, warmup_shape=WARMUP[warmup_type], stable=stable / spe,
               decay=decay / spe, decay_shape=DECAY[decay_type], min_ratio=min_lr_ratio)

def torch_rates(schedule, spe):
    "The rate of each batch as `to_torch`'s scheduler sets it."
    opt = torch.optim.SGD([torch.zeros(1, dtype=torch.float64, requires_grad=True)], lr=1.)
    sched = schedule.to_torch(opt, steps_per_epoch=spe)
    out = []
    for _ in range(schedule.n_batches(spe)):
        out.append(opt.param_groups[0]['lr'])
        opt.step(); sched.step()
    return np.array(out)

@pytest.mark.parametrize('warmup_type,decay_type', list(itertools.product(WARMUP, DECAY)))
def test_wsd_is_hugging_faces_step_for_step(warmup_type, decay_type):
    for (w, s, d), ratio, spe in itertools.product(PHASES, (0., .1, .5, 1.), (1, 7, 12)):
        theirs = peer_rates(w, s, d, warmup_type, decay_type, ratio)
        sched = ours(w, s, d, warmup_type, decay_type, ratio, spe)
        case = (w, s, d, warmup_type, decay_type, ratio, spe, sched)
        assert sched.n_batches(spe) == len(theirs), case
        np.testing.assert_allclose(sched.at_batches(spe), theirs, rtol=1e-9, atol=0, err_msg=str(case))
        np.testing.assert_allclose(torch_rates(sched, spe), theirs, rtol=1e-9, atol=0, err_msg=str(case))

@pytest.mark.parametrize('decay_type', list(DECAY))
def test_cooldown_at_is_the_peer_with_a_shorter_stable_phase(decay_type):
    w, s, d, spe = 6, 60, 18, 12
    long = ours(w, s, d, 'linear', decay_type, .1, spe)
    for branch in (w, w + 1, 30, 47, w + s):                   # steps: the stable phase's ends and points inside
        theirs = peer_rates(w, branch - w, d, 'linear', decay_type, .1)
        mine = long.cooldown_at(branch / spe)
        np.testing.assert_allclose(mine.at_batches(spe), theirs, rtol=1e-9, atol=0, err_msg=f'{branch} {mine}')
        np.testing.assert_array_equal(mine.at_batches(spe)[:branch], long.at_batches(spe)[:branch])   # the same run until then

def test_peer_grid_is_not_vacuous():
    "The grid reaches every phase: rates at the floor, in the warm-up, at the peak and in the cooldown all occur."
    r = peer_rates(5, 20, 10, 'linear', '1-sqrt', .1)
    assert r[0] == pytest.approx(.1 * PEAK) and r.max() == PEAK and .1 * PEAK < r[-1] < PEAK
    assert len(set(np.round(r / PEAK, 12))) > 10
