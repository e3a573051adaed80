"""Kernel-side time of one explorer update: a slider value in, the frame for the browser encoded and sent.

The case of the browser benchmark: one-cycle over 10 epochs x 1,000 steps, lr_max moved 20 arrow-key steps
up and 20 down (so a few updates change the axes and draw everything). Runs in plain Python: the widgets'
messages go nowhere, so this is the explorer's own work. Compared with what the naive ways do per update,
and with each lever switched off in turn; the PNG encoders, the frames drawn ahead (idle-time work) and
coalescing are also timed on their own.

    python benchmarks/bench_explorer_kernel.py [--no-save]

Prints median and p90 (wall ms) and CPU ms per update; stores them in benchmarks/explorer_latency.json
('kernel').
"""
import argparse, asyncio, datetime, inspect, io, json, os, platform, sys, time
from pathlib import Path
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import matplotlib
matplotlib.use('agg')
from lr_tutor.schedules import one_cycle                                  # noqa: E402
from lr_tutor.explore import Explorer, explore                           # noqa: E402
from lr_tutor.frames import png_bytes                                     # noqa: E402
FIGSIZE = inspect.signature(Explorer).parameters['figsize'].default    # the naive figures: the explorer's size

RESULTS = ROOT / 'benchmarks' / 'explorer_latency.json'
CASE = dict(lr_max=1e-3, n_epochs=10)
STEPS = 10_000

