"""Key press on a slider -> retrained curves on screen, in JupyterLab, in headless Chromium: the lab's latency.

Each press of ArrowLeft on the lr_max slider (a twentieth of a decade down: a new schedule every time) is
timed in the page, from the keydown event to the first animation frame whose training-view pixels differ
(all its panels are one picture), to the last (settle: no change for 400 ms after it), and to the first change of
its readouts. Variants, each in its own notebook,
visited in `--rounds` rounds in alternating order so that changes in the machine's load fall on all alike:

- `naive`: the anchor. `ipywidgets.interactive` on an lr_max slider that retrains the spiral with a plain
  PyTorch loop (`torch_train`: nn.Sequential, autograd, torch.optim) and redraws its loss with inline matplotlib;
- `lab spiral`, `lab landscape`: the lab as it comes (runs one slider step away trained in one batched
  program and drawn ahead while the kernel is idle; blitting);
- `... prefetch=False`: nothing drawn ahead, every press waits for the kernel to retrain and draw;
- `lab spiral blit=False`: every frame drawn whole.

    python benchmarks/bench_lab_browser.py                       # all variants
    python benchmarks/bench_lab_browser.py --presses 10 --variants "naive,lab spiral"

Prints median and p90 per variant (ms), and how many presses were answered by a frame drawn ahead.
"""
import argparse, inspect, json, os, platform, statistics, sys, tempfile, time
from pathlib import Path
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'tests'))
from conftest import (FIGURE_SIGNATURE_JS, JupyterLab, launch_chromium, open_and_run, slider_handle,  # noqa: E402
                      wait_for_figure, KERNELSPEC)
from lr_tutor.lab import Lab  # noqa: E402

NAIVE = '''%matplotlib inline
import sys; sys.path.insert(0, {tests!r})
import ipywidgets as W, matplotlib.pyplot as plt, numpy as np
from torch_reference import torch_train
from lr_tutor.schedules import one_cycle
slider = W.FloatLogSlider(value=.5, min=-6, max=0, step=.05, description='lr_max')
def show(lr_max):
    loss = torch_train('spiral', one_cycle(lr_max=float(f'{lr_max:.3g}'), n_epochs=20))
    fig, ax = plt.subplots(figsize={figsize!r}); ax.semilogy(np.arange(len(loss)) / 12, loss); plt.show()
    print(f'final loss {loss[-12:].mean():.3g}')
out = W.interactive(show, lr_max=slider)
out.add_class('lr-tutor-lab'); out.children[-1].add_class('lr-tutor-lab-figure'); out.children[-1].add_class('lr-tutor-lab-readouts')
out'''
LAB = '''from lr_tutor.lab import lab
L = lab('one_cycle', task='{task}'{options})
L'''
# the naive figure: the lab's training figure's size (its default figsize), so that both send as many pixels
LAB_FIGSIZE = inspect.signature(Lab).parameters['figsize'].default
VARIANTS = {'naive': (NAIVE.replace('{tests!r}', repr(str(ROOT / 'tests'))).replace('{figsize!r}', repr(LAB_FIGSIZE)), 'image')}
for task in ('spiral', 'landscape'):
    for opt in ('', ', prefetch=False') + ((', blit=False',) if task == 'spiral' else ()):
        VARIANTS[f'lab {task}{opt.replace(", ", " ")}'] = (LAB.format(task=task, options=opt), 'canvas')

# In the page: `arm(kind)`; the promise window.__lat resolves to {first: ms from the next keydown to the first
# animation frame with changed pixels, text: ms to the first change of the readouts}
ARM = '(kind) => {' + FIGURE_SIGNATURE_JS + '''
  const fig = document.querySelector('.lr-tutor-lab .lr-tutor-lab-figure');
  const sig = figureSignature(fig, fig, kind, 3);
  const before = sig(); let tKey = null, text = null;
  const ro = document.querySelector('.lr-tutor-lab .lr-tutor-lab-readouts');
  const obs = new MutationObserver(() => { if (tKey !== null && text === null) text = performance.now() - tKey; });
  obs.observe(ro, {subtree: true, childList: true, characterData: true});
  const onKey = e => { tKey = e.timeStamp; };
  window.addEventListener('keydown', onKey, true);
  window.__lat = new Promise(resolve => {
    let first = null, last = null, prev = before;
    const tick = () => {
      const now = performance.now(), s = sig();
      if (s !== prev && tKey !== null) { prev = s; last = now - tKey; if (first === null) first = last; }  // the pixels, timed on their own
      // settled: the readouts changed and the pixels have not for `window.__quiet` ms (the last change: `last`)
      if ((first !== null && (text !== null || kind === 'image') && now - tKey - last > window.__quiet)
          || (tKey !== null && now - tKey > 8000)) {
        window.removeEventListener('keydown', onKey, true); obs.disconnect();
        resolve({first, text, last}); return; }
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
}'''
HITS = "() => +(document.querySelector('.lr-tutor-lab .lr-tutor-lab-figure canvas')?.dataset.hits || 0)"
QUIET_MS = 400        # a press has settled when the training view's pixels have not changed for this long

