"""Schedule-free optimizers in a fastai Learner's life: `make_learner(opt='schedule_free_...')` fits (warm-up from
rate 0 included), validates at the averaged weights, exports and loads with the same predictions, saves and resumes
exactly; the optimizer is in train mode in every training batch and in eval mode everywhere else; BatchNorm's
statistics are recomputed at the averaged weights."""
import pickle, random, warnings
import numpy as np
import pytest
torch = pytest.importorskip('torch')
pytest.importorskip('schedulefree', reason='schedulefree (the lessons extra) runs the optimizers')
from fastai.basics import Callback, set_seed
from fastai.learner import load_learner
from lr_tutor.data import synthetic_dls
from lr_tutor.schedule_free import ScheduleFreeCallback, schedule_free_adamw, schedule_free_sgd
from lr_tutor.schedules import SCHEDULE_FREE, wsd
from lr_tutor.training import make_learner

warnings.filterwarnings('ignore', message='load_learner` uses Python')
RATE = {'schedule_free_sgd': .5, 'schedule_free_adamw': 1e-2}

@pytest.fixture(scope='module')
def dls():
    torch.set_num_threads(1)
    return synthetic_dls(n_train=192, n_valid=96, size=16, bs=32, seed=0, device='cpu')   # the stock pipeline: exportable

def fitted(dls, opt, seed=0, epochs=4, cbs=None, **kw):
    "A simple_cnn trained with `opt` on a warm-up from 0 then a constant rate, the schedule-free way."
    learn = make_learner(dls, arch='simple_cnn', opt=opt, seed=seed, cbs=cbs, **kw)
    s = wsd(lr_max=RATE[opt], warmup=1, stable=epochs - 1, decay=0)
    with learn.no_bar(), learn.no_logging(): learn.fit(epochs, cbs=s.to_fastai())
    return learn

class Modes(Callback):
    "The optimizer's mode in every training batch and at every validation batch."
    order = 99
    def before_fit(self): self.train, self.valid = [], []
    def after_batch(self):
        if self.opt is not None: (self.train if self.training else self.valid).append(self.opt.opt.param_groups[0]['train_mode'])

@pytest.mark.parametrize('opt', SCHEDULE_FREE)
def test_fits_validates_and_exports_with_the_same_predictions(dls, opt, tmp_path):
    learn = fitted(dls, opt, cbs=Modes())
    assert sum(isinstance(cb, ScheduleFreeCallback) for cb in learn.cbs) == 1
    modes = learn.modes
    assert modes.train and all(modes.train) and modes.valid and not any(modes.valid)
    assert not learn.opt.opt.param_groups[0]['train_mode']                   # eval mode once the fit is over
    assert np.isfinite(learn.recorder.losses[0].item()) and learn.recorder.values[-1][2] > .8   # it learned, warm-up from 0 included
    with learn.no_bar(): loss, acc = learn.validate()
    assert modes.valid and not any(modes.valid)                             # validate: eval mode too
    preds = learn.get_preds()[0]
    item = dls.valid_ds[0][0]
    one = learn.predict(item)[2]
    learn.export(tmp_path / 'm.pkl')
    back = load_learner(tmp_path / 'm.pkl')
    with back.no_bar():
        assert torch.equal(back.get_preds(dl=dls.valid)[0], preds)
        assert torch.equal(back.predict(item)[2], one)
        assert back.validate(dl=dls.valid)[1] == pytest.approx(acc)
    assert not learn.opt.opt.param_groups[0]['train_mode']                   # export left it in eval mode
    assert back.schedule_free.bn_batches == 10                               # the callback went with the Learner
    assert pickle.loads(pickle.dumps(ScheduleFreeCallback(bn_batches=3))).bn_batches == 3

