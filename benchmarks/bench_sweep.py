"""Ray Tune sweeps against the plain in-process loop, in the same run (figures are ratios to that anchor).

1. Spiral: N configurations (families x rates x seeds, default 10,000), `lab.train` in a loop vs `sweep` on an
   embedded Ray (its start included). Ray's start and its per-trial overhead are measured apart, and the
   crossover (the sweep size from which Ray wins here) follows from the measured pieces.
2. Photos at the CPU tier: 3 schedules x 3 seeds, `fit_photos` one after another in this process (torch on every
   core) vs `sweep(task='photos')`, one trial per run, as many at a time as cores, on the Ray started above.
   The sweep is also run with twice the seeds: its fixed cost (Tune's start, each worker's torch and fastai
   imports) and its cost per added run follow, with the ratio at the margin and the size from which it wins.
3. Failures: a `make_learner` that raises, swept over 4 runs, against the same sweep whose learner trains one short
   epoch: the time until `sweep` raises (no retries; the sweep stops at its first failed run).

    OMP_NUM_THREADS=1 python benchmarks/bench_sweep.py                   # the full size (minutes)
    OMP_NUM_THREADS=1 python benchmarks/bench_sweep.py --configs 1200 --photo-seeds 1    # a quick check

On a loaded machine the figures move with the load: say so when you quote them."""
import argparse, math, os, tempfile, time
os.environ.setdefault('OMP_NUM_THREADS', '1')       # the loop's small matmuls run best on one thread; Ray sets its own
import numpy as np

