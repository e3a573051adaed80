"""Vanilla fastai against lr_tutor's fast path, side by side in one run, on rock-paper-scissors:
resnet18 from scratch (random init), fit_one_cycle at the lr_find `valley` rate; prints seconds to build the
DataLoaders, lr_find seconds, seconds per epoch, fit seconds, and test accuracy after each epoch, for
  vanilla     rps_dls(fast=False): ImageDataLoaders-style DataBlock, Resize + aug_transforms, worker processes
  fast        rps_dls(fast=True) + accelerate(learn): data decoded once and kept on the device
  fast+fused  the same + fused_adamw (PyTorch's fused AdamW behind fastai's OptimWrapper)
  plain       a plain PyTorch loop over the same device-resident batches (no fastai Learner): the floor
Uses CUDA when available. Asserts nothing.

Full size (the setting of the issue's figures; run on a GPU):
    python benchmarks/bench_training_speed.py
Reduced size for a CPU (fewer images, 32 px, 2 epochs):
    python benchmarks/bench_training_speed.py --quick
Data: --path, else $LR_TUTOR_DATA/rps, else the download cache, else (with --quick or --n-per-class) the sample
bundled with lr_tutor, else the download; the run prints which."""
import argparse, json, platform, time
import numpy as np
import torch
import torch.nn.functional as F
import fastai
from fastai.torch_core import default_device, set_seed
from lr_tutor.schedules import Param, fmt_rate
from lr_tutor.data import rps_dls
from lr_tutor.training import accelerate, fused_adamw, EpochHistory


PIPELINES = ('vanilla', 'fast', 'fast+fused')

# What the issue measured on an H100 (rps, 128 px, resnet18 from scratch, bs 64) and what the fast path aims for.
REFERENCE_H100 = {
    'vanilla fastai s/epoch': 1.77, 'vanilla fastai lr_find s': 7.3, 'vanilla fastai fit_one_cycle(8) s': 14.2,
    'vanilla fastai epochs to 99.5%': 4, 'plain PyTorch loop s/epoch (bs 64)': 0.32,
    'plain PyTorch loop s/epoch (bs 256)': 0.09, 'goal s/epoch (bs 64)': 0.35, 'goal lr_find s': 1.5,
    'goal: 99% test accuracy within s': 2.0}

def time_pipeline(kind='fast', path=None, size=128, bs=64, n_epochs=8, arch=None, n_per_class=None, valid_per_class=None,
                  device=None, num_workers=8, seed=42, lr_find_its=100, target=0.99, show_progress=False):
    """Train `arch` from scratch through pipeline `kind`; return timings and accuracies. `arch`: None (fastai's
    `vision_learner` with a random-init resnet18), a torchvision model function, or a function n_classes -> nn.Module."""
    from fastai.vision.learner import vision_learner
    from fastai.learner import Learner
    from fastai.metrics import accuracy
    from fastai.callback.schedule import lr_find, fit_one_cycle  # patches Learner
    from fastai.optimizer import Adam
    from fastai.torch_core import set_seed
    from torchvision.models import resnet18
    kind = Param('choice', choices=PIPELINES).check('kind', kind)
    device = torch.device(device) if device is not None else default_device()
    set_seed(seed)
    sync(device); t = time.perf_counter()
    dls = rps_dls(path, size=size, bs=bs, fast=kind != 'vanilla', n_per_class=n_per_class,
                  valid_per_class=valid_per_class, seed=seed, device=device, num_workers=num_workers)
    sync(device); t_dls = time.perf_counter() - t
    def learner():
        set_seed(seed)
        opt_func = fused_adamw if kind == 'fast+fused' else Adam
        if arch is None or getattr(arch, '__module__', '').startswith('torchvision'):
            learn = vision_learner(dls, arch or resnet18, pretrained=False, metrics=accuracy, opt_func=opt_func)
        else: learn = Learner(dls, arch(dls.c), metrics=accuracy, opt_func=opt_func)
        if kind != 'vanilla': accelerate(learn)
        if not show_progress: learn.remove_cb(learn.progress)
        return learn
    learn = learner()
    learn.lr_find(num_it=5, show_plot=False, suggest_funcs=None)   # warm-up: CUDA, cuDNN autotuning (untimed)
    sync(device); t = time.perf_counter()
    lr = learn.lr_find(num_it=lr_find_its, show_plot=False).valley
    sync(device); t_lr = time.perf_counter() - t
    learn, history = learner(), EpochHistory()
    with learn.no_logging(): learn.fit_one_cycle(n_epochs, lr, cbs=history)
    accs, elapsed = [r['accuracy'] for r in history.rows], [r['time'] for r in history.rows]
    times = list(np.diff([0.] + elapsed))   # seconds per epoch
    hit = next((e for e, a in zip(elapsed, accs) if a >= target), None)
    return dict(pipeline=kind, data=str(dls.source), device=str(device), size=size, bs=bs, n_train=len(dls.train_ds), n_valid=len(dls.valid_ds),
                dls_s=t_dls, lr_find_s=t_lr, lr=lr, s_per_epoch=float(np.median(times)), first_epoch_s=times[0],
                fit_s=elapsed[-1], accuracy=accs, elapsed=elapsed,
                final_accuracy=accs[-1], s_to_target=hit)

