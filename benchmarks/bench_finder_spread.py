"""How much do the LR finder's suggestions move from run to run, and how stable is lr_tutor's stable choice?

Runs `lr_range_test` N times (seeds 0..N-1: batch order and augmentation differ, the initial weights do not
unless --reinit) and prints each suggestion's per-run values, their spread (max/min ratio and geometric
standard deviation over runs), and the spread of the stable choices (geometric median of a group of runs,
or the rule on the group's mean curve) over disjoint groups of --group runs.

    python benchmarks/bench_finder_spread.py                 # small CPU version: rps photos at 16 px, simple_cnn
    python benchmarks/bench_finder_spread.py --gpu           # full version: 128 px, resnet18 from scratch, on CUDA
    python benchmarks/bench_finder_spread.py --synthetic     # no photos needed

The photos are found through --path, $LR_TUTOR_DATA or an earlier download, else the small CPU version uses the
sample bundled with lr_tutor and --gpu downloads the set (see lr_tutor.data.locate_dataset); the run prints which.
"""
import argparse, os, time

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--runs', type=int, default=24, help='range tests to run (default 24)')
    ap.add_argument('--group', type=int, default=3, help='runs per group for the stable choice (default 3)')
    ap.add_argument('--num-it', type=int, default=100, help='iterations per range test (default 100, as lr_find)')
    ap.add_argument('--gpu', action='store_true', help='full size on CUDA: 128 px, all photos, resnet18 from scratch')
    ap.add_argument('--reinit', action='store_true', help='also draw new initial weights in every run')
    ap.add_argument('--synthetic', action='store_true', help='synthetic images instead of the rps photos')
    ap.add_argument('--path', default=None, help='folder of the rps data set (default: $LR_TUTOR_DATA/rps)')
    ap.add_argument('--threads', type=int, default=1, help='torch CPU threads (default 1)')
    a = ap.parse_args()

    import torch
    torch.set_num_threads(a.threads)
    import pandas as pd
    from lr_tutor.data import rps_dls, synthetic_dls
    from lr_tutor.training import make_learner
    from lr_tutor.finder import lr_range_test

    if a.gpu and not torch.cuda.is_available(): raise SystemExit('--gpu needs a CUDA device')
    device = 'cuda' if a.gpu else 'cpu'
    size, bs, arch, npc = (128, 64, 'resnet18', None) if a.gpu else (16, 32, 'simple_cnn', 100)
    t = time.time()
    if a.synthetic: dls = synthetic_dls(n_train=600, n_valid=300, size=size, bs=bs, fast=True, device=device)
    else: dls = rps_dls(path=a.path, size=size, bs=bs, n_per_class=npc, fast=True, device=device)
    if not a.synthetic: print(dls.source)
    learn = make_learner(dls, arch, pretrained=False, seed=0)
    print(f"data: {'synthetic' if a.synthetic else 'rps photos'}, {dls.train.n} training images at {size} px, bs {bs}; "
          f"model: {arch} from scratch (pretrained=False); device: {device}; torch threads: {torch.get_num_threads()}; "
          f"loaded in {time.time() - t:.1f} s")
    t = time.time()
    rt = lr_range_test(learn, runs=a.runs, num_it=a.num_it, reinit=a.reinit, show_plot=False, progress=False)
    secs = time.time() - t
    print(f"{a.runs} range tests of {a.num_it} iterations{' (new initial weights each run)' if a.reinit else ''}: "
          f"{secs:.1f} s, {secs / a.runs:.2f} s per run")
    print('stops:', pd.Series(rt.stops).str.split(':').str[0].value_counts().to_dict())
    from lr_tutor.schedules import fmt_rate as fmt   # rates (and their ratios) as lr_tutor writes them
    with pd.option_context('display.width', 200, 'display.max_rows', 500):
        print('\nper-run suggestions:'); print(rt.suggestions.to_string(float_format=fmt))
        print('\nspread over single runs (max/min = extremes apart, gstd = geometric std):')
        print(rt.spread().to_string(float_format=fmt))
        for how in ('median', 'mean_curve'):
            print(f"\nstable choice '{how}' over {a.runs // a.group} disjoint groups of {a.group} runs:")
            print(rt.group_spread(a.group, how).to_string(float_format=fmt))
    for note in rt.notes: print('note:', note)

if __name__ == '__main__': main()
