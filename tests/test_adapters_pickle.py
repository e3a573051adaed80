"""Everything pickles: every schedule (every family, warmup, join, nested joins) and every adapter object round-trips
through `pickle` and `copy.deepcopy` to an equal object, and a schedule crosses a `spawn` process boundary."""
import copy, multiprocessing, os, pickle
os.environ["KERAS_BACKEND"] = "torch"     # before anything imports keras: Keras 3 on PyTorch
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st, HealthCheck
from lr_tutor.schedules import FAMILIES, warmup, join, one_cycle, cosine, sgdr
from test_schedule_properties import schedules

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])

def round_trips(obj):
    for back in (pickle.loads(pickle.dumps(obj)), copy.deepcopy(obj)):
        assert back == obj and type(back) is type(obj)
    return pickle.loads(pickle.dumps(obj))

def same_curves(a, b):
    t = np.linspace(0, a.n_epochs, 129)
    np.testing.assert_array_equal(a(t), b(t))
    if a.has_momentum: np.testing.assert_array_equal(a.momentum(t), b.momentum(t))

@pytest.mark.parametrize('name', sorted(FAMILIES))
@SETTINGS
@given(data=st.data())
def test_every_family_pickles(name, data):
    s = data.draw(schedules(name))
    same_curves(round_trips(s), s)

@SETTINGS
@given(a=schedules('one_cycle'), b=schedules('cosine'), w=st.floats(.01, 5.), f=st.floats(0., .99))
def test_combinators_and_nested_joins_pickle(a, b, w, f):
    for s in [warmup(a, w, f), join(a, b), join(b, warmup(join(a, b), w, f)), warmup(warmup(b, w, f), w, f)]:
        same_curves(round_trips(s), s)

def test_adapters_pickle():
    import torch
    from lr_tutor.keras_adapter import BatchRates, batch_schedule
    opt = torch.optim.SGD([{'params': [torch.nn.Parameter(torch.zeros(1))], 'lr': lr} for lr in (1e-3, 1e-2)], momentum=.9)
    sch = one_cycle(1e-2, 2).to_torch(opt, 5)
    for _ in range(3): opt.step(); sch.step()
    back = round_trips(sch)
    assert back.last_epoch == 3 and back.optimizer.param_groups[0]['lr'] == opt.param_groups[0]['lr']
    for obj in [one_cycle().to_fastai(), sgdr().to_fastai(group_factors=[.1, 1.]), one_cycle().to_keras(),
                BatchRates(join(one_cycle(), cosine()), 7), batch_schedule(one_cycle(), 3), one_cycle().to_keras(4).callback()]:
        round_trips(obj)

def rate_at(s_and_t): return s_and_t[0](s_and_t[1])

def test_schedule_crosses_a_spawned_process():
    s = warmup(join(one_cycle(1e-2, 3), cosine(1e-3, 0., 2)), .5)
    with multiprocessing.get_context('spawn').Pool(1) as pool:
        got = pool.map(rate_at, [(s, t) for t in (0., 1.3, 5.5)])
    assert got == [s(0.), s(1.3), s(5.5)]
