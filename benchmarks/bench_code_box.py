"""The explorer's code box in each framework (issue 27): does writing a framework's code slow a slider change?

Three measurements, old and new in one run, so that the machine's load falls on both alike:
- `to_code` alone, per framework: every family at its defaults (and a warm-up), at 1,000 batches an epoch,
  mean and worst ms (the second call: the framework's lr_tutor module already imported);
- the kernel's time per explorer update (bench_explorer_kernel.py's case: one-cycle, 10,000 steps, 40 updates
  of lr_max, image backend), in a fresh process each, alternating: the `--baseline` checkout (old main), this
  checkout with the code box in lr_tutor's code (the default), and with it in each framework's; CPU ms per
  update is the steadier figure on a shared machine, and each is given as a ratio to the baseline's in its round;
- with `--browser`, bench_explorer_browser.py's key press -> pixels in JupyterLab for 'explore', 'explore
  pytorch code' and the baseline's explorer, in one JupyterLab, in alternating rounds.

    python benchmarks/bench_code_box.py --baseline ../main [--rounds 5] [--browser] [--no-save]

Stores the results in benchmarks/code_box_latency.json.
"""
import argparse, datetime, json, os, platform, statistics, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / 'benchmarks' / 'code_box_latency.json'
FRAMEWORKS = ('lr_tutor', 'pytorch', 'fastai', 'keras', 'optax', 'transformers', 'timm')
ONE_UPDATE = '''import json, sys
sys.path.insert(0, {bench!r})
import bench_explorer_kernel as B
print(json.dumps(B.explorer_times(backend='image', **{options!r})))'''

def to_code_times(spe:int=1000) -> dict:
    "ms per `to_code` call, per framework: every family at its defaults and a warm-up; mean and worst (the second call)."
    sys.path.insert(0, str(ROOT))
    from lr_tutor.schedules import FAMILIES, warmup, cosine
    from lr_tutor.native import to_code
    cases = [make() for make in FAMILIES.values()] + [warmup(cosine(), 1, .1)]
    out = {}
    for fw in FRAMEWORKS:
        times = {}
        for s in cases:
            to_code(s, fw, spe)
            t0 = time.perf_counter(); to_code(s, fw, spe); times[s.family] = (time.perf_counter() - t0) * 1e3
        worst = max(times, key=times.get)
        out[fw] = dict(mean=round(statistics.mean(times.values()), 2), worst=round(times[worst], 2), worst_family=worst)
    return out

def one_update(checkout:Path, **options) -> dict:
    "bench_explorer_kernel's explorer update, in a fresh process importing lr_tutor from `checkout`."
    code = ONE_UPDATE.format(bench=str(ROOT / 'benchmarks'), options=options)
    env = {**os.environ, 'PYTHONPATH': str(checkout), 'OMP_NUM_THREADS': '1'}
    out = subprocess.run([sys.executable, '-W', 'ignore', '-c', code], capture_output=True, text=True, env=env, timeout=600)
    if out.returncode: raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])

def kernel_rounds(baseline:Path, rounds:int) -> dict:
    "Per variant: the median over rounds of its median ms and CPU ms per update, and of its CPU ratio to the baseline's."
    runs = {name: [] for name in ['baseline'] + [f'code box: {fw}' for fw in FRAMEWORKS]}
    for r in range(rounds):
        order = list(runs) if r % 2 == 0 else list(runs)[::-1]
        got = {name: one_update(baseline) if name == 'baseline' else one_update(ROOT, framework=name.split(': ')[1])
               for name in order}
        for name in runs: runs[name].append((got[name]['median'], got[name]['cpu_mean'], got[name]['cpu_mean'] / got['baseline']['cpu_mean']))
    return {name: dict(median=round(statistics.median(m for m, _, _ in v), 2), cpu_mean=round(statistics.median(c for _, c, _ in v), 2),
                       cpu_ratio_to_baseline=round(statistics.median(q for _, _, q in v), 2)) for name, v in runs.items()}

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--baseline', required=True, help='the checkout to compare with (old main)')
    ap.add_argument('--rounds', type=int, default=5)
    ap.add_argument('--browser', action='store_true', help='also the browser benchmark (a few minutes)')
    ap.add_argument('--presses', type=int, default=20)
    ap.add_argument('--no-save', action='store_true')
    args = ap.parse_args(argv)
    baseline = Path(args.baseline).resolve()
    load_before = os.getloadavg()
    code = to_code_times()
    print('to_code per call, every family at its defaults, 1,000 batches an epoch:')
    for fw, r in code.items(): print(f"  {fw:<13} mean {r['mean']:6.2f} ms  worst {r['worst']:6.2f} ms ({r['worst_family']})")
    kernel = kernel_rounds(baseline, args.rounds)
    print(f'Kernel per explorer update, median of {args.rounds} alternating rounds (CPU ratio: to the baseline in its round):')
    for name, r in kernel.items():
        print(f"  {name:<24} median {r['median']:6.2f} ms  cpu {r['cpu_mean']:6.2f} ms  cpu ratio {r['cpu_ratio_to_baseline']:.2f}")
    browser = None
    if args.browser:
        sys.path.insert(0, str(ROOT / 'benchmarks'))
        import bench_explorer_browser
        browser = bench_explorer_browser.main(['--variants', 'explore,explore pytorch code', '--baseline', str(baseline),
                                               '--presses', str(args.presses), '--no-save'])
    load_after = os.getloadavg()
    machine = f'{os.cpu_count()}-core {platform.machine()}, load average {load_before[0]:.1f} -> {load_after[0]:.1f} (1 min) during the run'
    print(f'machine: {machine}')
    if not args.no_save:
        RESULTS.write_text(json.dumps(dict(date=datetime.date.today().isoformat(), machine=machine, baseline=baseline.name,
                                           to_code_ms=code, kernel=kernel, browser=browser), indent=1) + '\n')
        print(f'saved to {RESULTS}')

if __name__ == '__main__':
    main()
