"""The Try-it site in the browser kernel (Pyodide in JupyterLite), in headless Chromium, offline:

- page load to first lab: from navigating to the Try-it notebook to the spiral lab's first frame on screen, the
  notebook being run (Run All) as soon as its kernel is idle; also to the kernel idle (Pyodide loaded).
- key press to settled: ArrowLeft on the spiral lab's lr_max slider (a new schedule every press), from the keydown
  to the training view's first changed frame, and to settled (that frame and the readouts both changed).

The anchor, measured in the same run: the same lab in JupyterLab on CPython (tests/browser_lab.ipynb, a private
`jupyter lab` on 127.0.0.1): its page-load-to-first-lab and key-press latency. Prints medians and p90s (ms or s)
and the ratios to the anchor.

    python benchmarks/bench_lite.py                     # builds the site offline (scripts/build_lite.py) first
    python benchmarks/bench_lite.py --site lite/_build/site --loads 3 --presses 20 --no-anchor
    python benchmarks/bench_lite.py --json benchmarks/lite_latency.json   # the record the README's Try-it line states

Goals (issue 20): first lab <= 10 s, slider p90 <= 100 ms.
"""
import argparse, datetime, json, os, platform, statistics, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'tests'))
from conftest import slider_handle  # noqa: E402
from test_lite import Site, browser_page, built_site, run_try_it  # noqa: E402

# In the page: `arm()` makes window.__lat a promise of {frame, settled} (ms from the next keydown to the first
# drawImage on the lab's canvas, and to the later of that and the readouts' first change).
ARM = '''() => {
  const root = document.querySelector('.lr-tutor-lab');
  const canvas = root.querySelector('.lr-tutor-lab-figure canvas'), ctx = canvas.getContext('2d');
  if (!ctx.__wrapped) { const draw = ctx.drawImage.bind(ctx);
    ctx.drawImage = (...a) => { window.__drawnAt = performance.now(); return draw(...a); }; ctx.__wrapped = true; }
  let tKey = null, text = null; window.__drawnAt = null;
  const obs = new MutationObserver(() => { if (tKey !== null && text === null) text = performance.now() - tKey; });
  obs.observe(root.querySelector('.lr-tutor-lab-readouts'), {subtree: true, childList: true, characterData: true});
  const onKey = e => { tKey = e.timeStamp; window.__drawnAt = null; };
  window.addEventListener('keydown', onKey, true);
  window.__lat = new Promise(resolve => {
    const tick = () => {
      const now = performance.now(), frame = tKey !== null && window.__drawnAt !== null ? window.__drawnAt - tKey : null;
      if ((frame !== null && text !== null) || (tKey !== null && now - tKey > 10000)) {
        window.removeEventListener('keydown', onKey, true); obs.disconnect();
        resolve({frame, settled: frame === null || text === null ? null : Math.max(frame, text)}); return; }
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
}'''

def p90(xs): return sorted(xs)[min(len(xs) - 1, int(round(.9 * (len(xs) - 1))))]

def presses(page, root, n:int, pause:float) -> list[dict]:
    "Press ArrowLeft `n` times on the lab's lr_max slider, `pause` s apart (a person's pace: frames ahead land)."
    root.locator('.lr-tutor-lab-figure').scroll_into_view_if_needed()
    time.sleep(2)
    handle = slider_handle(page, 'lr_max', root)
    handle.focus()
    out = []
    for _ in range(n):
        page.evaluate(ARM)
        page.keyboard.press('ArrowLeft')
        out.append(page.evaluate('window.__lat'))
        time.sleep(pause)
    hits = root.locator('.lr-tutor-lab-figure canvas').first.get_attribute('data-hits')
    print(f'  {n} presses, {hits or 0} answered at once by a frame drawn ahead')
    return out

def lite_round(site, n_presses, pause):
    requests = []
    with browser_page(site, requests) as page:
        times = run_try_it(page, site)
        return times, presses(page, page.locator('.lr-tutor-lab').first, n_presses, pause)