def compare_pipelines(kinds=PIPELINES, **kwargs):
    "`time_pipeline` for each of `kinds` in one run (same data, model, seed); a pandas DataFrame, one row per pipeline."
    import pandas as pd
    return pd.DataFrame([time_pipeline(k, **kwargs) for k in kinds]).set_index('pipeline')

def format_comparison(df, target=0.99):
    "Text table of `compare_pipelines` results plus per-epoch accuracy with elapsed seconds."
    lines = [f"{'pipeline':<11} {'dls s':>7} {'lr_find s':>9} {'s/epoch':>8} {'1st ep s':>8} {'fit s':>7} "
             f"{'final acc':>9} {f's to {target:.0%}':>8}"]
    for k, r in df.iterrows():
        hit = '-' if _missing(r.s_to_target) else f"{r.s_to_target:.2f}"
        lines.append(f"{k:<11} {r.dls_s:>7.2f} {r.lr_find_s:>9.2f} {r.s_per_epoch:>8.3f} {r.first_epoch_s:>8.3f} "
                     f"{r.fit_s:>7.2f} {r.final_accuracy:>9.4f} {hit:>8}")
    for k, r in df.iterrows():
        lines.append(f"{k}: accuracy per epoch (elapsed s): " +
                     ', '.join(f"{a:.4f} ({e:.2f})" for a, e in zip(r.accuracy, r.elapsed)))
    return '\n'.join(lines)

def _missing(v): return v is None or (isinstance(v, float) and np.isnan(v))



def sync(device):
    if torch.device(device).type == 'cuda': torch.cuda.synchronize(device)


