"""Time to evaluate 10,000 points of each schedule family, beside fastai's `combined_cos` called point by
point and PyTorch's `OneCycleLR` stepped 10,000 times. Prints figures; asserts nothing.
Run: python benchmarks/bench_schedules.py"""
import platform, time, timeit
import numpy as np
import torch
from fastai.callback.schedule import combined_cos
from lr_tutor.schedules import FAMILIES, warmup, one_cycle

N = 10_000

def best_ms(fn, repeat=7, number=None):
    number = number or max(1, int(0.2 / max(timeit.timeit(fn, number=1), 1e-6)))
    return min(timeit.repeat(fn, repeat=repeat, number=number)) / number * 1e3

def main():
    print(f'{N:,} points per schedule; best of 7 on {platform.processor() or platform.machine()}, '
          f'{torch.get_num_threads()} torch threads, numpy {np.__version__}')
    rows = []
    for name, make in FAMILIES.items():
        s = make()
        t = np.linspace(0, s.n_epochs, N)
        rows.append((name, best_ms(lambda: s(t))))
    s = warmup(one_cycle(), 1)
    t = np.linspace(0, s.n_epochs, N)
    rows.append(('warmup(one_cycle)', best_ms(lambda: s(t))))
    f = combined_cos(.25, 1e-3 / 25, 1e-3, 1e-3 / 1e5)
    pos = np.linspace(0, 1, N)
    rows.append(("fastai combined_cos, point by point", best_ms(lambda: [f(p) for p in pos], repeat=3)))
    def torch_onecycle():
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1e-3, momentum=.9)
        sch = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1e-3, total_steps=N + 1)
        for _ in range(N): sch.step()
    rows.append(('torch OneCycleLR, 10,000 steps', best_ms(torch_onecycle, repeat=3, number=1)))
    width = max(len(r[0]) for r in rows)
    for name, ms in rows: print(f'{name:{width}}  {ms:9.3f} ms')
    worst = max(ms for name, ms in rows[:len(FAMILIES) + 1])
    print(f'slowest lr_tutor family: {worst:.3f} ms per {N:,} points (goal: <= 1 ms)')

if __name__ == '__main__': main()
