"""Draw the pictures that README.md and nbs/index.ipynb show, with the library itself.
Run: python scripts/make_figures.py  (writes nbs/images/*.png)

The schedule pictures are exact. The finder picture comes from a small CPU run (32-pixel photos) on the
rock-paper-scissors set found through LR_TUTOR_DATA (else an earlier download, else the sample bundled with lr_tutor:
the run prints which), and says so in its title. The case study's and the optimizers' pictures are the lessons' own:
the verdicts each lesson drew (its cell marked `# index thumbnail`), copied from the executed notebook, so that the
index shows exactly what the lesson measured, on the same runs and seeds. Execute those lessons first."""
import base64, json, sys
from pathlib import Path
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt
import numpy as np
import torch
from lr_tutor.schedules import (fmt_rate, gallery, constant, one_cycle, sgdr, step_decay, exp_decay, inv_time_decay, cosine,
                                ramp_sustain_decay)

OUT = Path(__file__).resolve().parent.parent / 'nbs' / 'images'
META = {'Software': None}  # keep the files byte-stable between runs

def save(fig, name):
    fig.savefig(OUT / name, dpi=80, metadata=META, bbox_inches='tight')
    plt.close(fig)
    print('wrote', OUT / name)

def curves(schedules, title, log=False, momentum=False):
    fig, axs = plt.subplots(2 if momentum else 1, 1, figsize=(5, 3.6 if momentum else 2.4), sharex=True, squeeze=False)
    for s, label in schedules:
        t = np.linspace(0, s.n_epochs, 1000)
        axs[0, 0].plot(t, s(t), label=label)
        if momentum and s.has_momentum: axs[1, 0].plot(t, s.momentum(t), label=label)
    axs[0, 0].set_title(title, fontsize=10); axs[0, 0].set_ylabel('lr'); axs[0, 0].legend(fontsize=8)
    if log: axs[0, 0].set_yscale('log')
    if momentum: axs[1, 0].set_ylabel('momentum')
    axs[-1, 0].set_xlabel('epoch')
    fig.tight_layout()
    return fig

def small_photos():
    "The photos at the small CPU size the training pictures use: 32 px, 100 per class."
    from lr_tutor.data import rps_dls
    return rps_dls(size=32, bs=32, fast=True, n_per_class=100)

def finder_picture(dls, where='32 px, CPU'):
    "Lesson 2: the stable pick's five range tests (100 iterations each), fastai's suggestions per run and their medians."
    from lr_tutor.training import make_learner
    import lr_tutor.finder  # noqa: F401  (Learner.lr_range_test)
    test = make_learner(dls, 'simple_cnn', seed=0).lr_range_test(runs=5, show_plot=False, progress=False)
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    test.plot(ax=ax, explain=False, title=f'LR range test, 5 runs (simple CNN, {where})')
    return fig

def discriminative_picture():
    "Lesson 4: fit_one_cycle(lr_max=slice(1e-5, 1e-3)) gives each of three layer groups its own peak."
    from fastai.basics import even_mults
    s = one_cycle(1e-3, 4)
    t = np.linspace(0, s.n_epochs, 1000)
    fig, ax = plt.subplots(figsize=(5, 2.6))
    for i, (peak, name) in enumerate(zip(even_mults(1e-5, 1e-3, 3), ('early layers', 'middle layers', 'head'))):
        ax.plot(t, s(t) * peak / 1e-3, label=f'{name} (peak {fmt_rate(peak)})')
    ax.set_yscale('log'); ax.set_xlabel('epoch'); ax.set_ylabel('lr'); ax.legend(fontsize=8)
    ax.set_title('discriminative rates: slice(1e-5, 1e-3) over 3 groups', fontsize=10)
    fig.tight_layout()
    return fig

MARK = '# index thumbnail'

def lesson_picture(notebook, name):
    "Copy the picture saved by the cell of `notebook` (under nbs/) marked `MARK` to nbs/images/`name`."
    path = OUT.parent / notebook
    for cell in json.loads(path.read_text())['cells']:
        if cell['cell_type'] == 'code' and MARK in ''.join(cell['source']):
            png = next((o['data']['image/png'] for o in cell.get('outputs', []) if 'image/png' in o.get('data', {})), None)
            if png is None: break
            (OUT / name).write_bytes(base64.b64decode(''.join(png) if isinstance(png, list) else png))
            print('wrote', OUT / name, 'from', notebook)
            return
    sys.exit(f'{notebook}: no saved picture in a cell marked {MARK!r}: run `python scripts/execute_notebooks.py {path.stem}` first')

def main():
    OUT.mkdir(parents=True, exist_ok=True)
    save(gallery(), 'gallery.png')
    save(curves([(one_cycle(1e-2, 8), 'one_cycle')], 'one-cycle: rate up then down, momentum opposite', momentum=True), 'lesson_one_cycle.png')
    # the annealing lesson's four decays, over its 7 epochs
    save(curves([(step_decay(.1, .5, 2, 7), 'step'), (exp_decay(.1, .5, 7), 'exp'), (inv_time_decay(.1, 2., 7), '1/t'),
                 (cosine(.1, 0., 7), 'cosine')], 'annealing'), 'lesson_annealing.png')
    save(curves([(sgdr(1e-2, 0., 1, 2, 3), 'sgdr 1+2+4 epochs')], 'SGDR: warm restarts'), 'lesson_sgdr.png')
    save(curves([(ramp_sustain_decay(1e-5, 1e-5, 1e-4, 5, 0, .8, 50), 'ramp-sustain-decay')], 'Keras-style schedule'), 'lesson_keras.png')
    save(discriminative_picture(), 'lesson_fine_tuning.png')
    lesson_picture('course/06_case_study.ipynb', 'lesson_case_study.png')
    lesson_picture('course/07_optimizers.ipynb', 'lesson_optimizers.png')
    if '--schedules-only' in sys.argv: return
    torch.manual_seed(0); torch.set_num_threads(min(2, torch.get_num_threads()))
    dls = small_photos()
    print(dls.source)
    cpu = '32 px, CPU, bundled sample' if dls.source.is_sample else '32 px, CPU'
    save(finder_picture(dls, cpu), 'lesson_finder.png')

if __name__ == '__main__': main()
