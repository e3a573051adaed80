"""to_code and from_native around the frameworks: every family has a writer in every framework (the missing pairs
listed), bad arguments say which and what is valid, nothing imports a framework before one of its objects arrives,
a traced curve works where a schedule does (adapters, pickle), fit_family finds a family from its curve, and the
reference's table is what the frameworks measure now."""
import math, os, pickle, subprocess, sys, textwrap
from pathlib import Path
import numpy as np
import pytest
from lr_tutor.schedules import FAMILIES, Schedule, one_cycle, cosine, sgdr, step_decay, constant, warmup, join
from lr_tutor.native import to_code, from_native, forms, Traced, FRAMEWORKS, fit_family
from lr_tutor.native.code import FORMULAS
from lr_tutor.native.core import framework, COMBINATORS
from native_frameworks import run, need

ROOT = Path(__file__).resolve().parents[1]
PEERS = [f for f in FRAMEWORKS if f != 'lr_tutor']

def test_every_family_has_a_writer_in_every_framework():
    names = set(FAMILIES) | set(COMBINATORS)
    missing = sorted((name, fw) for fw in PEERS for name in names if name not in framework(fw).WRITERS)
    assert not missing, f'families without a writer (add one, or None for the generic form, to WRITERS): {missing}'
    assert not names - set(FORMULAS), f'families without a formula (lr_tutor.native.code.FORMULAS): {sorted(names - set(FORMULAS))}'

def test_lr_tutor_code_is_todays():
    s = one_cycle(3e-3, 5)
    assert s.to_code() == s.code() == to_code(s, 'lr_tutor')

def test_bad_arguments_say_what_is_valid():
    s = cosine()
    with pytest.raises(ValueError, match=r"framework must be one of 'lr_tutor', 'pytorch', .*got 'jax'"): s.to_code('jax', 7)
    with pytest.raises(ValueError, match=r'steps_per_epoch is needed'): s.to_code('pytorch')
    with pytest.raises(ValueError, match=r'steps_per_epoch must be an integer in \[1, inf\), got 0'): s.to_code('keras', 0)
    with pytest.raises(ValueError, match=r's must be a Schedule'): forms('cosine', 'keras', 7)
    with pytest.raises(ValueError, match=r'from_native takes a PyTorch, timm, Keras, optax or fastai scheduler'): from_native(3)
    with pytest.raises(ValueError, match=r'pass total_steps'): from_native(lambda step: 1e-3)
    with pytest.raises(ValueError, match=r'total_steps must be an integer in \[1, inf\), got 2.5'): from_native(lambda step: 1e-3, total_steps=2.5)

def test_from_native_needs_an_unstepped_scheduler_or_an_end():
    torch = need('torch')
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, 3, .5)
    with pytest.raises(ValueError, match='StepLR does not say how long it runs: pass total_steps'): from_native(sched)
    assert from_native(sched, 2, total_steps=12) == step_decay(.1, .5, 1.5, 6)
    opt.step(); sched.step()
    with pytest.raises(ValueError, match='StepLR has already stepped 1 times'): from_native(sched, 2, 12)

def run_clean(code: str) -> str:
    out = subprocess.run([sys.executable, '-c', textwrap.dedent(code)], capture_output=True, text=True, timeout=300,
                         env={**os.environ, 'PYTHONPATH': os.pathsep.join([str(ROOT), os.environ.get('PYTHONPATH', '')])})
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout

def test_a_traced_curve_is_a_schedule_the_adapters_run():
    torch = need('torch')
    s, spe = one_cycle(1e-2, 3), 5
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=.1, momentum=.9)
    native = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1e-2, total_steps=s.n_batches(spe))
    traced = from_native(native, spe)
    assert isinstance(traced, Traced) and traced.nearest.family == 'one_cycle'
    assert traced.n_batches(spe) == s.n_batches(spe) and traced.has_momentum
    assert pickle.loads(pickle.dumps(traced)) == traced
    again = traced.to_torch(torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=.1, momentum=.9), spe)
    lrs = []
    for _ in range(traced.n_batches(spe)):
        lrs.append(again.optimizer.param_groups[0]['lr']); again.optimizer.step(); again.step()
    np.testing.assert_allclose(lrs, traced.rates, rtol=1e-12)
    with pytest.raises(ValueError, match='is a recorded curve with no formula'): traced.to_code('keras', spe)

def test_fit_family_finds_the_family_of_a_curve():
    for s in (one_cycle(3e-3, 4), cosine(1e-2, 1e-4, 6), sgdr(1e-2, 0, 1, 2, 3, .7)):
        fitted = fit_family(Traced(s.at_batches(8), 8, source='test'))
        assert fitted.schedule.family == s.family and fitted.difference.lr < 1e-3, fitted
        assert str(fitted).startswith(f'{s.family}(') and 'to within' in str(fitted)
    with pytest.raises(ValueError, match='families must name lr_tutor families'): fit_family(Traced([1e-3, 1e-3], 1), ['nope'])

def same_params(a, b) -> bool:
    "Same family, and parameters equal to 1e-9 (a framework stores rates and lengths its own way: 0.1 / 7 * 7)."
    def close(x, y):
        if isinstance(x, tuple): return len(x) == len(y) and all(close(u, v) for u, v in zip(x, y))
        if isinstance(x, (int, float)) and isinstance(y, (int, float)): return math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-15)
        if isinstance(x, Schedule): return same_params(x, y)
        return x == y
    return a.family == b.family and a.params.keys() == b.params.keys() and all(close(a.params[k], b.params[k]) for k in a.params)

@pytest.mark.parametrize('framework', PEERS)
def test_the_native_object_to_code_builds_reads_back_as_the_schedule(framework):
    "The round trip: each family's defaults (and a warm-up, a join), written natively, read back with the same parameters."
    for m in ('timm', 'transformers', 'optax', 'keras'): need(m)
    from lr_tutor.schedules import join
    cases = [make() for make in FAMILIES.values()] + [warmup(cosine(), 1, .1), join(constant(1e-2, 5), cosine(1e-2, 0., 25))]
    checked = 0
    for s in cases:
        form = forms(s, framework, 4)[0]
        if form.kind != 'native exact': continue
        back = run(framework, form.code, 4, s.n_batches(4)).read
        assert isinstance(back, Schedule) and same_params(back, s), (form.api, back, s)
        checked += 1
    assert checked >= 3

def test_the_reference_table_is_what_the_frameworks_measure():
    for m in ('timm', 'transformers', 'optax', 'keras', 'fastai'): need(m)
    out = subprocess.run([sys.executable, str(ROOT / 'scripts' / 'native_table.py'), '--check'], capture_output=True,
                         text=True, timeout=1200, env={**os.environ, 'PYTHONPATH': str(ROOT)})
    assert out.returncode == 0, (out.stdout + out.stderr)[-3000:]
