"""The lab's retrain, in the kernel: what one slider change costs before the browser sees anything.

For each task it times, with one thread (OMP_NUM_THREADS=1):
- the naive anchor: the same run as a plain PyTorch loop (nn.Sequential, autograd, torch.optim, the rate set
  before every step), `torch_train` (tests/torch_reference.py) (spiral only: the landscape has no network);
- `train(task, schedule)`: the lab's batched NumPy engine, one run;
- the batched lever: `train_many` on 3 seeds, and on the 10 neighbouring schedules the lab trains ahead
  (one arrow-key step of each slider), per run;
- fewer, larger steps: the spiral with batch 50 (half the steps) instead of 25;
- drawing: a new frame of the training view (blitted over the kept axes, PNG encoded), and without blitting;
- the whole retrain as the lab does it (train + draw + readouts) after a slider change, from Python.

    OMP_NUM_THREADS=1 python benchmarks/bench_lab_kernel.py [--repeat 15]

Prints median and p90 (ms) of each. On a shared machine say so when you quote them.
"""
import argparse, os, platform, statistics, sys, time
from pathlib import Path
os.environ.setdefault('OMP_NUM_THREADS', '1')
os.environ.setdefault('MPLBACKEND', 'agg')
import numpy as np

def timed_together(cases, repeat):
    """Time each of `cases` [(name, f, per)] `repeat` times, round-robin: the machine's load falls on all alike.
    Prints median and p90 per case (ms, divided by `per`); returns name -> median."""
    for _, f, _ in cases: f()                                   # warm caches and imports
    ms = {name: [] for name, _, _ in cases}
    for _ in range(repeat):
        for name, f, per in cases:
            t0 = time.perf_counter(); f(); ms[name].append(1e3 * (time.perf_counter() - t0) / per)
    for name, _, _ in cases:
        print(f'  {name:<62} median {np.median(ms[name]):7.2f} ms   p90 {np.percentile(ms[name], 90):7.2f} ms')
    return {name: float(np.median(v)) for name, v in ms.items()}

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--repeat', type=int, default=15)
    args = ap.parse_args(argv)
    import torch
    torch.set_num_threads(1)
    from lr_tutor.engine import TASKS, Spiral, train, train_many
    from lr_tutor.lab_shell import start_schedule
    from lr_tutor.run_plot import RunPlot
    from lr_tutor.lab import lab
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'tests'))
    from torch_reference import torch_train
    from lr_tutor.schedules import one_cycle
    n = args.repeat
    print(f'machine: {os.cpu_count()} cores {platform.machine()}, load average {os.getloadavg()[0]:.1f} (1 min), '
          f'torch threads {torch.get_num_threads()}')
    for name in ('spiral', 'landscape'):
        task = TASKS[name]
        s = start_schedule('one_cycle', task)
        steps = int(round(s.n_epochs * task.steps_per_epoch))
        print(f'\n{name}: {s!r}, {steps} steps of SGD with momentum')
        L = lab('one_cycle', task=name)
        ahead = [step.schedule for step in L.controls.steps()]     # untouched: the first slider's steps
        L.controls.moved = L.sliders['n_epochs'] if 'n_epochs' in L.sliders else None
        ahead += [step.schedule for step in L.controls.steps()]
        ahead = [a for a in ahead if a.n_epochs == s.n_epochs][:10]    # runs of one length: one batched program
        runs = [train(task, s)]
        plot = RunPlot(task); plot.show(runs)
        full = RunPlot(task, blit=False); full.show(runs)
        w = L.sliders['lr_max']
        vals = iter(s.lr_max * 10 ** (-.05 * np.arange(1, 20 * n + 20)))
        def change():
            w.value = float(f'{next(vals):.3g}'); L.flush()
        cases = ([('naive anchor: plain PyTorch loop (torch_train)', lambda: torch_train(task, s), 1)] if name == 'spiral' else [])
        cases += [('train(): batched NumPy engine, 1 run', lambda: train(task, s), 1),
                  ('train_many(): 3 seeds at once, per run', lambda: train_many(task, [s] * 3, [0, 1, 2]), 3),
                  (f'train_many(): {len(ahead)} neighbouring schedules at once, per run', lambda: train_many(task, ahead), len(ahead))]
        if name == 'spiral':
            big = Spiral(batch_size=50)
            cases.append((f'fewer, larger steps: batch 50, {int(s.n_epochs * big.steps_per_epoch)} steps', lambda: train(big, s), 1))
        cases += [('draw a frame of the training view (blit + PNG)', lambda: plot.show(runs), 1),
                  ('draw a frame without blitting', lambda: full.show(runs), 1),
                  ('whole retrain after a slider change (train + both panels)', change, 1)]
        med = timed_together(cases, n)
        if name == 'spiral':
            print(f"  -> engine vs naive loop, per run: {med[cases[0][0]] / med[cases[1][0]]:.1f}x alone, "
                  f"{med[cases[0][0]] / med[cases[3][0]]:.1f}x batched with the neighbours")
    print('\n(timings on this machine as it was; rerun on a quiet one to compare)')

if __name__ == '__main__':
    main()
