"""fastai through a Learner's life cycle with a schedule attached at construction (`Learner(..., cbs=s.to_fastai())`):
inference before any fit, export and `load_learner`, `fine_tune`, `to_fp16`, `EarlyStoppingCallback`,
`SaveModelCallback` and a resume, each checked against fastai's own `ParamScheduler` attached the same way."""
import threading, warnings
import numpy as np
import pandas as pd
import pytest
import torch
from fastai.tabular.all import (TabularDataLoaders, tabular_learner, CategoryBlock, Normalize, load_learner,
                                EarlyStoppingCallback, SaveModelCallback, ParamScheduler, SchedCos)
from lr_tutor.schedules import one_cycle, cosine

warnings.filterwarnings('ignore', message='load_learner` uses Python')

def table():
    "A two-class table of 80 rows: 64 train (8 batches of 8), 16 valid."
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(80, 2)), columns=['x1', 'x2'])
    df['y'] = np.where(df.x1 + .5 * df.x2 > 0, 'a', 'b')
    return df

def dls(path):
    df = table()
    return TabularDataLoaders.from_df(df, path=path, cont_names=['x1', 'x2'], y_names='y', y_block=CategoryBlock(),
                                      procs=[Normalize], bs=8, valid_idx=list(range(64, 80)), shuffle=False)

def learner(path, cb=None, **kw):
    torch.manual_seed(0)
    learn = tabular_learner(dls(path), layers=[8], cbs=cb, **kw)
    learn.no_bar = True
    return learn

def peer(): return ParamScheduler({'lr': SchedCos(1e-2, 1e-4)})

def returns(f, seconds=60):
    "`f()`, failing (instead of hanging the tests) if it does not return: fastai wedges a Learner after some errors."
    out = {}
    def call():
        try: out['value'] = f()
        except BaseException as e: out['error'] = e
    t = threading.Thread(target=call, daemon=True)
    t.start(); t.join(seconds)
    assert not t.is_alive(), f'{f} did not return within {seconds} s: the Learner is wedged'
    if 'error' in out: raise out['error']
    return out['value']

def inference(learn, row):
    "validate, get_preds and predict, each twice (a wedged Learner hangs on the second)."
    with learn.no_logging():
        res = [returns(learn.validate) for _ in range(2)]
        res += [returns(lambda: learn.get_preds()[0]) for _ in range(2)]
        res += [returns(lambda: learn.predict(row)[2]) for _ in range(2)]
    return res

def same(a, b):
    for x, y in zip(a, b): np.testing.assert_array_equal(np.asarray(x, dtype=float), np.asarray(y, dtype=float))

@pytest.fixture
def row(): return table().drop(columns='y').iloc[0]

def test_inference_before_any_fit_as_fastais_param_scheduler(tmp_path, row):
    s = one_cycle(1e-2, 2)
    ours, theirs, bare = (inference(learner(tmp_path, cb), row) for cb in (s.to_fastai(), peer(), None))
    same(ours, bare); same(theirs, bare)
    learn = learner(tmp_path, s.to_fastai())
    inference(learn, row)
    with learn.no_logging(): learn.fit(2)          # and then a fit follows the schedule exactly
    np.testing.assert_array_equal(learn.recorder.lrs, s.at_batches(8))
    with learn.no_logging(): same(inference(learn, row)[:1], [learn.validate()])

def test_export_then_load_learner_predicts(tmp_path, row):
    s = one_cycle(1e-2, 2)
    for cb in (s.to_fastai(), peer()):
        learn = learner(tmp_path, cb)
        with learn.no_logging(): learn.fit(2)
        before = learn.predict(row)[2]
        learn.export('m.pkl')
        back = load_learner(tmp_path / 'm.pkl')
        with back.no_logging(): after = returns(lambda: back.predict(row)[2])
        np.testing.assert_array_equal(after, before)
        assert [type(c) for c in back.cbs if isinstance(c, ParamScheduler)] == [type(cb)]
        with learn.no_logging(): learn.fit(2)      # the exporting Learner still trains under its schedule
        if cb is not None and type(cb) is not ParamScheduler:
            np.testing.assert_array_equal(learn.recorder.lrs, s.at_batches(8))

def test_fine_tune_runs_fastais_one_cycle_and_the_schedule_stands_aside(tmp_path):
    bare = learner(tmp_path)
    with bare.no_logging(): bare.fine_tune(1, 1e-2)
    learn = learner(tmp_path, one_cycle(1e-2, 2).to_fastai())
    with pytest.warns(UserWarning, match='stands aside in this fit: ParamScheduler'):
        with learn.no_logging(): learn.fine_tune(1, 1e-2)
    np.testing.assert_array_equal(learn.recorder.lrs, bare.recorder.lrs)

def test_to_fp16_follows_the_schedule(tmp_path, row):
    s = one_cycle(1e-2, 2)
    learn = learner(tmp_path, s.to_fastai()).to_fp16()
    with learn.no_logging(): learn.fit(2)
    np.testing.assert_array_equal(learn.recorder.lrs, s.at_batches(8))
    np.testing.assert_array_equal(learn.recorder.hps['mom'], s.momentum(np.arange(16) / 8))
    inference(learn, row)

def test_early_stopping_stops_the_schedule_part_way_and_the_next_fit_starts_over(tmp_path):
    s = cosine(1e-2, 0., 4)
    learn = learner(tmp_path, s.to_fastai())
    stop = EarlyStoppingCallback(monitor='valid_loss', min_delta=1e9, patience=0)   # no epoch improves enough
    with learn.no_logging(): learn.fit(4, cbs=stop)
    assert len(learn.recorder.lrs) == 2 * 8
    np.testing.assert_array_equal(learn.recorder.lrs, s.at_batches(8)[:16])
    with learn.no_logging(): learn.fit(4)
    np.testing.assert_array_equal(learn.recorder.lrs, s.at_batches(8))

def test_save_model_callback_then_resume_from_a_saved_epoch(tmp_path):
    s = one_cycle(1e-2, 4)
    full = learner(tmp_path, s.to_fastai())
    with full.no_logging(): full.fit(4, cbs=SaveModelCallback(every_epoch=True, fname='ep', with_opt=True))
    np.testing.assert_array_equal(full.recorder.lrs, s.at_batches(8))
    part = learner(tmp_path, s.to_fastai())
    part.load('ep_1', with_opt=True)
    with part.no_logging(): part.fit(4, start_epoch=2)
    np.testing.assert_array_equal(part.recorder.lrs, full.recorder.lrs[16:])
    for p, q in zip(part.model.parameters(), full.model.parameters()): torch.testing.assert_close(p, q)
