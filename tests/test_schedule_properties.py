"""Property tests: for random valid parameters every schedule is finite and stays within its documented
bounds; invalid values are refused with an error naming the parameter. Strategies are derived from the
same `Param` metadata that checks input and builds the sliders."""
import math, re
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st, HealthCheck
from lr_tutor.schedules import FAMILIES, Param, Schedule, warmup, join

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

def valid_values(p: Param):
    "A strategy for valid values of `p`, kept to sizes a schedule is used at."
    if p.kind == 'choice': return st.sampled_from(p.choices)
    if p.kind == 'moms': return st.tuples(*[st.floats(0., .999)] * 3)
    if p.kind == 'milestones': return st.lists(st.floats(.01, 200.), max_size=5, unique=True).map(lambda m: tuple(sorted(m)))
    if p.kind == 'rate':
        pos = st.floats(-7., 0.5).map(lambda e: 10. ** e)
        return st.one_of(st.just(0.), pos) if not p.lo_open else pos
    if p.integer:
        lo = int(p.lo) + (1 if p.lo_open else 0)
        return st.integers(lo, lo + 12 if p.kind != 'count' else lo + 6)
    lo = max(p.lo, p.ui[0] if p.ui else p.lo)
    hi = min(p.hi, p.ui[1] if p.ui else p.hi)
    return st.floats(lo, hi, exclude_min=p.lo_open and lo == p.lo, exclude_max=p.hi_open and hi == p.hi)

@st.composite
def schedules(draw, name):
    make = FAMILIES[name]
    kw = {k: draw(valid_values(p)) for k, p in make.params.items()}
    if name == 'sgdr': kw['cycle_mult'] = min(kw['cycle_mult'], 2.5)   # keep 8 cycles under ~1,000 epochs
    if name == 'multi_step' and kw['milestones']:                       # milestones inside the schedule
        kw['n_epochs'] = max(kw['n_epochs'], kw['milestones'][-1] + draw(st.floats(.01, 10.)))
    if name == 'wsd' and kw['warmup'] + kw['stable'] + kw['decay'] == 0:   # some length
        kw['stable'] = draw(st.floats(.01, 100.))
    for lo, hi in make.order:                                           # ordered pairs: put them in order
        if kw[lo] > kw[hi]: kw[lo], kw[hi] = kw[hi], kw[lo]
    return make(**kw)

def check_bounds(s: Schedule):
    t = np.concatenate([np.linspace(0, s.n_epochs, 2001), [0., s.n_epochs]])
    lr = s(t)
    assert np.all(np.isfinite(lr)), s
    lo, hi = s.lr_range
    tol = 1e-12 * hi + 1e-300
    assert lo <= hi
    assert np.all(lr >= lo - tol) and np.all(lr <= hi + tol), (s, lr.min(), lr.max(), s.lr_range)
    if s.has_momentum:
        m = s.momentum(t)
        assert np.all(np.isfinite(m))
        assert np.all(m >= s.mom_range[0] - 1e-12) and np.all(m <= s.mom_range[1] + 1e-12)
    else:
        assert s.momentum(t) is None

@pytest.mark.parametrize('name', sorted(FAMILIES))
@SETTINGS
@given(data=st.data())
def test_finite_and_within_bounds(name, data):
    check_bounds(data.draw(schedules(name)))

@pytest.mark.parametrize('name', sorted(FAMILIES))
@SETTINGS
@given(data=st.data())
def test_code_recreates_exactly_and_scalar_matches_vector(name, data):
    s = data.draw(schedules(name))
    ns = {}
    exec(s.code(), ns)
    t = np.linspace(0, s.n_epochs, 257)
    assert ns['schedule'] == s
    np.testing.assert_array_equal(ns['schedule'](t), s(t))
    i = data.draw(st.integers(0, len(t) - 1))
    assert s(float(t[i])) == s(t)[i]

@SETTINGS
@given(a=schedules('one_cycle'), b=schedules('cosine'), w=st.floats(.01, 5.), f=st.floats(0., .99))
def test_combinators_within_bounds(a, b, w, f):
    for s in [warmup(a, w, f), warmup(b, w, f), join(a, b), join(b, warmup(a, w, f))]:
        check_bounds(s)

def invalid_values(p: Param):
    "Values outside `p`'s valid range (and non-numbers, non-finite numbers)."
    if p.kind == 'choice': return ['not-a-mode', None]
    if p.kind == 'milestones': return [(float('nan'),), (0.,), (-1., 2.), (3., 2.), (2., 2.), ('1',), 2., None, '1, 2']
    bad = [float('nan'), float('inf'), '1e-3', None, True]
    if p.lo > -math.inf: bad += [p.lo if p.lo_open else p.lo - 1e-3, p.lo - 1.]
    if p.hi < math.inf: bad += [p.hi if p.hi_open else p.hi + 1e-3, p.hi + 1.]
    if p.integer: bad += [p.lo + 1.5]
    if p.kind == 'moms': return [(b, .9, .9) for b in bad if not isinstance(b, str)] + [(.9, .9), .9]
    return bad

@pytest.mark.parametrize('name,param', [(n, k) for n, f in sorted(FAMILIES.items()) for k in f.params])
def test_invalid_value_names_parameter_and_range(name, param):
    p = FAMILIES[name].params[param]
    for v in invalid_values(p):
        with pytest.raises(ValueError) as e: FAMILIES[name](**{param: v})
        msg = str(e.value)
        assert msg.startswith(f'{param} must be'), msg
        assert p.valid_range.replace('three momentums, each ', '') in msg, msg

@pytest.mark.parametrize('name', [n for n, f in sorted(FAMILIES.items()) if f.order])
def test_order_violations_are_refused(name):
    make = FAMILIES[name]
    for lo, hi in make.order:
        d = make.params[hi]
        with pytest.raises(ValueError, match=f'{lo} must be <= {hi}'):
            make(**{hi: 1e-3, lo: 1e-2})
        with pytest.raises(ValueError, match=re.escape(f'(got {lo}=0.01, {hi}=1e-4)')):    # rates as fmt_rate writes them
            make(**{hi: 1e-4, lo: 1e-2})
