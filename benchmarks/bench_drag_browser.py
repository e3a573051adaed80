"""A slider's handle dragged across a decade at a person's speed, and single key presses: how closely the figure
follows, in JupyterLab, in headless Chromium; this checkout against another revision in the same run.

For the explorer (one-cycle, 10 epochs x 1,000 steps) and the spiral and landscape labs (their training view), the
mouse drags the lr_max handle a decade down, then back up (a decade a second, up to 60 moves a second), `--drags` times
in all; then `--presses` single presses of ArrowLeft, `--pause` s apart. In the page, at every animation frame,
it reads the handle's value (the slider's readout, which the page updates as the handle moves) and the value the
figure shows: each PNG frame the kernel sends (current or drawn ahead) is logged in the kernel with the lr_max
value of its key, and the page logs which frame each drawing on the figure's canvas came from (both sides name a
frame by its PNG's last chunk checksum; the instruments wrap `FrameView.show`/`send_ahead` in the kernel and
`createImageBitmap`/`drawImage` in the page, so any revision is measured the same way).

- lag: at each animation frame of a drag, how long the figure has shown a value the handle has left: 0 when it
  shows the handle's value; else the time (and animation frames) since the handle left the value shown;
- settle: from the mouse button's release (the key's press) to the last change of the figure's pixels (0 if it
  had none left), and whether the figure then shows the handle's value;
- frames drawn: the figure's changes during a drag, against the handle's values;
- a press's first change: keydown to the first changed frame on the canvas;
- where a drag's frames go (`--profile`): the kernel's handling of a change (the frame drawn and encoded in it),
  the PNG encoding alone, the comm (sent by the kernel -> in the page), the decode, and the paint (drawn -> the
  next animation frame).

Each variant runs in its own notebook and kernel; `--rounds` rounds visit them in alternating order, so that
changes in the machine's load fall on all alike. `--compare REF` also runs git revision REF (its `lr_tutor`
exported into a temporary folder, imported first by its kernels): old and new code in one run.

    python benchmarks/bench_drag_browser.py --compare 01f4f41          # old main against this checkout
    python benchmarks/bench_drag_browser.py --variants explore --drags 4 --presses 6 --no-save

Prints median and p90 per variant and revision; writes benchmarks/drag_latency.json (`--label` names the run).
"""
import argparse, datetime, io, json, os, platform, shutil, subprocess, sys, tarfile, tempfile, time, urllib.request
from pathlib import Path
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'tests'))
from conftest import JupyterLab, launch_chromium, open_and_run, slider_handle, wait_for_figure, KERNELSPEC  # noqa: E402

RESULTS = ROOT / 'benchmarks' / 'drag_latency.json'
FRAME_MS = 1000 / 60                      # one animation frame of a 60 Hz screen
SAME = .025                               # two values on a slider's grid of 10^0.05 are the same within half a step

