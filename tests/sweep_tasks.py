"Lab tasks for tests/test_sweep.py: the spiral made slow, so that a test can kill a worker or interrupt a sweep mid-run."
import os, time
from pathlib import Path
from lr_tutor.engine import Spiral

class SleepySpiral(Spiral):
    """The spiral (same data, same runs), but each trial sleeps `delay` seconds first, and, while `flags/stall`
    exists, writes its worker's pid to `flags/pid` and waits there to be killed."""
    name = 'sleepy_spiral'
    def __init__(self, flags, delay=0.):
        super().__init__()
        self.flags, self.delay = str(flags), delay
    def batches(self, seed, n_steps):
        flags = Path(self.flags)
        if (flags / 'stall').exists():
            (flags / 'pid').write_text(str(os.getpid()))
            for _ in range(3000):
                if not (flags / 'stall').exists(): break
                time.sleep(.1)
        time.sleep(self.delay)
        return super().batches(seed, n_steps)


# Learners of a module of the user's own, which Ray's workers cannot import (this folder is not on their path):
# lr_tutor.sweep sends them by value. fastai is imported inside them, as nothing here may rely on an import having run.

def missing_data_learner(seed, calls):
    "A `make_learner` whose data folder is missing: it notes each call in folder `calls`, then raises."
    import uuid
    (Path(calls) / f'{seed}-{uuid.uuid4().hex}').touch()
    raise RuntimeError('my data folder is missing')

def forward_fails_for_seed_1(seed):
    "A Learner whose model's forward raises on every batch for seed 1 (a bug in the model), and trains for seed 0."
    import torch
    from torch import nn
    from fastai.data.core import DataLoaders
    from fastai.learner import Learner
    from fastai.losses import CrossEntropyLossFlat
    from fastai.metrics import accuracy
    from fastai.torch_core import set_seed
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(4, 2)
        def forward(self, x):
            if seed == 1: raise ValueError(f'expected 4 features, got {x.shape[1] + 1}')
            return self.linear(x)
    set_seed(seed, reproducible=True)
    x = torch.randn(128, 4); y = (x[:, 0] > 0).long()
    ds = [(x[i], y[i]) for i in range(128)]
    dls = DataLoaders.from_dsets(ds[:96], ds[96:], bs=32, device='cpu')
    return Learner(dls, Model(), loss_func=CrossEntropyLossFlat(), metrics=accuracy)