def plain_loop(path, size, bs, n_epochs, lr, device, n_per_class, valid_per_class, seed):
    "fit-one-cycle in plain PyTorch over the fast path's batches: fused AdamW, OneCycleLR, bf16 + channels_last on CUDA."
    from fastai.vision.learner import create_vision_model
    from torchvision.models import resnet18
    dls = rps_dls(path, size=size, bs=bs, fast=True, n_per_class=n_per_class, valid_per_class=valid_per_class,
                  seed=seed, device=device)
    set_seed(seed)
    cuda = torch.device(device).type == 'cuda'
    model = create_vision_model(resnet18, dls.c, pretrained=False).to(device)
    if cuda: model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.99), eps=1e-5, weight_decay=0.01, fused=True)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=n_epochs * len(dls.train), pct_start=0.25,
                                                div_factor=25., final_div_factor=1e5, base_momentum=0.85,
                                                max_momentum=0.95)
    amp = torch.autocast('cuda', dtype=torch.bfloat16) if cuda else torch.autocast('cpu', enabled=False)
    times, accs = [], []
    sync(device); t0 = t = time.perf_counter()
    for epoch in range(n_epochs):
        model.train()
        for xb, yb in dls.train:
            xb, yb = xb.as_subclass(torch.Tensor), yb.as_subclass(torch.Tensor)
            with amp: loss = F.cross_entropy(model(xb), yb)
            loss.backward(); opt.step(); opt.zero_grad(set_to_none=True); sched.step()
        model.eval(); correct = torch.zeros((), device=device)
        with torch.no_grad(), amp:
            for xb, yb in dls.valid:
                correct += (model(xb.as_subclass(torch.Tensor)).argmax(1) == yb.as_subclass(torch.Tensor)).sum()
        accs.append(correct.item() / len(dls.valid_ds))
        sync(device); now = time.perf_counter(); times.append(now - t); t = now
    return dict(s_per_epoch=float(np.median(times)), first_epoch_s=times[0], fit_s=sum(times), accuracy=accs,
                elapsed=list(np.cumsum(times)))


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--quick', action='store_true', help='CPU-sized run: 32 px, 16 train + 10 test images per class, '
                   '2 epochs, bs 16, lr_find over 20 batches, 2 workers')
    p.add_argument('--path', default=None, help='rps folder (default: $LR_TUTOR_DATA/rps or the download cache)')
    p.add_argument('--size', type=int, default=128)
    p.add_argument('--bs', type=int, default=64)
    p.add_argument('--epochs', type=int, default=8)
    p.add_argument('--n-per-class', type=int, default=None, help='training images per class (default: all)')
    p.add_argument('--valid-per-class', type=int, default=None, help='test images per class (default: all)')
    p.add_argument('--workers', type=int, default=8, help="vanilla fastai's worker processes")
    p.add_argument('--lr-find-its', type=int, default=100)
    p.add_argument('--kinds', default=','.join(PIPELINES), help=f'comma-separated subset of {",".join(PIPELINES)}')
    p.add_argument('--no-plain', action='store_true', help='skip the plain PyTorch loop')
    p.add_argument('--device', default=None, help='default: cuda if available, else cpu')
    p.add_argument('--seed', type=int, default=42)
    p.add_argument('--threads', type=int, default=None, help='torch CPU threads (default: torch\'s choice); 1 is '
                   'often faster on a small, busy machine')
    p.add_argument('--json', default=None, help='also write the results to this JSON file')
    a = p.parse_args()
    if a.quick:
        a.size, a.bs, a.epochs, a.n_per_class, a.valid_per_class, a.workers, a.lr_find_its = 32, 16, 2, 16, 10, 2, 20
    if a.threads: torch.set_num_threads(a.threads)
    device = torch.device(a.device) if a.device else default_device()
    name = torch.cuda.get_device_name(device) if device.type == 'cuda' else f'CPU ({platform.processor() or platform.machine()}, {torch.get_num_threads()} torch threads)'
    print(f"device: {name}; torch {torch.__version__}, fastai {fastai.__version__}")
    print(f"resnet18 from scratch, {a.size} px, bs {a.bs}, fit_one_cycle({a.epochs}) at the lr_find valley, "
          f"lr_find over {a.lr_find_its} batches, {a.n_per_class or 'all'} train / {a.valid_per_class or 'all'} test "
          f"images per class, vanilla with {a.workers} workers")
    kinds = [k.strip() for k in a.kinds.split(',') if k.strip()]
    df = compare_pipelines(kinds, path=a.path, size=a.size, bs=a.bs, n_epochs=a.epochs, n_per_class=a.n_per_class,
                           valid_per_class=a.valid_per_class, device=device, num_workers=a.workers, seed=a.seed,
                           lr_find_its=a.lr_find_its)
    print(df.data.iloc[0])
    print(format_comparison(df))
    out = dict(device=name, args=vars(a), pipelines=json.loads(df.reset_index().to_json(orient='records')))
    if not a.no_plain:
        lr = float(df.lr.iloc[-1])
        r = plain_loop(a.path, a.size, a.bs, a.epochs, lr, device, a.n_per_class, a.valid_per_class, a.seed)
        print(f"plain PyTorch loop (same batches, lr {fmt_rate(lr)}): {r['s_per_epoch']:.3f} s/epoch, first epoch "
              f"{r['first_epoch_s']:.3f} s, fit {r['fit_s']:.2f} s; accuracy per epoch (elapsed s): " +
              ', '.join(f"{acc:.4f} ({e:.2f})" for acc, e in zip(r['accuracy'], r['elapsed'])))
        out['plain'] = r
    print("reference (the issue, measured on an H100 at full size) and goals: " +
          '; '.join(f"{k} {v}" for k, v in REFERENCE_H100.items()))
    if a.json:
        with open(a.json, 'w') as f: json.dump(out, f, indent=1, default=str)


if __name__ == '__main__':
    main()
