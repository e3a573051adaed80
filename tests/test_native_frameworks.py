"""Every family (and warmup, join) in every framework, checked against the framework itself: parameters drawn
from each family's `Param`s (lengths that land on whole batches, and ones that do not: fractional epochs),
`steps_per_epoch` in {1, 7, 391}; the code `to_code` writes runs in a fresh namespace, the framework's own
scheduler is stepped through the whole run, and every batch's rate (and momentum, where the framework schedules
it) is compared with lr_tutor's. Exact forms agree to 1e-6 of the peak rate; a close form's stated difference is
what the framework really does (its model agrees with the framework to 1e-6). `from_native` reads each scheduler
back as built, to the same rates, without changing it."""
import math
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st, HealthCheck
from lr_tutor.schedules import FAMILIES, Schedule, warmup, join
from lr_tutor.native import forms, measured, difference, Traced, FRAMEWORKS, EXACT
from lr_tutor.native.core import batch_milestones
from test_schedule_properties import valid_values
from native_frameworks import run, need, MOMENTUM

for _peer in ('timm', 'transformers', 'optax', 'keras'): need(_peer)

NAMES = sorted(FAMILIES) + ['warmup', 'join']
PEERS = [f for f in FRAMEWORKS if f != 'lr_tutor']
BUDGET = {'fastai': 60}          # batches a run may last (a real fastai fit takes milliseconds a batch)
SPES = {'fastai': (1, 7)}         # fastai at 391 batches an epoch: test_fastai_at_391_batches_an_epoch