def time_updates(explorer:Explorer, param:str='lr_max', n:int=40, factor:float=10**.05) -> np.ndarray:
    "Seconds per update, frame sent included: set `param` `n` times, each `factor` times the last, and back."
    w = explorer.sliders[param]
    start, out = w.value, []
    for i in range(1, n + 1):
        t0 = time.perf_counter()
        w.value = start * factor ** (i if i <= n // 2 else n - i)
        explorer.flush()
        out.append(time.perf_counter() - t0)
    w.value = start
    explorer.flush()
    return np.array(out)

def summary(wall_s, cpu_s=None):
    ms = np.asarray(wall_s) * 1e3
    r = dict(median=round(float(np.median(ms)), 2), p90=round(float(np.percentile(ms, 90)), 2))
    if cpu_s is not None: r['cpu_mean'] = round(float(cpu_s) * 1e3 / len(ms), 2)
    return r

FRAMEWORKS = ('lr_tutor', 'pytorch', 'fastai', 'keras', 'optax', 'transformers', 'timm')

def explorer_times(pixel_ratio=1., **options):
    ex = explore(one_cycle(**CASE), steps_per_epoch=1000, **options)
    if pixel_ratio != 1: ex.schedule_plot.view.pixel_ratio = pixel_ratio                   # as a high-density screen asks
    if ex.schedule_plot.backend == 'ipympl': ex.figure.canvas.syncing_data_url = False   # as with a browser attached
    time_updates(ex, n=10)                                                    # warm up
    cpu = time.process_time()
    t = time_updates(ex, n=40)
    r = summary(t, time.process_time() - cpu)
    r['full_draws'], r['blits'] = ex.schedule_plot.n_full, ex.schedule_plot.n_blit
    return r

def naive_ipympl_times(n=40):
    "set_ydata + relim + full draw, encoded as matplotlib's webagg does (diff frame, PIL's default PNG)."
    from ipympl.backend_nbagg import Canvas, FigureManager
    from matplotlib.figure import Figure
    fig = Figure(figsize=FIGSIZE); canvas = Canvas(fig); FigureManager(canvas, 0)
    canvas.syncing_data_url = False
    a, b = fig.subplots(2, 1, sharex=True, height_ratios=(2.2, 1))
    t = np.arange(STEPS) / 1000
    s = one_cycle(**CASE); la, = a.plot(t, s(t)); lb, = b.plot(t, s.momentum(t))
    canvas.draw()
    out, cpu = [], time.process_time()
    for i in range(1, n + 1):
        t0 = time.perf_counter()
        s = one_cycle(CASE['lr_max'] * 10 ** (.05 * (i if i <= n // 2 else n - i)), 10)
        la.set_ydata(s(t)); lb.set_ydata(s.momentum(t)); a.relim(); a.autoscale_view()
        canvas.draw()                                       # what draw_idle leads to, after a round trip
        out.append(time.perf_counter() - t0)
    return summary(out, time.process_time() - cpu)

def naive_interact_times(n=20):
    "A new figure per update, saved as the inline backend does (PNG, tight bounding box)."
    import matplotlib.pyplot as plt
    t = np.arange(STEPS) / 1000
    out, cpu = [], time.process_time()
    for i in range(1, n + 1):
        t0 = time.perf_counter()
        s = one_cycle(CASE['lr_max'] * 10 ** (.05 * i), 10)
        fig, (a, b) = plt.subplots(2, 1, figsize=FIGSIZE, sharex=True, height_ratios=(2.2, 1))
        a.plot(t, s(t)); b.plot(t, s.momentum(t))
        fig.savefig(io.BytesIO(), format='png', bbox_inches='tight')
        plt.close(fig)
        out.append(time.perf_counter() - t0)
    return summary(out, time.process_time() - cpu)

def encoder_times(n=30):
    "The frame's PNG encoding alone: PIL at its default level (what webagg uses), PIL level 1, png_bytes."
    from PIL import Image
    ex = explore(one_cycle(**CASE), steps_per_epoch=1000, backend='image')
    rgba = np.asarray(ex.figure.canvas.buffer_rgba())
    def pil(level=None):
        buf = io.BytesIO()
        Image.fromarray(rgba).save(buf, format='png', **({} if level is None else {'compress_level': level}))
        return buf.getvalue()
    out = {}
    for name, f in [('PIL default', pil), ('PIL level 1', lambda: pil(1)), ('png_bytes', lambda: png_bytes(rgba))]:
        ts = []
        for _ in range(n):
            t0 = time.perf_counter(); data = f(); ts.append(time.perf_counter() - t0)
        out[name] = {**summary(ts), 'bytes': len(data)}
    return out

def coalescing(coalesce, n=10):
    "A burst of `n` slider changes handled in one go inside a running event loop (as in a kernel)."
    ex = explore(one_cycle(**CASE), steps_per_epoch=1000, backend='image', coalesce=coalesce)
    w = ex.sliders['lr_max']
    async def burst():
        frames = ex.schedule_plot.n_full + ex.schedule_plot.n_blit
        t0 = time.perf_counter()
        for i in range(1, n + 1): w.value = CASE['lr_max'] * 10 ** (.05 * i)
        await asyncio.sleep(0)                                   # the loop runs the pending frame
        return time.perf_counter() - t0, ex.schedule_plot.n_full + ex.schedule_plot.n_blit - frames
    spent, frames = asyncio.run(burst())
    return dict(ms=round(spent * 1e3, 1), frames=frames)

def ahead_times(n=12, pixel_ratio=1.):
    "The work after an update: the frames drawn ahead (the moved slider's steps, one step of each other), drawn and encoded."
    ex = explore(one_cycle(**CASE), steps_per_epoch=1000, backend='image')
    ex.schedule_plot.view.pixel_ratio = pixel_ratio
    w = ex.sliders['lr_max']
    per_frame, per_state = [], []
    for i in range(n):
        w.value = CASE['lr_max'] * 10 ** (.05 * (i % 6))
        ex.controls.moved = w
        t0, frames = time.perf_counter(), 0
        for key, curves, *_ in ex.frames_ahead():              # each: a schedule built, sampled, keyed, its texts
            t1 = time.perf_counter()
            ex.schedule_plot.frame_for(curves)                          # ... drawn (a blit, mostly) and encoded
            per_frame.append(time.perf_counter() - t1)
            frames += 1
        per_state.append(time.perf_counter() - t0)
    return dict(frames_per_update=frames, frame=summary(per_frame), all_frames=summary(per_state))

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--no-save', action='store_true')
    ap.add_argument('--label', default='latest', help="name the stored run (e.g. 'quiet', 'under load')")
    args = ap.parse_args(argv)
    load_before = os.getloadavg()
    rows = {
        'explore (ipympl)': explorer_times(backend='ipympl'),
        'explore (image)': explorer_times(backend='image'),
        'explore (image), 2x screen': explorer_times(backend='image', pixel_ratio=2.),
        'explore (ipympl) blit=False': explorer_times(backend='ipympl', blit=False),
        'explore (ipympl) decimate=False': explorer_times(backend='ipympl', decimate=False),
        'naive ipympl: set_ydata + draw': naive_ipympl_times(),
        'naive interact + inline': naive_interact_times(),
    }
    print('Kernel time per update (one-cycle, 10,000 steps; 40 updates of lr_max):')
    for name, r in rows.items():
        extra = f"  ({r['full_draws']} full draws, {r['blits']} blits)" if 'blits' in r else ''
        print(f"  {name:<34} median {r['median']:7.2f} ms  p90 {r['p90']:7.2f} ms  cpu {r['cpu_mean']:6.2f} ms{extra}")
    enc = encoder_times()
    print(f'PNG encoding of one {FIGSIZE[0] * 100:.0f}x{FIGSIZE[1] * 100:.0f} frame:')
    for name, r in enc.items(): print(f"  {name:<34} median {r['median']:7.2f} ms  ({r['bytes']:,} bytes)")
    ahead = ahead_times()
    ahead2 = ahead_times(pixel_ratio=2.)
    for label, a in (('', ahead), (', 2x screen', ahead2)):
        print(f"Frames drawn ahead after an update ({a['frames_per_update']}, the moved slider's steps, one step of each other{label}): "
              f"{a['frame']['median']:.2f} ms each (median), {a['all_frames']['median']:.1f} ms in all")
    code = {fw: explorer_times(backend='image', framework=fw) for fw in FRAMEWORKS}
    print('Kernel time per update with the code box in each framework (image backend):')
    for fw, r in code.items(): print(f"  {fw:<34} median {r['median']:7.2f} ms  p90 {r['p90']:7.2f} ms  cpu {r['cpu_mean']:6.2f} ms")
    burst = {f'coalesce={c}': coalescing(c) for c in (True, False)}
    print('A burst of 10 changes in one event-loop turn:')
    for name, r in burst.items(): print(f"  {name:<34} {r['frames']} frame(s), {r['ms']} ms")
    load_after = os.getloadavg()
    machine = (f'{os.cpu_count()}-core {platform.machine()}, load average {load_before[0]:.1f} -> {load_after[0]:.1f} '
               f'(1 min) during the run')
    print(f'machine: {machine}')
    if not args.no_save:
        stored = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        stored.setdefault('kernel', {})[args.label] = dict(date=datetime.date.today().isoformat(), machine=machine,
                                                          variants=rows, png_encoding=enc, frames_ahead=ahead,
                                                          frames_ahead_2x=ahead2, code_box=code,
                                                          burst_of_10=burst)
        RESULTS.write_text(json.dumps(stored, indent=1) + '\n')
        print(f'saved to {RESULTS} as {args.label!r}')

if __name__ == '__main__':
    main()