def measure(page, kind, presses, pause):
    wait_for_figure(page, '.lr-tutor-lab .lr-tutor-lab-figure')
    page.locator('.lr-tutor-lab .lr-tutor-lab-figure').scroll_into_view_if_needed()
    time.sleep(2)                                   # the first frames, and those drawn ahead, land
    slider_handle(page, 'lr_max', root='.lr-tutor-lab').focus()
    lats, texts, hits, settles = [], [], [], []
    page.evaluate(f'window.__quiet = {QUIET_MS}')
    for _ in range(presses):
        page.evaluate(ARM, kind)
        before = page.evaluate(HITS)
        t0 = time.perf_counter()
        page.keyboard.press('ArrowLeft')
        r = page.evaluate('window.__lat')
        lats.append(r['first']); texts.append(r['text']); settles.append(r['last'])
        hits.append(page.evaluate(HITS) > before)
        time.sleep(max(0., pause - (time.perf_counter() - t0)))
    return lats, texts, hits, settles

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--presses', type=int, default=20, help='per variant, over all rounds')
    ap.add_argument('--pause', type=float, default=.6, help='seconds between presses (a person reading the result)')
    ap.add_argument('--rounds', type=int, default=2)
    ap.add_argument('--variants', default=','.join(VARIANTS))
    ap.add_argument('--json', help='also write the results here')
    args = ap.parse_args(argv)
    names = [v.strip() for v in args.variants.split(',')]
    folder = Path(tempfile.mkdtemp(prefix='lr-tutor-bench-lab-'))
    for i, name in enumerate(names):
        nb = {'cells': [{'cell_type': 'code', 'execution_count': None, 'metadata': {}, 'outputs': [], 'source': VARIANTS[name][0]}],
              'metadata': {'kernelspec': KERNELSPEC}, 'nbformat': 4, 'nbformat_minor': 5}
        (folder / f'bench_{i}.ipynb').write_text(json.dumps(nb))
    load = [os.getloadavg()[0]]
    from playwright.sync_api import sync_playwright
    res = {n: ([], [], [], []) for n in names}
    with JupyterLab(folder) as server, sync_playwright() as p:
        browser = launch_chromium(p)
        for round_ in range(args.rounds):
            for name in (names if round_ % 2 == 0 else names[::-1]):
                page = browser.new_page(viewport={'width': 1400, 'height': 1200})
                open_and_run(page, server, f'bench_{names.index(name)}.ipynb')
                for acc, got in zip(res[name], measure(page, VARIANTS[name][1], -(-args.presses // args.rounds), args.pause)):
                    acc += got
                page.close()
        browser.close()
    load.append(os.getloadavg()[0])
    out = {}
    print(f'\nkey press -> retrained training view on screen (ms), ArrowLeft on lr_max, {args.pause:g} s between presses')
    for name in names:
        lats, texts, hits, settles = res[name]
        ok = [x for x in lats if x is not None]
        tx = [x for x in texts if x is not None]
        st = [x for x in settles if x is not None]
        r = out[name] = dict(median=round(statistics.median(ok), 1) if ok else None,
                             p90=round(float(np.percentile(ok, 90)), 1) if ok else None, n=len(ok), missed=len(lats) - len(ok),
                             drawn_ahead=sum(hits), readouts_median=round(statistics.median(tx), 1) if tx else None,
                             readouts_p90=round(float(np.percentile(tx, 90)), 1) if tx else None,
                             settle_median=round(statistics.median(st), 1) if st else None,
                             settle_p90=round(float(np.percentile(st, 90)), 1) if st else None)
        print(f"  {name:<34} median {r['median']:7.1f}  p90 {r['p90']:7.1f}   ({r['n']} presses, {r['missed']} missed, "
              f"{r['drawn_ahead']} from frames drawn ahead)  settle (last change) median {r['settle_median']} / p90 "
              f"{r['settle_p90']}" + (f"  readouts median {r['readouts_median']:.0f} / p90 "
              f"{r['readouts_p90']:.0f}" if tx and VARIANTS[name][1] == 'canvas' else ''))
    if 'naive' in out and out['naive']['median']:
        for name in names:
            if name != 'naive' and out[name]['median']:
                print(f"  {name:<34} p90 {out['naive']['p90'] / out[name]['p90']:.1f}x below the naive anchor's")
    for name in names:
        print(f'  {name}: each press (ms, * = drawn ahead): ' + ', '.join(
            '-' if x is None else f'{x:.0f}' + ('*' if h else '') for x, h in zip(res[name][0], res[name][2])))
    machine = f'{os.cpu_count()} cores {platform.machine()}, load average {load[0]:.1f} -> {load[1]:.1f} (1 min)'
    print(f'machine: {machine}')
    if args.json: Path(args.json).write_text(json.dumps(dict(machine=machine, pause=args.pause, variants=out), indent=1) + '\n')
    return out

if __name__ == '__main__':
    main()