def epochs(spe, budget, lo=1):
    "A length in epochs: a whole number of batches, or (fractional epochs) one that falls between batches."
    whole = st.integers(lo, max(lo, budget)).map(lambda k: k / spe)
    between = st.floats(lo / spe, max(lo, budget) / spe).filter(lambda e: abs(e * spe - round(e * spe)) > 1e-6)
    return st.one_of(whole, between, st.integers(1, max(1, budget // spe)))

def nice(p, values):
    "Values a native form needs (0, 1, whole numbers) drawn often, beside the others."
    return st.one_of(st.sampled_from(values), valid_values(p))

@st.composite
def schedules(draw, name, spe, budget):
    "A schedule of family `name` lasting at most `budget` batches at `spe` batches an epoch."
    if name == 'warmup':
        inner = draw(schedules(draw(st.sampled_from(sorted(FAMILIES))), spe, budget // 2))
        return warmup(inner, draw(epochs(spe, budget // 2)), draw(st.sampled_from([0., .1]) | st.floats(0., .99)))
    if name == 'join':
        parts = [draw(schedules(draw(st.sampled_from(sorted(FAMILIES))), spe, budget // 3)) for _ in range(draw(st.integers(1, 3)))]
        return join(*parts)
    make = FAMILIES[name]
    kw = {}
    for k, p in make.params.items():
        if p.kind == 'epochs' and not p.integer: kw[k] = draw(epochs(spe, budget))
        elif p.kind == 'epochs': kw[k] = draw(st.integers(0, 4))
        elif k in ('lr_min', 'lr_end'): kw[k] = draw(nice(p, [0.]))
        elif k in ('peak_decay', 'gamma'): kw[k] = draw(nice(p, [1., .5]))
        elif k == 'cycle_mult': kw[k] = draw(st.sampled_from([1., 2., 3.]) | st.floats(1., 2.5))
        elif k == 'n_cycles': kw[k] = draw(st.integers(1, 4))
        elif k == 'power': kw[k] = draw(nice(p, [1., 2.]))
        elif k == 'pct_start': kw[k] = draw(nice(p, [.25, .5]))
        elif k == 'milestones': continue
        else: kw[k] = draw(valid_values(p))
    for lo, hi in make.order:
        if kw[lo] > kw[hi]: kw[lo], kw[hi] = kw[hi], kw[lo]
    if name == 'sgdr':      # its length is its cycles': shrink the first so that all of them fit the budget
        total = sum(kw['cycle_mult'] ** i for i in range(kw['n_cycles']))
        kw['cycle_len'] = draw(epochs(spe, max(1, int(budget / total))))
    if name == 'multi_step':
        n = kw['n_epochs']
        kw['milestones'] = tuple(sorted(draw(st.lists(st.floats(n / 100, n * .99), max_size=3, unique=True))))
        if any(b - a < 1e-9 for a, b in zip(kw['milestones'], kw['milestones'][1:])): kw['milestones'] = ()
    s = make(**kw)
    return s

def peak(s, spe):
    "What differences are measured against: the schedule's top rate (as `difference` does)."
    return max(float(s.lr_range[1]), float(np.max(s.at_batches(spe))))

def check_form(form, s, framework, spe):
    "Run `form` in the framework; its rates are lr_tutor's (exact forms) or its model's (close forms)."
    n = s.n_batches(spe)
    ran = run(framework, form.code, spe, n)
    assert len(ran.rates) == n, (form.api, len(ran.rates), n)
    with_mom = framework in MOMENTUM and s.has_momentum
    got = difference(ran.rates, ran.moms if with_mom else None, s, spe)
    if form.model is None:
        assert got.lr <= EXACT and got.mom <= EXACT, f'{form.kind} {form.api} for {s!r} at {spe}/epoch: {got}\n{form.code}'
    else:
        want_rates, want_moms = form.model()
        assert np.max(np.abs(ran.rates - want_rates)) <= EXACT * peak(s, spe), f'{form.api}: its model is not what it does'
        if with_mom and want_moms is not None: assert np.max(np.abs(ran.moms - want_moms)) <= EXACT
        stated = measured(form, s, spe)
        assert math.isclose(stated.lr, got.lr, rel_tol=1e-6, abs_tol=EXACT), (stated, got)
        assert not (stated.lr <= EXACT and stated.mom <= EXACT), f'{form.api} is labelled close but is exact for {s!r}'
    return ran

STEP_APIS = ('MultiStepLR', 'MultiStepLRScheduler', 'PiecewiseConstantDecay', 'piecewise_constant_schedule')

def same_family(back, s, spe) -> bool:
    "Whether `back` is `s`'s family, or one that is the same curve by another name (a flat rate, one cycle, one part)."
    rates = s.at_batches(spe)
    if back.family == s.family or np.all(rates == rates[0]): return True
    also = {'step_decay': {'multi_step', 'exp_decay'}, 'sgdr': {'cosine'} if s.params.get('n_cycles') == 1 else set(),
            'flat_cos': {'join'}, 'multi_step': {'step_decay'},
            'join': ({s.schedules[0].family} if s.family == 'join' and len(s.schedules) == 1 else {'flat_cos', 'sgdr'})}
    return back.family in also.get(s.family, set())

def repeated_drops(s, spe) -> bool:
    "Whether a step schedule (or one inside a warmup or join) drops twice in one batch somewhere."
    if s.family in ('warmup', 'join'):
        return any(repeated_drops(p, spe) for p in ([s.schedule] if s.family == 'warmup' else s.schedules))
    if s.family not in ('step_decay', 'multi_step'): return False
    m = batch_milestones(s, spe)
    return len(set(m)) < len(m)

def check_read_back(ran, form, s, spe):
    """from_native gives the same rates at every batch, without changing the scheduler: the family where the form is
    native exact (a drop schedule with two drops in one batch is no multi_step: a Traced curve), a Traced curve otherwise."""
    back = ran.read
    assert not isinstance(back, Exception), f'from_native failed on {form.api}: {back!r}'
    assert ran.unchanged, f'from_native changed the state of {form.api}'
    n = s.n_batches(spe)
    rates = back.rates if isinstance(back, Traced) else back.at_batches(spe)
    assert len(rates) == n
    assert np.max(np.abs(rates - ran.rates)) <= EXACT * peak(s, spe)
    if form.kind == 'native exact':
        repeated = form.api in STEP_APIS and repeated_drops(s, spe)
        assert repeated or (isinstance(back, Schedule) and not isinstance(back, Traced)), f'{form.api} not recognized: {back!r}'
        assert isinstance(back, Traced) or same_family(back, s, spe), (back, s)

@pytest.mark.parametrize('framework', PEERS)
@pytest.mark.parametrize('name', NAMES)
@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_every_form_is_what_the_framework_runs(name, framework, data):
    spe = data.draw(st.sampled_from(SPES.get(framework, (1, 7, 391))), label='steps_per_epoch')
    budget = BUDGET.get(framework, 900)
    s = data.draw(schedules(name, spe, budget), label='schedule')
    found = forms(s, framework, spe)
    assert [f.kind for f in found] in (['native exact'], ['generic exact'], ['generic exact', 'native close'])
    for form in found:
        ran = check_form(form, s, framework, spe)
        check_read_back(ran, form, s, spe)

@pytest.mark.parametrize('s', [FAMILIES['one_cycle'](1e-3, 2), FAMILIES['sgdr'](1e-2, 0, 1, 1, 2), FAMILIES['cosine'](1e-2, 1e-4, 1.5)],
                         ids=['one_cycle', 'sgdr', 'cosine'])
def test_fastai_at_391_batches_an_epoch(s):
    for form in forms(s, 'fastai', 391):
        check_read_back(check_form(form, s, 'fastai', 391), form, s, 391)
