"""Key press on a slider -> the figure's pixels change, in JupyterLab, in headless Chromium.

For a one-cycle curve of 10,000 steps (10 epochs x 1,000), both panels (lr and momentum) showing, it
measures the naive ways (ipywidgets.interact with inline matplotlib; an ipympl figure updated with
set_ydata + draw_idle) and lr_tutor's explorer: as it comes (its frame view, with frames drawn ahead),
with each speed lever switched off in turn (drawing ahead, blitting, decimation; `coalesce=False` is a
control, since key presses are answered at once either way), with ipympl's canvas, and with the code box in
PyTorch's code (the framework choice). Each press of
ArrowRight on the lr_max slider is timed in the page, from the keydown event to the first animation frame
whose figure pixels differ; presses answered from a frame drawn ahead are counted, the others split into
key -> kernel -> frame sent -> pixels from kernel-side timestamps. A burst of 15 quick presses measures how
fast the figure catches up: the time from the last press until it stops changing. Each variant is visited
in `--rounds` rounds, in alternating order, so that changes in the machine's load fall on all alike.

    python benchmarks/bench_explorer_browser.py                  # all variants, results saved
    python benchmarks/bench_explorer_browser.py --presses 10 --variants "explore,explore ipympl" --no-save
    python benchmarks/bench_explorer_browser.py --variants explore --baseline ../main --no-save   # old and new, one run

Prints median and p90 per variant and stores them in benchmarks/explorer_latency.json ('browser').
"""
import argparse, datetime, json, os, platform, statistics, sys, tempfile, time
from pathlib import Path
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'tests'))
from conftest import (FIGURE_SIGNATURE_JS, JupyterLab, launch_chromium, open_and_run, slider_handle,  # noqa: E402
                      wait_for_figure, KERNELSPEC)

RESULTS = ROOT / 'benchmarks' / 'explorer_latency.json'

NAIVE_SETUP = '''import numpy as np, matplotlib.pyplot as plt, ipywidgets as W
from lr_tutor.schedules import one_cycle
t = np.arange(10_000) / 1000                     # one-cycle over 10 epochs of 1,000 steps
# figures of the explorer's size (its default figsize, 5.8 x 3.8 inches at 100 dpi)
slider = W.FloatLogSlider(value=1e-3, min=-6, max=0, step=.05, description='lr_max')
'''
VARIANTS = {
    'interact_inline (naive)': ('%matplotlib inline\n' + NAIVE_SETUP + '''
def show(lr_max):
    s = one_cycle(lr_max, 10)
    fig, (a, b) = plt.subplots(2, 1, figsize=(5.8, 3.8), sharex=True, height_ratios=(2.2, 1))
    a.plot(t, s(t)); b.plot(t, s.momentum(t)); plt.show()
out = W.interactive(show, lr_max=slider)
out.add_class('lr-tutor-explorer'); out.children[-1].add_class('lr-tutor-figure')
out''', 'image'),
    'ipympl_draw_idle (naive)': ('%matplotlib widget\n' + NAIVE_SETUP + '''
with plt.ioff(): fig, (a, b) = plt.subplots(2, 1, figsize=(5.8, 3.8), sharex=True, height_ratios=(2.2, 1))
s = one_cycle(1e-3, 10)
la, = a.plot(t, s(t)); lb, = b.plot(t, s.momentum(t))
def redraw(change):
    s = one_cycle(change.new, 10)
    la.set_ydata(s(t)); lb.set_ydata(s.momentum(t)); a.relim(); a.autoscale_view(); fig.canvas.draw_idle()
slider.observe(redraw, 'value')
fig.canvas.add_class('lr-tutor-figure')
box = W.VBox([slider, fig.canvas]); box.add_class('lr-tutor-explorer')
box''', 'canvas'),
}
EXPLORE = '''%matplotlib widget
from lr_tutor.explore import explore
from lr_tutor.schedules import one_cycle
class Trace:                                     # kernel-side timestamps, read back by the benchmark
    def append(self, event):
        with open('trace-{name}.txt', 'a') as f: f.write('%r %s\\n' % event)
ex = explore(one_cycle(lr_max=1e-3, n_epochs=10), steps_per_epoch=1000, trace=Trace(){options})
ex'''
TRACE_TAG = lambda name: name.replace(' ', '_').replace('=', '').replace("'", '')   # a file name per variant
# the explorer as it comes (its frame view), each speed lever switched off in turn, and with ipympl's canvas
for name, options in [('explore', ''), ('explore prefetch=False', ', prefetch=False'),
                      ('explore blit=False', ', blit=False'), ('explore decimate=False', ', decimate=False'),
                      ('explore coalesce=False', ', coalesce=False'), ('explore ipympl', ", backend='ipympl'"),
                      ('explore pytorch code', ", framework='pytorch'")]:
    VARIANTS[name] = (EXPLORE.format(options=options, name=TRACE_TAG(name)), 'canvas')
BASELINE = 'explore (baseline)'     # --baseline: the same explorer, lr_tutor imported from another checkout

