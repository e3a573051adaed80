"""sgdr(peak_decay=...) against timm's CosineLRScheduler(cycle_decay=...), stepped per batch (timm is optional)."""
import numpy as np
import pytest
timm_scheduler = pytest.importorskip('timm.scheduler')
import torch
from lr_tutor.schedules import sgdr

@pytest.mark.parametrize('lr_min,cycle_len,cycle_mult,n_cycles,peak_decay',
                         [(0., 1, 1, 3, .5), (1e-4, 2, 2, 3, .7), (1e-3, 1, 2, 4, 1.)])
def test_sgdr_matches_timm_cosine(lr_min, cycle_len, cycle_mult, n_cycles, peak_decay):
    spe, lr_max = 6, .1
    s = sgdr(lr_max, lr_min, cycle_len, cycle_mult, n_cycles, peak_decay=peak_decay)
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr_max)
    timm = timm_scheduler.CosineLRScheduler(opt, t_initial=cycle_len * spe, lr_min=lr_min, cycle_mul=cycle_mult,
                                            cycle_decay=peak_decay, cycle_limit=n_cycles, t_in_epochs=False)
    got = []
    for k in range(s.n_batches(spe)):
        timm.step_update(k)
        got.append(opt.param_groups[0]['lr'])
    err = np.max(np.abs(np.array(got) - s.at_batches(spe))) / lr_max
    print(f'timm CosineLRScheduler vs {s!r}: largest difference {err:.1e} x lr_max')
    assert err < 1e-12