@pytest.mark.parametrize('opt', SCHEDULE_FREE)
def test_save_and_load_resume_exactly(dls, opt, tmp_path):
    a = fitted(dls, opt, epochs=2)
    a.path = tmp_path
    a.save('ckpt')
    b = make_learner(dls, arch='simple_cnn', opt=opt)                       # other initial weights, no optimizer yet
    b.path = tmp_path
    b.load('ckpt')
    for learn in (a, b):                                                     # one more epoch each, the same batches
        set_seed(7, reproducible=True)
        for dl in dls.loaders: dl.rng = random.Random(7)
        with learn.no_bar(), learn.no_logging(): learn.fit(1, RATE[opt])
    for p, q in zip(a.model.parameters(), b.model.parameters()): assert torch.equal(p, q)
    for p, q in zip(a.model.buffers(), b.model.buffers()): assert torch.equal(p, q)

def test_batchnorm_statistics_are_the_averaged_weights(dls):
    "After a fit the first BatchNorm's running mean is the mean, at x, of its input over the last `bn_batches` training batches."
    class Inputs(Callback):
        def before_fit(self): self.xs = []
        def after_batch(self):
            if self.training: self.xs.append(self.xb[0])
    learn = fitted(dls, 'schedule_free_adamw', cbs=Inputs(), epochs=2)
    conv, bn = learn.model[0][0][0], learn.model[0][0][1]
    assert isinstance(bn, torch.nn.BatchNorm2d)
    with torch.no_grad(): want = torch.stack([conv(x).mean((0, 2, 3)) for x in learn.inputs.xs[-10:]]).mean(0)
    torch.testing.assert_close(bn.running_mean, want, rtol=1e-5, atol=1e-6)
    off = fitted(dls, 'schedule_free_adamw', epochs=2, cbs=ScheduleFreeCallback(bn_batches=0))   # statistics left as y's
    assert sum(isinstance(cb, ScheduleFreeCallback) for cb in off.cbs) == 1
    assert not torch.allclose(off.model[0][0][1].running_mean, bn.running_mean, rtol=1e-3)
    for a, b in zip(off.model.parameters(), learn.model.parameters()): assert torch.equal(a, b)   # the weights are the same

def test_nothing_changes_for_another_optimizer(dls):
    def run(cbs):
        learn = make_learner(dls, arch='simple_cnn', opt='adam', seed=0, cbs=cbs)
        with learn.no_bar(), learn.no_logging(): learn.fit(1, 1e-2)
        return [p.detach().clone() for p in learn.model.parameters()]
    for p, q in zip(run(None), run(ScheduleFreeCallback())): assert torch.equal(p, q)

def test_before_any_fit_and_bad_arguments(dls):
    learn = make_learner(dls, arch='simple_cnn', opt='schedule_free_sgd', seed=0)
    with learn.no_bar(): assert len(learn.validate()) == 2                 # no optimizer yet: nothing to switch
    with pytest.raises(ValueError, match=r'bn_batches must be an integer in \[0, inf\), got -1'): ScheduleFreeCallback(-1)
    with pytest.raises(ValueError, match=r'mom must be in \(0, 1\), got 0'):
        make_learner(dls, arch='simple_cnn', opt=lambda p, **kw: schedule_free_adamw(p, mom=0, **kw)).create_opt()
    assert schedule_free_sgd([torch.nn.Parameter(torch.zeros(2))]).hypers[0]['wd'] == 0

@pytest.mark.parametrize('opt', SCHEDULE_FREE)
def test_the_photos_lab_starts_schedule_free_where_it_trains(opt):
    "The photos lab offers both; from its start for `opt` (Photos.lr) a warm-up-then-constant and a constant rate train."
    from lr_tutor.lab_shell import start_schedule
    from lr_tutor.photos import Photos, fit_photos, photo_dls
    task = Photos()
    assert opt in task.optimizers
    for family in ('wsd', 'constant'):
        s = start_schedule(family, task, opt)
        run, learn = fit_photos(photo_dls('cpu'), s, 0, opt, 'simple_cnn', 'cpu')
        assert run.diverged is None and run.final_accuracy > .85, (family, run)
        assert any(isinstance(cb, ScheduleFreeCallback) for cb in learn.cbs)