def anchor_round(n_presses, pause):
    "The same lab in JupyterLab on CPython: (seconds to first lab, presses)."
    from conftest import JupyterLab, launch_chromium, open_and_run
    from playwright.sync_api import sync_playwright
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / 'lab.ipynb').write_bytes((ROOT / 'tests' / 'browser_lab.ipynb').read_bytes())
        with JupyterLab(tmp) as lab, sync_playwright() as p:
            browser = launch_chromium(p)
            page = browser.new_page(viewport={'width': 1400, 'height': 1400})
            t0 = time.time()
            open_and_run(page, lab, 'lab.ipynb')
            page.wait_for_function("() => { const c = document.querySelector('.lr-tutor-lab .lr-tutor-lab-figure canvas'); return c && c.width > 10; }",
                                   timeout=120_000)
            t = time.time() - t0
            out = presses(page, page.locator('.lr-tutor-lab').first, n_presses, pause)
            browser.close()
            return t, out

def summary(name, results):
    frames = [r['frame'] for r in results if r['frame'] is not None]
    settled = [r['settled'] for r in results if r['settled'] is not None]
    if not settled: print(f'{name}: no press settled'); return None
    print(f'{name}: key press to frame median {statistics.median(frames):.0f} ms, p90 {p90(frames):.0f} ms; '
          f'to settled median {statistics.median(settled):.0f} ms, p90 {p90(settled):.0f} ms '
          f'({len(settled)}/{len(results)} presses settled)')
    return statistics.median(settled), p90(settled)

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--site', type=Path, help='a site already built offline (default: build one now)')
    ap.add_argument('--loads', type=int, default=2, help='page loads of the Try-it notebook')
    ap.add_argument('--presses', type=int, default=15, help='key presses per load')
    ap.add_argument('--pause', type=float, default=1., help='seconds between presses')
    ap.add_argument('--no-anchor', action='store_true', help='skip the CPython JupyterLab anchor')
    ap.add_argument('--json', type=Path, help='also write the results here (with the machine and its load)')
    args = ap.parse_args()
    load = [os.getloadavg()[0]]
    print(f'{platform.node()} {platform.processor() or platform.machine()}, Python {platform.python_version()}; '
          'Chromium headless; the browser kernel is Pyodide 0.27.7')
    with tempfile.TemporaryDirectory() as tmp:
        site = Site(args.site.resolve() if args.site else built_site(Path(tmp) / 'site'))
        try: rounds = [lite_round(site, args.presses, args.pause) for _ in range(args.loads)]
        finally: site.close()
    firsts = [t['first_lab'] for t, _ in rounds]
    print(f'page load to kernel idle: median {statistics.median([t["idle"] for t, _ in rounds]):.1f} s; '
          f'to first lab: median {statistics.median(firsts):.1f} s, max {max(firsts):.1f} s over {len(rounds)} loads (goal <= 10 s)')
    lite = summary('browser kernel (Pyodide)', [r for _, rs in rounds for r in rs])
    record = dict(first_lab_s=[round(x, 1) for x in firsts], kernel_idle_s=[round(t['idle'], 1) for t, _ in rounds],
                  settled_ms=lite and dict(median=round(lite[0]), p90=round(lite[1])))
    if not args.no_anchor:
        t_anchor, anchor_presses = anchor_round(args.presses, args.pause)
        print(f'anchor, JupyterLab on CPython: page load to first lab {t_anchor:.1f} s; '
              f'Pyodide / CPython = {statistics.median(firsts) / t_anchor:.2f}x')
        cpython = summary('anchor, CPython kernel', anchor_presses)
        record.update(anchor_first_lab_s=round(t_anchor, 1), anchor_settled_ms=cpython and dict(median=round(cpython[0]), p90=round(cpython[1])))
        if lite and cpython:
            print(f'settled latency, Pyodide / CPython: median {lite[0] / cpython[0]:.2f}x, p90 {lite[1] / cpython[1]:.2f}x '
                  f'(goal: Pyodide p90 <= 100 ms)')
    load.append(os.getloadavg()[0])
    machine = f'{os.cpu_count()} cores {platform.machine()}, load average {load[0]:.1f} -> {load[1]:.1f} (1 min)'
    print(f'machine: {machine}')
    if args.json:
        args.json.write_text(json.dumps(dict(date=datetime.date.today().isoformat(), machine=machine, **record), indent=1) + '\n')

if __name__ == '__main__': main()
