"""Each framework's own scheduler, run: `run(framework, code, steps_per_epoch, n)` executes code that `to_code`
wrote, in a fresh namespace holding what the code expects (`optimizer`, or `learn`), then steps what it bound to
`scheduler` through the whole run as that framework does, and returns the rate (and momentum, where the framework
schedules it) of every batch, and the scheduler as built (before any step), read back by `from_native` first.
Used by the tests (tests/test_native_*.py) and by scripts/native_table.py, which measures the reference's table."""
import os, warnings
os.environ.setdefault('KERAS_BACKEND', 'torch')
import numpy as np
from lr_tutor.native import from_native

def need(module):
    "Skip where a peer framework is missing (fail in CI, which installs them all: pip install -e '.[dev]')."
    import pytest
    try: return __import__(module)
    except ImportError:
        msg = f'{module} is not installed: pip install -e ".[dev]" installs every framework lr_tutor checks against'
        if os.environ.get('CI'): pytest.fail(msg)
        pytest.skip(msg)

class Ran:
    "What a run gave: each batch's rate and momentum (None where not scheduled), and `read`: from_native's answer."
    def __init__(self, rates, moms, read, unchanged=True):
        self.rates, self.moms, self.read, self.unchanged = np.asarray(rates, float), moms, read, unchanged

def _optimizer(momentum=True):
    import torch
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(3))], lr=0.123, momentum=.9 if momentum else 0.)

def _state(sched):
    "Everything `from_native` must leave alone: the scheduler's state and its optimizer's (rates included)."
    import copy, torch
    opt = sched.optimizer
    return copy.deepcopy((sched.state_dict(), opt.state_dict(), [dict((k, v) for k, v in g.items() if k != 'params')
                                                               for g in opt.param_groups]))

def _same(a, b) -> bool:
    import torch
    if isinstance(a, torch.Tensor): return torch.equal(a, b)
    if isinstance(a, dict): return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)): return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b or (a != a and b != b)

def _read(sched, spe, n):
    try: return from_native(sched, spe, n)
    except Exception as e: return e

def _built(code, **names):
    "What `code`, run in a fresh namespace holding `names`, bound to `scheduler`."
    ns = dict(names)
    exec(code, ns)
    return ns['scheduler']

def _torch_built(code, spe, n):
    "The optimizer and what `code` bound to `scheduler` (as built), read back by from_native, and whether that left it alone."
    opt = _optimizer()
    sched = _built(code, optimizer=opt)
    before = _state(sched)
    read = _read(sched, spe, n)
    return opt, sched, read, _same(before, _state(sched))

def run_torch(code, spe, n):
    "PyTorch and transformers: `optimizer.step(); scheduler.step()` after every batch."
    opt, sched, read, unchanged = _torch_built(code, spe, n)
    rates, moms = [], []
    for _ in range(n):
        rates.append(float(opt.param_groups[0]['lr'])); moms.append(float(opt.param_groups[0]['momentum']))
        opt.step()
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')      # e.g. SequentialLR's deprecated-epoch notice at a milestone
            sched.step()
    return Ran(rates, np.array(moms), read, unchanged)

def run_timm(code, spe, n):
    "timm: `scheduler.step_update(num_updates)` after every batch."
    opt, sched, read, unchanged = _torch_built(code, spe, n)
    rates = []
    for k in range(n):
        rates.append(float(opt.param_groups[0]['lr']))
        opt.step()
        sched.step_update(k + 1)
    return Ran(rates, None, read, unchanged)

def run_keras(code, spe, n):
    "Keras: the optimizer calls the schedule with its step count, one batch at a time."
    import keras
    sched = _built(code)
    read = _read(sched, spe, n)
    rates = [float(keras.ops.convert_to_numpy(sched(keras.ops.convert_to_tensor(k)))) for k in range(n)]
    return Ran(rates, None, read)

def run_optax(code, spe, n):
    "optax: the optimizer's state calls the schedule with its step count (an int32), jitted, one batch at a time."
    import jax, jax.numpy as jnp
    sched = _built(code)
    read = _read(sched, spe, n)
    step = jax.jit(sched)
    rates = [float(step(jnp.asarray(k, dtype=jnp.int32))) for k in range(n)]
    return Ran(rates, None, read)

def run_fastai(code, spe, n):
    "fastai: a real `learn.fit…` on a small synthetic Learner of `spe` batches an epoch; each batch's hyper-parameters."
    from fastai.test_utils import synth_learner
    from fastai.callback.core import Callback
    import fastai.callback.schedule, fastai.callback.progress   # noqa: F401  (fit_one_cycle...; no_bar)
    class Seen(Callback):
        order = 70      # after ParamScheduler (60) has set this batch's values
        def before_fit(self): self.lrs, self.moms = [], []
        def before_batch(self):
            if self.training:
                h = self.opt.hypers[-1]
                self.lrs.append(float(h['lr'])); self.moms.append(float(h['mom']))
    learn = synth_learner(n_trn=spe, n_val=1)
    seen = Seen()
    learn.add_cb(seen)
    lines = code.rstrip().splitlines()
    ns = {'learn': learn}
    exec('\n'.join(lines[:-1]), ns)           # everything but the call that trains: `scheduler` as built
    fit_batches = -(-n // spe) * spe
    read = _read(ns['scheduler'], spe, fit_batches)
    with learn.no_bar(), learn.no_logging(), warnings.catch_warnings():
        warnings.simplefilter('ignore')
        exec(lines[-1], ns)
    return Ran(seen.lrs, np.array(seen.moms), read)

RUNNERS = {'pytorch': run_torch, 'transformers': run_torch, 'timm': run_timm, 'keras': run_keras,
           'optax': run_optax, 'fastai': run_fastai}
MOMENTUM = {'pytorch', 'fastai'}
"The frameworks whose schedulers set momentum: their momentum is compared too."

def run(framework, code, spe, n) -> Ran:
    return RUNNERS[framework](code, spe, n)