# the kernel's side of the instrument: before the widget is made, FrameView's two ways of sending a frame log
# each PNG's last chunk checksum with the value of the watched slider in its key, and the time (epoch ms);
# slider messages from the page and PNG encodings are timed too
HOOK = '''import sys, time
sys.path.insert(0, {src!r})                                    # the revision under test, before any other
import lr_tutor
assert lr_tutor.__file__.startswith({src!r}), lr_tutor.__file__
import os.path
# FrameView's module (before the restructuring, explore); asked by file, since an editable install of another
# checkout would hand over a module this revision does not have
if os.path.exists(os.path.join({src!r}, 'lr_tutor', 'frame_view.py')): from lr_tutor.frame_view import FrameView
else: from lr_tutor.explore import FrameView
import lr_tutor.frames as _frames
_log = open({log!r}, 'a', buffering=1)
WATCH = []                                                      # the model id of the slider whose value is logged
def _value(key): return next((v for i, name, v, *_ in key if i in WATCH), None)
def _hook_send(f, kind):
    def send(self, png, key=(), *a, **k):
        _log.write(f'{{kind}} {{time.time() * 1e3:.2f}} {{bytes(png[-16:-12]).hex()}} {{_value(key)}}\\n')
        return f(self, png, key, *a, **k)
    return send
FrameView.show, FrameView.send_ahead = _hook_send(FrameView.show, 'current'), _hook_send(FrameView.send_ahead, 'ahead')
_png = _frames.png_bytes
def _timed_png(*a, **k):
    t0 = time.perf_counter(); out = _png(*a, **k)
    _log.write(f'encode {{time.time() * 1e3:.2f}} {{(time.perf_counter() - t0) * 1e3:.2f}} -\\n')
    return out
_frames.png_bytes = _timed_png
_render = _frames.FramePipeline.render
def _timed_render(self):
    t0 = time.perf_counter(); _render(self)
    _log.write(f'render {{time.time() * 1e3:.2f}} {{(time.perf_counter() - t0) * 1e3:.2f}} -\\n')
_frames.FramePipeline.render = _timed_render
assert FrameView.__module__ in sys.modules and sys.modules[FrameView.__module__].__file__.startswith({src!r})
def watch(slider):
    "Log `slider`'s value in frame keys, and time each value the page sends it, handling included."
    WATCH.append(slider.model_id)
    cls = type(slider)
    def set_state(self, state, _set_state=cls.set_state):
        t0 = time.time() * 1e3
        _set_state(self, state)
        if self.model_id in WATCH and 'value' in state:
            _log.write(f'handled {{t0:.2f}} {{time.time() * 1e3 - t0:.2f}} {{state["value"]}}\\n')
    cls.set_state = set_state
'''
VARIANTS = {
    'explore': ('''from lr_tutor.explore import explore
from lr_tutor.schedules import one_cycle
w = explore(one_cycle(lr_max=1e-3, n_epochs=10), steps_per_epoch=1000)
watch(w.sliders['lr_max'])
w''', '.lr-tutor-explorer', '.lr-tutor-explorer .lr-tutor-figure'),
    'lab spiral': ('''from lr_tutor.lab import lab
w = lab('one_cycle', task='spiral')
watch(w.sliders['lr_max'])
w''', '.lr-tutor-lab', '.lr-tutor-lab .lr-tutor-lab-figure'),
    'lab landscape': ('''from lr_tutor.lab import lab
w = lab('one_cycle', task='landscape')
watch(w.sliders['lr_max'])
w''', '.lr-tutor-lab', '.lr-tutor-lab .lr-tutor-lab-figure'),
}

# the page's side, installed before the page's own scripts: which PNG each bitmap was decoded from (its last chunk
# checksum), when it was decoded, and every drawing of a bitmap on a canvas inside the element `window.__figSel`
INSTRUMENT = '''(() => {
  const tails = new WeakMap();
  const hex = buf => [...new Uint8Array(buf)].map(b => b.toString(16).padStart(2, '0')).join('');
  const make = window.createImageBitmap;
  window.__decodes = []; window.__draws = []; window.__events = [];
  window.createImageBitmap = function (src, ...rest) {
    const t0 = performance.now(), made = make.call(this, src, ...rest);
    if (src instanceof Blob && src.size > 16) {
      const tail = src.slice(src.size - 16, src.size - 12).arrayBuffer().then(hex);
      made.then(bitmap => { tails.set(bitmap, tail); window.__decodes.push([t0, performance.now(), tail]); });
    }
    return made;
  };
  const drawImage = CanvasRenderingContext2D.prototype.drawImage;
  CanvasRenderingContext2D.prototype.drawImage = function (image, ...rest) {
    const out = drawImage.call(this, image, ...rest);
    if (window.__figSel && this.canvas.closest && this.canvas.closest(window.__figSel))
      window.__draws.push([performance.now(), tails.get(image) || Promise.resolve(null)]);
    return out;
  };
  for (const kind of ['pointerdown', 'pointerup', 'keydown'])
    window.addEventListener(kind, e => window.__events.push([kind, e.timeStamp]), true);
})();'''
# samples at each animation frame: [time, the handle's value as its readout shows it, the figure's drawings so far]
SAMPLE = '''([root, name]) => {
  const label = [...document.querySelectorAll(root + ' .widget-slider label')].find(l => l.textContent === name);
  const readout = label.closest('.widget-slider').querySelector('.widget-readout');
  window.__samples = []; window.__sampling = true;
  const tick = () => {
    window.__samples.push([performance.now(), readout.textContent, window.__draws.length]);
    if (window.__sampling) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}'''