def spiral_configs(n):
    "About `n` (schedule, seed) pairs: 4 families x rates x 10 seeds, every schedule 20 epochs."
    from lr_tutor.schedules import constant, one_cycle, cosine, sgdr
    families = [lambda r: constant(r, 20), lambda r: one_cycle(r, 20), lambda r: cosine(r, 0., 20),
                lambda r: sgdr(r, 0., 4, 1, 5)]
    seeds = range(10) if n >= 400 else range(max(1, n // 40))
    n_rates = max(1, round(n / (len(families) * len(seeds))))
    rates = [float(f'{r:.4g}') for r in np.geomspace(1e-3, 3., n_rates)]
    return [(f(r), s) for f in families for r in rates for s in seeds]

def spiral_loop(configs):
    "The in-process anchors: the loop of `train`, and `train_many` batched (s a run)."
    from lr_tutor.engine import train, train_many
    n = len(configs)
    t0 = time.perf_counter()
    for s, seed in configs: train('spiral', s, seed)
    loop = time.perf_counter() - t0
    k = min(n, 500)                                   # the batched engine on one chunk, in process
    t0 = time.perf_counter()
    train_many('spiral', [s for s, _ in configs[:k]], [seed for _, seed in configs[:k]])
    batched = (time.perf_counter() - t0) / k
    return loop, batched

def spiral_sweep(args, configs, storage, slots, start, loop, batched):
    "The same configurations on Ray: its per-trial cost, the sweep, the crossover."
    from lr_tutor.sweep import sweep
    from lr_tutor.schedules import constant
    n = len(configs)
    # per-trial overhead: trials of one 1-epoch run each, `slots` at a time
    t0 = time.perf_counter()
    sweep([constant(.1 + 1e-3 * i, 1) for i in range(args.overhead_trials)], seeds=(0,), chunk_size=1,
          storage=storage, progress=False)
    per_trial = (time.perf_counter() - t0) * slots / args.overhead_trials
    t0 = time.perf_counter()
    sw = sweep(list({repr(s): s for s, _ in configs}.values()),
               seeds=tuple(sorted({seed for _, seed in configs})), storage=storage, progress=False)
    ray_sweep = time.perf_counter() - t0
    assert len(sw.runs) == n, (len(sw.runs), n)
    ray_total = start + ray_sweep
    trials = math.ceil(n / math.ceil(n / slots))
    print(f'  loop of train:        {loop:7.1f} s  ({1e3 * loop / n:.1f} ms a run)   [anchor]')
    print(f'  train_many, batched:  {1e3 * batched:7.1f} ms a run in process ({loop / n / batched:.1f}x the loop per run)')
    print(f'  Ray per-trial cost:   {per_trial:7.2f} s  (a trial of one 1-epoch run, {slots} at a time)')
    print(f'  sweep on Ray:         {ray_sweep:7.1f} s  ({trials} trials), with the start {ray_total:.1f} s')
    print(f'  => Ray is {loop / ray_total:.2f}x the loop\'s speed (start included), {loop / ray_sweep:.2f}x once started')
    # crossover: loop a*n against start + per_trial*ceil(trials/slots) + b*n/slots, with `slots` trials of n/slots runs
    a, b = loop / n, batched
    cross = next((m for m in range(1, 10 ** 7, max(1, n // 2000)) if start + per_trial + b * m / slots < a * m), None)
    cross_warm = next((m for m in range(1, 10 ** 7) if per_trial + b * m / slots < a * m), None)
    print(f'  crossover: Ray (started in the sweep) beats the loop from about {cross} runs; with Ray already running, '
          f'from about {cross_warm} runs (model from the measured pieces above)')


def photos(args, storage, slots, cpus):
    "Photos at the CPU tier: the loop in process [anchor] against the sweep, at two sizes (fixed and marginal costs)."
    import torch
    from lr_tutor.photos import fit_photos, photo_dls, TIERS
    from lr_tutor.schedules import constant, one_cycle, sgdr
    from lr_tutor.sweep import sweep
    seeds = tuple(range(args.photo_seeds))
    e = TIERS['cpu']['n_epochs']
    schedules = [one_cycle(1e-2, e), constant(1e-3, e), sgdr(1e-2, 0., 2, 1, e // 2)]
    torch.set_num_threads(cpus)
    fit_photos(photo_dls('cpu'), constant(1e-3, 1), 0)          # warm-up: one-off costs out of the timing
    t0 = time.perf_counter()
    for s in schedules:
        for seed in seeds: fit_photos(photo_dls('cpu'), s, seed)
    seq = time.perf_counter() - t0
    n = len(schedules) * len(seeds)
    def timed(seeds):
        t0 = time.perf_counter()
        ph = sweep(schedules, task='photos', seeds=seeds, tier='cpu', storage=storage, progress=False)
        assert len(ph.runs) == len(schedules) * len(seeds)
        return time.perf_counter() - t0, ph.runs.seconds.mean()
    t0 = time.perf_counter()                        # the first sweep in this process also imports Tune's modules
    sweep([constant(1e-3, 1)], task='photos', seeds=(0,), tier='cpu', storage=storage, progress=False)
    first = time.perf_counter() - t0
    par, run_s = timed(seeds)
    par2, _ = timed(tuple(range(2 * len(seeds))))
    marginal = (par2 - par) / n                      # s per added run, `slots` at a time
    fixed = par - marginal * n
    per_run = seq / n
    print(f'photos, CPU size: {len(schedules)} schedules x {len(seeds)} seeds = {n} runs, load average {os.getloadavg()[0]:.1f}')
    print(f'  in process, one after another (torch on {cpus} threads): {seq:6.1f} s ({per_run:.2f} s a run)   [anchor]')
    print(f'  sweep, {slots} trials at a time (Ray already running):   {par:6.1f} s  = {par / seq:.2f}x the sequential time')
    print(f'    (before it, a first sweep of one 1-epoch run took {first:.1f} s, importing Tune in this process)')
    print(f'    a run inside a trial: {run_s:.2f} s; with {2 * n} runs the sweep took {par2:.1f} s')
    print(f'    fixed cost (Tune starting, each worker importing torch and fastai): {fixed:.1f} s')
    print(f'    each added run: {marginal:.2f} s = {marginal / per_run:.2f}x a run in process (the ratio a long sweep tends to)')
    if marginal < per_run:
        print(f'    the sweep beats the loop from about {math.ceil(fixed / (per_run - marginal))} runs of this size', end='')
        print(f', and is at most 0.75x from about {math.ceil(fixed / (.75 * per_run - marginal))} runs'
              if marginal < .75 * per_run else '; it does not reach 0.75x at this size')
    else: print('    the sweep does not beat the loop at this size on this machine')

def make_tiny_learner(seed, fail=False):
    "A learner of one short epoch, or (`fail`) a make_learner whose data is missing. Defined in `__main__`: sent by value."
    from lr_tutor.data import synthetic_dls
    from lr_tutor.training import make_learner
    if fail: raise FileNotFoundError('my data folder is missing')
    return make_learner(synthetic_dls(n_train=96, n_valid=48, size=16, bs=32), arch='simple_cnn', seed=seed)

def failures(storage, slots):
    "The time until a failing make_learner is raised, against the same sweep trained [anchor]."
    from functools import partial
    from lr_tutor.sweep import sweep
    from lr_tutor.schedules import constant
    schedules, seeds = [constant(1e-3, 1), constant(1e-2, 1)], (0, 1)
    t0 = time.perf_counter()
    sweep(schedules, task=make_tiny_learner, seeds=seeds, storage=storage, progress=False)
    trained = time.perf_counter() - t0
    t0 = time.perf_counter()
    try: sweep(schedules, task=partial(make_tiny_learner, fail=True), seeds=seeds, storage=storage, progress=False)
    except FileNotFoundError: pass
    raised = time.perf_counter() - t0
    print(f'failures: {len(schedules) * len(seeds)} runs, {slots} trials at a time, load average {os.getloadavg()[0]:.1f}')
    print(f'  the sweep, each run one short epoch:   {trained:6.1f} s   [anchor]')
    print(f'  its make_learner raising: raised after {raised:6.1f} s = {raised / trained:.2f}x the anchor')

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--configs', type=int, default=10_000)
    ap.add_argument('--overhead-trials', type=int, default=16)
    ap.add_argument('--photo-seeds', type=int, default=3)
    ap.add_argument('--no-photos', action='store_true')
    ap.add_argument('--no-spiral', action='store_true', help='photos only (Ray is started for them)')
    ap.add_argument('--no-failures', action='store_true')
    args = ap.parse_args()
    import ray
    from lr_tutor.sweep import start_ray
    storage = tempfile.mkdtemp(prefix='lr_tutor_bench_sweep_')
    cpus = os.cpu_count()
    configs = spiral_configs(args.configs)
    print(f'{cpus} cores, load average {os.getloadavg()[0]:.1f}')
    if not args.no_spiral:
        print(f'spiral: {len(configs)} configurations')
        loop, batched = spiral_loop(configs)
    t0 = time.perf_counter(); start_ray(num_cpus=cpus, quiet=True); start = time.perf_counter() - t0
    slots = int(ray.cluster_resources()['CPU'])
    print(f'  Ray start (ray.init): {start:7.1f} s')
    if not args.no_spiral: spiral_sweep(args, configs, storage, slots, start, loop, batched)
    if not args.no_photos: photos(args, storage, slots, cpus)
    if not args.no_failures: failures(storage, slots)
    ray.shutdown()
    import shutil; shutil.rmtree(storage, ignore_errors=True)

if __name__ == '__main__': main()
