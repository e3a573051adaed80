"""The lab's retrain, in the kernel: what one slider change costs before the browser sees anything.

For each task it times, with one thread (OMP_NUM_THREADS=1):
- the naive anchor: the same run as a plain PyTorch loop (nn.Sequential, autograd, torch.optim, the rate set
  before every step), `lr_tutor.lab.torch_train` (spiral only: the landscape has no network);
- `train(task, schedule)`: the lab's batched NumPy engine, one run;
- the batched lever: `train_many` on 3 seeds, and on the 10 neighbouring schedules the lab trains ahead
  (one arrow-key step of each slider), per run;
- fewer, larger steps: the spiral with batch 50 (half the steps) instead of 25;
- drawing: a new frame of the training view (blitted over the kept axes, PNG encoded), and without blitting;
- the whole retrain as the lab does it (train + draw + readouts) after a slider change, from Python.

    OMP_NUM_THREADS=1 python benchmarks/bench_lab_kernel.py [--repeat 15]

Prints median and p90 (ms) of each. On a shared machine say so when you quote them.
"""
import argparse, os, platform, statistics, time
os.environ.setdefault('OMP_NUM_THREADS', '1')
os.environ.setdefault('MPLBACKEND', 'agg')
import numpy as np

def timed(f, repeat):
    f()                                                     # warm caches and imports
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter(); f(); out.append(1e3 * (time.perf_counter() - t0))
    return out

def row(name, ms, per=1):
    ms = np.asarray(ms) / per
    print(f'  {name:<58} median {np.median(ms):7.2f} ms   p90 {np.percentile(ms, 90):7.2f} ms')
    return float(np.median(ms))

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--repeat', type=int, default=15)
    args = ap.parse_args(argv)
    import torch
    torch.set_num_threads(1)
    from lr_tutor.lab import TASKS, Spiral, RunPlot, lab, torch_train, train, train_many, start_schedule
    from lr_tutor.schedules import one_cycle
    n = args.repeat
    print(f'machine: {os.cpu_count()} cores {platform.machine()}, load average {os.getloadavg()[0]:.1f} (1 min), '
          f'torch threads {torch.get_num_threads()}')
    for name in ('spiral', 'landscape'):
        task = TASKS[name]
        s = start_schedule('one_cycle', task)
        steps = int(round(s.n_epochs * task.steps_per_epoch))
        print(f'\n{name}: {s!r}, {steps} steps of SGD with momentum')
        naive = row('naive anchor: plain PyTorch loop (torch_train)', timed(lambda: torch_train(task, s), n)) if name == 'spiral' else None
        one = row('train(): batched NumPy engine, 1 run', timed(lambda: train(task, s), n))
        row('train_many(): 3 seeds, per run', timed(lambda: train_many(task, [s] * 3, [0, 1, 2]), n), per=3)
        L = lab('one_cycle', task=name)
        ahead = []
        for k, w in L.sliders.items():          # one step of each slider, as frames ahead would
            for f in (10 ** .05, 10 ** -.05):
                try: ahead.append(L.controls.build(**{k: w.value * f}) if isinstance(w.value, float) else None)
                except (ValueError, TypeError): pass
        ahead = [a for a in ahead if a is not None and a.n_epochs == s.n_epochs][:10]
        row(f'train_many(): {len(ahead)} neighbouring schedules, per run', timed(lambda: train_many(task, ahead), n), per=len(ahead))
        if name == 'spiral':
            big = Spiral(batch_size=50)
            row(f'fewer, larger steps: batch 50, {int(s.n_epochs * big.steps_per_epoch)} steps', timed(lambda: train(big, s), n))
        runs = [train(task, s)]
        plot = RunPlot(task); plot.show(runs)
        row('draw a frame of the training view (blit + PNG)', timed(lambda: plot.show(runs), n))
        full = RunPlot(task, blit=False); full.show(runs)
        row('draw a frame without blitting', timed(lambda: full.show(runs), n))
        w = L.sliders['lr_max']
        vals = iter(s.lr_max * 10 ** (.05 * np.arange(1, 10 * n + 20)))
        def change():
            w.value = float(f'{next(vals):.3g}'); L.flush()
        tot = row('whole retrain after a slider change (train + draw + readouts)', timed(change, n))
        if naive: print(f'  -> engine vs naive loop: {naive / one:.1f}x faster per run')
    print('\n(timings on this machine as it was; rerun on a quiet one to compare)')

if __name__ == '__main__':
    main()