def baseline_variant(path) -> tuple:
    "The explorer as it comes, with lr_tutor imported from the checkout at `path` (old main, say): old and new in one run."
    source = EXPLORE.format(options='', name=TRACE_TAG(BASELINE))
    return (source.replace('%matplotlib widget\n', f'%matplotlib widget\nimport sys; sys.path.insert(0, {str(path)!r})\n', 1), 'canvas')

# In the page: `arm(kind)` watches the figure; the promise `window.__lat` resolves to the ms from the next
# keydown to the first animation frame showing changed pixels. Canvas pixels are hashed only after
# something was drawn on the canvas (hashing 270,000 pixels every frame would itself slow the page).
ARM = '(kind) => {' + FIGURE_SIGNATURE_JS + '''
  const fig = document.querySelector('.lr-tutor-explorer .lr-tutor-figure');
  const sig = figureSignature(fig, fig.parentElement, kind, 1);
  const before = sig(); let tKey = null; const changes = [];
  const onKey = e => { tKey = e.timeStamp; };
  // the explorer's readouts: ms from the key to their first change (window.__ro)
  window.__ro = null;
  const ro = document.querySelector('.lr-tutor-explorer .lr-tutor-readouts');
  if (ro) { const obs = new MutationObserver(() => { if (tKey !== null && window.__ro === null) {
    window.__ro = performance.now() - tKey; obs.disconnect(); } });
    obs.observe(ro, {subtree: true, childList: true, characterData: true}); }
  window.addEventListener('keydown', onKey, true);
  window.__lat = new Promise(resolve => {
    let prev = before, first = null;
    const tick = () => {
      const now = performance.now(), s = sig();
      if (s !== prev) { changes.push(now); prev = s; if (first === null && tKey !== null) first = now - tKey; }
      if (window.__stop || (first !== null && !window.__burst) || (tKey !== null && now - tKey > 8000)) {
        window.removeEventListener('keydown', onKey, true);
        resolve({first, lastKey: tKey, changes}); return; }
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
}'''

def read_trace(folder, tag):
    "Kernel timestamps (ms) of slider changes and frames pushed."
    f = folder / f'trace-{tag}.txt'
    if not f.exists(): return []
    events = []
    for line in f.read_text().splitlines():
        stamp, event = line.strip('()').rsplit(' ', 1)
        events.append((float(stamp.strip(' ,')) * 1000, event.strip("'")))
    f.unlink()
    return events

# frames drawn ahead that the explorer's frame view used so far (0 for other figures)
HITS = "() => +(document.querySelector('.lr-tutor-explorer .lr-tutor-figure canvas')?.dataset.hits || 0)"

def measure(page, kind, presses, pause):
    """Latency (ms) of `presses` single key presses, their key times (epoch ms), whether a frame drawn ahead was
    used, and the ms until the readouts changed (None without readouts)."""
    wait_for_figure(page, '.lr-tutor-explorer .lr-tutor-figure')
    page.locator('.lr-tutor-explorer .lr-tutor-figure').scroll_into_view_if_needed()
    time.sleep(2)                                            # let the first frames land
    handle = slider_handle(page, 'lr_max')
    handle.focus()
    lats, keys, hits, texts = [], [], [], []
    used = lambda: page.evaluate(HITS)
    for _ in range(presses):
        page.evaluate('window.__burst = false; window.__stop = false')
        page.evaluate(ARM, kind)
        before = used()
        keys.append(page.evaluate('performance.timeOrigin + performance.now()'))
        page.keyboard.press('ArrowRight')
        r = page.evaluate('window.__lat')
        lats.append(r['first'])
        hits.append(used() > before)
        time.sleep(pause)
        texts.append(page.evaluate('window.__ro'))
    return lats, keys, hits, texts

