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
Data: --path, else $LR_TUTOR_DATA/rps, else the download cache."""
import argparse, json, platform, time
import numpy as np
import torch
import torch.nn.functional as F
import fastai
from fastai.torch_core import default_device, set_seed
from lr_tutor.data import rps_dls, compare_pipelines, format_comparison, PIPELINES, REFERENCE_H100


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
    print(format_comparison(df))
    out = dict(device=name, args=vars(a), pipelines=json.loads(df.reset_index().to_json(orient='records')))
    if not a.no_plain:
        lr = float(df.lr.iloc[-1])
        r = plain_loop(a.path, a.size, a.bs, a.epochs, lr, device, a.n_per_class, a.valid_per_class, a.seed)
        print(f"plain PyTorch loop (same batches, lr {lr:.2e}): {r['s_per_epoch']:.3f} s/epoch, first epoch "
              f"{r['first_epoch_s']:.3f} s, fit {r['fit_s']:.2f} s; accuracy per epoch (elapsed s): " +
              ', '.join(f"{acc:.4f} ({e:.2f})" for acc, e in zip(r['accuracy'], r['elapsed'])))
        out['plain'] = r
    print("reference (the issue, measured on an H100 at full size) and goals: " +
          '; '.join(f"{k} {v}" for k, v in REFERENCE_H100.items()))
    if a.json:
        with open(a.json, 'w') as f: json.dump(out, f, indent=1, default=str)


if __name__ == '__main__':
    main()
