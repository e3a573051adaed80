"""Draw the pictures that README.md and nbs/index.ipynb show, with the library itself.
Run: python scripts/make_figures.py  (writes nbs/images/*.png)"""
from pathlib import Path
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt
import numpy as np
from lr_tutor.schedules import gallery, one_cycle, sgdr, step_decay, exp_decay, inv_time_decay, cosine, ramp_sustain_decay

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

def main():
    OUT.mkdir(parents=True, exist_ok=True)
    save(gallery(), 'gallery.png')
    save(curves([(one_cycle(1e-2, 8), 'one_cycle')], 'one-cycle: rate up then down, momentum opposite', momentum=True), 'lesson_one_cycle.png')
    save(curves([(step_decay(.1, .5, 10, 30), 'step'), (exp_decay(.1, .1, 30), 'exp'), (inv_time_decay(.1, .5, 30), '1/t'),
                 (cosine(.1, 0., 30), 'cosine')], 'annealing'), 'lesson_annealing.png')
    save(curves([(sgdr(1e-2, 0., 1, 2, 3), 'sgdr 1+2+4 epochs')], 'SGDR: warm restarts'), 'lesson_sgdr.png')
    save(curves([(ramp_sustain_decay(1e-5, 1e-5, 1e-4, 5, 0, .8, 50), 'ramp-sustain-decay')], 'Keras-style schedule'), 'lesson_keras.png')

if __name__ == '__main__': main()