COLLECT = '''async () => {
  window.__sampling = false;
  const draws = await Promise.all(window.__draws.map(async ([t, tail]) => [t, await tail]));
  const decodes = await Promise.all(window.__decodes.map(async ([t0, t1, tail]) => [t0, t1, await tail]));
  const out = {samples: window.__samples, draws, decodes, events: window.__events, origin: performance.timeOrigin};
  window.__samples = []; window.__draws = []; window.__decodes = []; window.__events = [];
  return out;
}'''

def same(a, b) -> bool: return a is not None and b is not None and abs(np.log10(a / b)) < SAME

def number(text):
    try: return float(text)
    except (TypeError, ValueError): return None

def read_log(path:Path) -> list:
    "The kernel's log: (kind, epoch ms, tail or ms, value) per line."
    rows = []
    if path.exists():
        for line in path.read_text().splitlines():
            kind, t, a, v = line.split(' ', 3)
            rows.append((kind, float(t), a, v))
    return rows

def export_revision(ref:str, folder:Path) -> Path:
    "Revision `ref`'s lr_tutor package, extracted under `folder` (what its kernels import)."
    data = subprocess.run(['git', '-C', str(ROOT), 'archive', '--format=tar', ref, 'lr_tutor'], check=True,
                          capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tar: tar.extractall(folder, filter='data')
    return folder

def drag(page, handle, decades:float, px_per_decade:float, seconds:float=1., rate:float=60):
    """Press the mouse on `handle` and move it `decades` along the slider in `seconds`, a move every 1/`rate` s, each to
    where a steady hand is by then (a move that takes longer, on a busy machine, makes the next one longer)."""
    box = handle.bounding_box()
    x, y = box['x'] + box['width'] / 2, box['y'] + box['height'] / 2
    page.mouse.move(x, y); page.mouse.down()
    dx, t0, i = decades * px_per_decade, time.perf_counter(), 0
    while (done := (time.perf_counter() - t0) / seconds) < 1:
        page.mouse.move(x + dx * done, y)
        i += 1
        time.sleep(max(0., t0 + i / rate - time.perf_counter()))
    page.mouse.move(x + dx, y)
    page.mouse.up()

def analyse(rec:dict, frames:dict) -> dict:
    """From one visit's page record and the kernel's frames (tail -> value): each drag's lags (ms, frames),
    settle (ms) and frames drawn, and each press's first change and settle (ms)."""
    samples = [(t, number(text), n) for t, text, n in rec['samples']]
    draws = [(t, frames.get(tail)) for t, tail in rec['draws']]
    tails = [tail for _, tail in rec['draws']]
    changes = [i for i in range(len(tails)) if i == 0 or tails[i] != tails[i - 1]]   # drawings that change pixels
    shown = lambda n: draws[n - 1][1] if n else None
    ev = rec['events']
    downs, ups = [t for k, t in ev if k == 'pointerdown'], [t for k, t in ev if k == 'pointerup']
    keys = [t for k, t in ev if k == 'keydown']
    out = dict(lag_ms=[], lag_frames=[], settle_ms=[], settled_right=[], frames_drawn=[], handle_values=[],
               drag_ms=[], first_ms=[], press_settle_ms=[])
    ends = downs[1:] + keys[:1] + [float('inf')]
    for down, up, end in zip(downs, ups, ends):
        during = [k for k, s in enumerate(samples) if down <= s[0] <= up]
        for k in during:
            t, h, n = samples[k]
            f = shown(n)
            if same(f, h) or h is None: lag_ms = 0.
            else:      # the handle left the value shown at the sample after the last one that had it
                j = next((j for j in range(k - 1, -1, -1) if same(samples[j][1], f)), None)
                j = during[0] - 1 if j is None or j < during[0] - 1 else j
                lag_ms = t - samples[j + 1][0] + FRAME_MS
            out['lag_ms'].append(lag_ms); out['lag_frames'].append(lag_ms / FRAME_MS)
        moved = [i for i in changes if down <= draws[i][0] <= end]
        last = max([draws[i][0] for i in moved] + [up])
        out['settle_ms'].append(last - up)
        final = [s for s in samples if s[0] < end][-1] if samples else None
        out['settled_right'].append(bool(final and same(shown(final[2]), final[1])))
        out['frames_drawn'].append(len([i for i in moved if draws[i][0] <= up]))
        out['drag_ms'].append(up - down)
        out['handle_values'].append(len({round(s[1], 12) for s in (samples[k] for k in during) if s[1] is not None}))
    for key, nxt in zip(keys, keys[1:] + [float('inf')]):
        moved = [draws[i][0] for i in changes if key <= draws[i][0] < min(nxt, key + 3000)]
        out['first_ms'].append(moved[0] - key if moved else None)
        out['press_settle_ms'].append(moved[-1] - key if moved else None)
    return out

def profile(rec:dict, log:list) -> dict:
    "Where a drag's frames go (ms): kernel handling, encoding, comm, decode, paint, for the frames the kernel sent."
    origin = rec['origin']
    sent = {}                                     # tail -> epoch ms the kernel first sent it
    for kind, t, tail, _ in log:
        if kind in ('current', 'ahead'): sent.setdefault(tail, t)
    comm, decode, seen = [], [], set()
    for t0, t1, tail in rec['decodes']:
        decode.append(t1 - t0)
        # the first decode of a frame, on its arrival (frames ahead beyond those decoded at once decode when used)
        if tail in sent and tail not in seen and 0 <= t0 + origin - sent[tail] < 1000: comm.append(t0 + origin - sent[tail])
        seen.add(tail)
    frames = [t for t, *_ in rec['samples']]
    paint = [next((f for f in frames if f >= t), t) - t for t, _ in rec['draws']]
    handled = [float(a) for kind, _, a, _ in log if kind == 'handled']
    encode = [float(a) for kind, _, a, _ in log if kind == 'encode']
    render = [float(a) for kind, _, a, _ in log if kind == 'render']
    med = lambda xs: round(float(np.median(xs)), 2) if xs else None
    return dict(kernel_handler=med(handled), render=med(render), encode=med(encode), comm=med(comm), decode=med(decode), paint=med(paint),
                n_current=sum(k == 'current' for k, *_ in log), n_ahead=sum(k == 'ahead' for k, *_ in log))

def stats(xs):
    xs = [x for x in xs if x is not None]
    if not xs: return None, None
    return round(float(np.median(xs)), 1), round(float(np.percentile(xs, 90)), 1)

def end_sessions(server):
    "Shut down every kernel the server runs: each visit starts its notebook in a fresh one."
    url = f'{server.base}/api/sessions'
    with urllib.request.urlopen(f'{url}?token={server.token}', timeout=10) as r: sessions = json.load(r)
    for s in sessions:
        urllib.request.urlopen(urllib.request.Request(f"{url}/{s['id']}?token={server.token}", method='DELETE'), timeout=30)

def visit(browser, server, notebook, root, figure, args):
    "Open `notebook`, drag and press as the options say; the page's record."
    page = browser.new_page(viewport={'width': 1400, 'height': 1200})
    page.add_init_script(f'window.__figSel = {json.dumps(figure)};' + INSTRUMENT)
    try:
        open_and_run(page, server, notebook)
        wait_for_figure(page, figure)
        page.locator(figure).scroll_into_view_if_needed()
        time.sleep(args.settle)                                  # the first frames, and those drawn ahead, land
        handle = slider_handle(page, 'lr_max', root=root)
        handle.scroll_into_view_if_needed()
        lo, hi = (float(handle.get_attribute(a)) for a in ('aria-valuemin', 'aria-valuemax'))
        track = handle.locator('xpath=ancestor::*[contains(@class, "noUi-target")]').first.bounding_box()
        page.evaluate(COLLECT)                                   # what the page logged so far is not measured
        page.evaluate(SAMPLE, [root, 'lr_max'])
        for i in range(args.drags):
            drag(page, handle, -1 if i % 2 == 0 else 1, track['width'] / (hi - lo), args.seconds)
            time.sleep(args.between)
        handle.focus()
        for _ in range(args.presses):
            page.keyboard.press('ArrowLeft')
            time.sleep(args.pause)
        return page.evaluate(COLLECT)
    finally:
        page.close()
        end_sessions(server)

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--compare', metavar='REF', help='also measure this git revision (old main: 01f4f41)')
    ap.add_argument('--variants', default=','.join(VARIANTS), help='comma-separated names (default: all)')
    ap.add_argument('--drags', type=int, default=6, help='per visit: a decade down, then up, ...')
    ap.add_argument('--seconds', type=float, default=1., help='per decade dragged')
    ap.add_argument('--between', type=float, default=1.5, help='seconds after each drag')
    ap.add_argument('--presses', type=int, default=10, help='single ArrowLeft presses per visit, after the drags')
    ap.add_argument('--pause', type=float, default=.8, help='seconds after each press')
    ap.add_argument('--rounds', type=int, default=2, help='visits per variant, in alternating order')
    ap.add_argument('--settle', type=float, default=3., help='seconds after the figure appears, before measuring')
    ap.add_argument('--label', default='latest', help="name the stored run (e.g. 'quiet')")
    ap.add_argument('--raw', help="also write every visit's records (the page's and the kernel's) to this JSON file")
    ap.add_argument('--no-save', action='store_true')
    args = ap.parse_args(argv)
    names = [v.strip() for v in args.variants.split(',')]
    unknown = [n for n in names if n not in VARIANTS]
    if unknown: raise SystemExit(f'unknown variants {unknown}; choose from {list(VARIANTS)}')
    folder = Path(tempfile.mkdtemp(prefix='lr-tutor-bench-drag-'))
    head = subprocess.run(['git', '-C', str(ROOT), 'rev-parse', '--short', 'HEAD'], capture_output=True, text=True).stdout.strip()
    dirty = bool(subprocess.run(['git', '-C', str(ROOT), 'status', '--porcelain', '--', 'lr_tutor'], capture_output=True,
                                text=True).stdout.strip())
    revisions = {f'this checkout ({head}{"+changes" if dirty else ""})': ROOT}
    if args.compare:
        ref = subprocess.run(['git', '-C', str(ROOT), 'rev-parse', '--short', args.compare], check=True, capture_output=True,
                             text=True).stdout.strip()
        revisions = {f'{args.compare} ({ref})': export_revision(ref, folder / 'ref'), **revisions}
    runs = [(name, rev) for name in names for rev in revisions]
    for i, (name, rev) in enumerate(runs):
        src = str(revisions[rev])
        code = HOOK.format(src=src, log=str(folder / f'frames_{i}.txt')) + VARIANTS[name][0]
        nb = {'cells': [{'cell_type': 'code', 'execution_count': None, 'metadata': {}, 'outputs': [], 'source': code}],
              'metadata': {'kernelspec': KERNELSPEC}, 'nbformat': 4, 'nbformat_minor': 5}
        (folder / f'drag_{i}.ipynb').write_text(json.dumps(nb))
    load = [os.getloadavg()[0]]
    from playwright.sync_api import sync_playwright
    got, raw = {run: [] for run in runs}, []
    try:
        with JupyterLab(folder) as server, sync_playwright() as p:
            browser = launch_chromium(p)
            for round_ in range(args.rounds):
                for i, run in (list(enumerate(runs)) if round_ % 2 == 0 else list(enumerate(runs))[::-1]):
                    log = folder / f'frames_{i}.txt'
                    log.unlink(missing_ok=True)
                    rec = visit(browser, server, f'drag_{i}.ipynb', *VARIANTS[run[0]][1:], args)
                    kernel = read_log(log)
                    frames = {tail: number(v) for kind, _, tail, v in kernel if kind in ('current', 'ahead')}
                    got[run].append((analyse(rec, frames), profile(rec, kernel)))
                    raw.append(dict(variant=run[0], revision=run[1], page=rec, kernel=kernel))
                    print(f'  round {round_ + 1}: {run[0]}, {run[1]} done', flush=True)
            browser.close()
    finally: shutil.rmtree(folder, ignore_errors=True)
    load.append(os.getloadavg()[0])
    if args.raw: Path(args.raw).write_text(json.dumps(raw))
    results = {}
    print(f'\nA decade dragged in {args.seconds:g} s, {args.drags} drags x {args.rounds} rounds; '
          f'{args.presses} x {args.rounds} single presses. ms (animation frames of {FRAME_MS:.1f} ms)')
    for name, rev in runs:
        visits = got[(name, rev)]
        cat = lambda k: [x for a, _ in visits for x in a[k]]
        lag, lagf, settle = stats(cat('lag_ms')), stats(cat('lag_frames')), stats(cat('settle_ms'))
        first, psettle = stats(cat('first_ms')), stats(cat('press_settle_ms'))
        prof = {k: stats([p[k] for _, p in visits if p[k] is not None])[0] for k in visits[0][1]}
        r = dict(lag_ms=lag, lag_frames=lagf, settle_ms=settle, drag_ms=stats(cat('drag_ms')), settled_right=f"{sum(cat('settled_right'))}/{len(cat('settled_right'))}",
                 frames_drawn=cat('frames_drawn'), handle_values=cat('handle_values'),
                 press_first_ms=first, press_settle_ms=psettle, profile_ms=prof)
        results.setdefault(name, {})[rev] = r
        pair = lambda m: '-' if m[0] is None else f'{m[0]:5.1f}/{m[1]:5.1f}'
        drags = (f'drag lag median/p90 {pair(lag)} ms ({pair(lagf)} frames), settle {pair(settle)} ms (right value '
                 f'{r["settled_right"]}), frames drawn {sum(r["frames_drawn"])} for {sum(r["handle_values"])} handle '
                 f'values, a drag {r["drag_ms"][0]:.0f} ms | ') if args.drags else ''
        print(f'{name:<14} {rev:<28} {drags}press: first {pair(first)} ms, settle {pair(psettle)} ms', flush=True)
        print(f'{"":<14} {"":<28} where frames go (medians, ms): ' + ', '.join(f'{k} {v}' for k, v in prof.items()))
    machine = f'{os.cpu_count()} cores {platform.machine()}, load average {load[0]:.1f} -> {load[1]:.1f} (1 min)'
    print(f'machine: {machine}')
    if not args.no_save:
        stored = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        stored[args.label] = dict(date=datetime.date.today().isoformat(), machine=machine, options=vars(args), variants=results)
        RESULTS.write_text(json.dumps(stored, indent=1) + '\n')
        print(f'saved to {RESULTS} as {args.label!r}')
    return results

if __name__ == '__main__':
    main()