def burst(page, kind, n=15, gap=.016):
    "Press ArrowLeft `n` times, `gap` s apart; ms from the last press until the figure stops changing."
    page.evaluate('window.__burst = true; window.__stop = false')
    page.evaluate(ARM, kind)
    for _ in range(n):
        page.keyboard.press('ArrowLeft')
        time.sleep(gap)
    time.sleep(2.5)
    page.evaluate('window.__stop = true')
    r = page.evaluate('window.__lat')
    return (r['changes'][-1] - r['lastKey']) if r['changes'] else None, len(r['changes'])

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--presses', type=int, default=30)
    ap.add_argument('--pause', type=float, default=.3, help='seconds between presses')
    ap.add_argument('--rounds', type=int, default=2, help='visits per variant, in alternating order')
    ap.add_argument('--variants', default=','.join(VARIANTS), help='comma-separated names (default: all)')
    ap.add_argument('--no-save', action='store_true')
    ap.add_argument('--label', default='latest', help="name the stored run (e.g. 'quiet', 'under load')")
    ap.add_argument('--scale', type=float, default=1., help="the screen's device pixels per CSS pixel (2: a laptop's)")
    ap.add_argument('--shots', default=str(ROOT / 'test-artifacts'), help='where to save a screenshot per variant')
    ap.add_argument('--baseline', help=f"another checkout (old main): adds '{BASELINE}', its explorer, to the variants")
    args = ap.parse_args(argv)
    names = [v.strip() for v in args.variants.split(',')]
    if args.baseline:
        VARIANTS[BASELINE] = baseline_variant(Path(args.baseline).resolve())
        if BASELINE not in names: names.append(BASELINE)
    folder = Path(tempfile.mkdtemp(prefix='lr-tutor-bench-'))
    files = {}
    for i, name in enumerate(names):
        files[name] = f'bench_{i}.ipynb'
        nb = {'cells': [{'cell_type': 'code', 'execution_count': None, 'metadata': {}, 'outputs': [],
                         'source': VARIANTS[name][0]}],
              'metadata': {'kernelspec': KERNELSPEC}, 'nbformat': 4, 'nbformat_minor': 5}
        (folder / files[name]).write_text(json.dumps(nb))
    Path(args.shots).mkdir(exist_ok=True)
    load_before = os.getloadavg()
    from playwright.sync_api import sync_playwright
    lats, parts, settles, hits, texts = ({n: [] for n in names} for _ in range(5))
    with JupyterLab(folder) as lab, sync_playwright() as p:
        browser = launch_chromium(p)
        for round_ in range(args.rounds):           # rounds alternate the order, so drifts in load cancel out
            for name in (names if round_ % 2 == 0 else names[::-1]):
                kind = VARIANTS[name][1]
                page = browser.new_page(viewport={'width': 1400, 'height': 1000}, device_scale_factor=args.scale)
                open_and_run(page, lab, files[name])
                got, keys, used, ro = measure(page, kind, -(-args.presses // args.rounds), args.pause)
                hits[name] += used
                texts[name] += [x for x in ro if x is not None]
                settles[name].append(burst(page, kind))
                page.screenshot(path=str(Path(args.shots) / f'bench_explorer_{names.index(name)}.png'))
                page.close()
                lats[name] += got
                trace = read_trace(folder, TRACE_TAG(name))
                for k, lat, hit in zip(keys, got, used):   # where the time goes: key -> kernel -> frame pushed -> pixels
                    if hit: continue                # drawn ahead: the pixels changed before the kernel heard
                    ch = [t for t, e in trace if e == 'change' and t >= k - 2]
                    pu = [t for t, e in trace if e == 'pushed' and ch and t >= ch[0]]
                    if ch and pu and lat is not None: parts[name].append((ch[0] - k, pu[0] - ch[0], k + lat - pu[0]))
        browser.close()
    results = {}
    for name in names:
        ok = [x for x in lats[name] if x is not None]
        done = [s for s, _ in settles[name] if s is not None]
        r = dict(median=round(statistics.median(ok), 1), p90=round(float(np.percentile(ok, 90)), 1), n=len(ok),
                 missed=len(lats[name]) - len(ok), burst_settle_ms=round(statistics.median(done), 1) if done else None,
                 burst_frames=[f for _, f in settles[name]], drawn_ahead=sum(hits[name]))
        if any(hits[name]) and not all(hits[name]):
            ok_kernel = [x for x, h in zip(lats[name], hits[name]) if x is not None and not h]
            r['kernel_path_median'] = round(statistics.median(ok_kernel), 1)
        if texts[name]:
            r['readouts_median'], r['readouts_p90'] = (round(float(np.percentile(texts[name], q)), 1) for q in (50, 90))
        if parts[name]:
            med = np.median(np.array(parts[name]), 0)
            r['to_kernel_median'], r['kernel_median'], r['to_pixels_median'] = (round(float(x), 1) for x in med)
        results[name] = r
        print(f"{name:<32} median {r['median']:6.1f} ms  p90 {r['p90']:6.1f} ms  ({r['n']} presses"
              + (f", {r['missed']} missed" if r['missed'] else '') + f", {r['drawn_ahead']} drawn ahead)"
              + (f"  [to kernel {r['to_kernel_median']:.0f}, kernel {r['kernel_median']:.0f}, to pixels "
                 f"{r['to_pixels_median']:.0f} ms]" if 'kernel_median' in r else '')
              + (f"  [readouts {r['readouts_median']:.0f} / {r['readouts_p90']:.0f} ms]" if 'readouts_median' in r else '')
              + f"  | burst of 15: settles {r['burst_settle_ms']} ms after the last key, frames {r['burst_frames']}",
              flush=True)
    load_after = os.getloadavg()
    machine = (f'{os.cpu_count()}-core {platform.machine()}, load average {load_before[0]:.1f} -> {load_after[0]:.1f} '
               f'(1 min) during the run' + (f', screen at {args.scale:g} device pixels per CSS pixel' if args.scale != 1 else ''))
    print(f'machine: {machine}')
    if not args.no_save:
        stored = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        stored.setdefault('browser', {})[args.label] = dict(
            date=datetime.date.today().isoformat(), machine=machine, presses=args.presses, rounds=args.rounds,
            case='one_cycle(lr_max=1e-3, n_epochs=10), 1,000 steps/epoch; ArrowRight on lr_max', variants=results)
        RESULTS.write_text(json.dumps(stored, indent=1) + '\n')
        print(f'saved to {RESULTS} as {args.label!r}')
    return results

if __name__ == '__main__':
    main()
