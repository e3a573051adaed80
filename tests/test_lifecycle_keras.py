"""Keras through a model's life cycle with the per-batch schedule: its config round-trips, `model.save` then
`keras.models.load_model` in a fresh process without `custom_objects`, `fit(initial_epoch=k)` continuing exactly,
ModelCheckpoint, BackupAndRestore and EarlyStopping; Keras' own `CosineDecay` in the same places is the peer."""
import json, os, subprocess, sys
from pathlib import Path
os.environ['KERAS_BACKEND'] = 'torch'     # before keras is imported
import numpy as np
import pytest
keras = pytest.importorskip('keras')
from lr_tutor.schedules import FAMILIES, one_cycle, cosine, warmup, join, multi_step
from lr_tutor.keras_adapter import schedule_config, schedule_from_config

ROOT = Path(__file__).resolve().parents[1]
SPE, EPOCHS, LR = 4, 4, .05
S = one_cycle(LR, EPOCHS)

# Shared with the fresh processes below (they exec this source): data, model, and what each batch trained at.
COMMON = '''
import os; os.environ['KERAS_BACKEND'] = 'torch'
import numpy as np
def data(spe):
    x = np.random.default_rng(0).normal(size=(8 * spe, 3)).astype('float32')
    return x, x @ np.array([[1.], [-2.], [.5]], dtype='float32')
def seen_callback(keras):
    class Seen(keras.callbacks.Callback):
        def __init__(self): super().__init__(); self.lrs, self.moms = [], []
        def on_train_batch_begin(self, batch, logs=None):
            o = self.model.optimizer
            self.lrs.append(float(o.learning_rate)); self.moms.append(float(o.momentum))
    return Seen()
def fit(keras, model, epochs, initial_epoch=0, callbacks=(), spe=4):
    x, y = data(spe)
    seen = seen_callback(keras)
    model.fit(x, y, batch_size=8, epochs=epochs, initial_epoch=initial_epoch, shuffle=False, verbose=0,
              callbacks=[*callbacks, seen])
    return seen
'''
exec(COMMON)

def model(lr):
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    m.compile(optimizer=keras.optimizers.SGD(learning_rate=lr, momentum=.9), loss='mse')
    return m

def ours(): return S.to_keras(steps_per_epoch=SPE)
def peer(): return keras.optimizers.schedules.CosineDecay(LR, EPOCHS * SPE)
def callbacks(lr): return [lr.callback()] if hasattr(lr, 'callback') else []

def test_config_round_trips_as_keras_own_schedules():
    schedules = [make() for make in FAMILIES.values()] + [
        warmup(join(one_cycle(1e-2, 2), cosine(1e-3, 0., 1)), .5), multi_step(milestones=[30, 60], n_epochs=90),
        join(warmup(S, 1), join(cosine(), S))]
    for s in schedules:
        sched = s.to_keras(steps_per_epoch=3)
        config = json.loads(json.dumps(sched.get_config()))            # what a .keras file holds
        back = type(sched).from_config(config)
        assert back == sched and back.schedule.params == s.params and type(back) is type(sched)
        np.testing.assert_array_equal(back.rates, sched.rates)
    theirs = peer()
    assert type(theirs).from_config(theirs.get_config()).get_config() == theirs.get_config()
    with pytest.raises(ValueError, match="config must be a schedule's config"):
        schedule_from_config({'family': 'os.system', 'params': {}})
    assert schedule_config(S)['params']['moms'] == {'tuple': [.95, .85, .95]}

FRESH = COMMON + '''
import json, sys
order = sys.argv[1]
if order == 'lr_tutor first': import lr_tutor.keras_adapter
import keras
if order == 'keras first': import lr_tutor.keras_adapter
from lr_tutor.schedules import one_cycle
out = {}
for name in ('ours', 'peer'):
    model = keras.models.load_model(sys.argv[2] + f'/{name}_2.keras')      # no custom_objects
    lr = model.optimizer._learning_rate
    cbs = [one_cycle(.05, 4).to_keras(steps_per_epoch=4).callback()] if name == 'ours' else []
    seen = fit(keras, model, 4, initial_epoch=2, callbacks=cbs)
    out[name] = dict(type=type(lr).__name__, lrs=seen.lrs, moms=seen.moms, weights=[w.tolist() for w in model.get_weights()])
print(json.dumps(out))
'''

def fresh(order, folder):
    env = {**os.environ, 'PYTHONPATH': os.pathsep.join(filter(None, [str(ROOT), os.environ.get('PYTHONPATH')])),
           'OMP_NUM_THREADS': '1'}
    r = subprocess.run([sys.executable, '-c', FRESH, order, str(folder)], capture_output=True, text=True, env=env, timeout=300)
    return r

def test_save_with_model_checkpoint_load_in_a_fresh_process_and_continue_exactly(tmp_path):
    full, ck = {}, lambda name: keras.callbacks.ModelCheckpoint(str(tmp_path / (name + '_{epoch}.keras')))
    for name, make in (('ours', ours), ('peer', peer)):
        m = model(make()); seen = fit(keras, m, EPOCHS, callbacks=callbacks(make()))
        full[name] = seen, m.get_weights()
        m = model(make()); fit(keras, m, 2, callbacks=[*callbacks(make()), ck(name)])   # saved after each epoch
    r = fresh('lr_tutor first', tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    got = json.loads(r.stdout.strip().splitlines()[-1])
    for name in ('ours', 'peer'):
        seen, weights = full[name]
        lr_diff = float(np.max(np.abs(np.array(got[name]['lrs']) - seen.lrs[8:])))
        w_diff = max(float(np.max(np.abs(np.array(a) - b))) for a, b in zip(got[name]['weights'], weights))
        print(f'{name}: loaded in a fresh process, fit(initial_epoch=2): largest lr difference {lr_diff:.3g}, weights {w_diff:.3g}')
        assert lr_diff == 0 and got[name]['moms'] == seen.moms[8:]
        np.testing.assert_allclose(np.concatenate([np.ravel(w) for w in got[name]['weights']]),
                                   np.concatenate([np.ravel(w) for w in weights]), rtol=1e-6, atol=1e-7)
    assert got['ours']['type'] == 'KerasBatchRates'

def test_registration_whichever_is_imported_first_and_what_keras_needs(tmp_path):
    model(ours()).save(tmp_path / 'm.keras')
    code = ("import os, sys; os.environ['KERAS_BACKEND'] = 'torch'\nimport keras\n"
            "try: keras.models.load_model(sys.argv[1]); print('loaded')\n"
            "except Exception as e: print('refused:', \"Could not locate class 'KerasBatchRates'\" in str(e))\n"
            "import lr_tutor.keras_adapter\nprint(type(keras.models.load_model(sys.argv[1]).optimizer._learning_rate).__name__)")
    env = {**os.environ, 'PYTHONPATH': str(ROOT), 'OMP_NUM_THREADS': '1'}
    out = subprocess.run([sys.executable, '-c', code, str(tmp_path / 'm.keras')], capture_output=True, text=True,
                         env=env, timeout=300).stdout.splitlines()
    # Keras 3 imports no module outside Keras to find a class: a process must import lr_tutor.keras_adapter, before or after keras
    assert out[-2] == 'refused: True' and out[-1] == 'KerasBatchRates'

def test_backup_and_restore_resumes_the_schedule_exactly(tmp_path):
    class Interrupt(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 2: raise RuntimeError('interrupted')
    for make in (ours, peer):
        full = fit(keras, model(make()), EPOCHS, callbacks=callbacks(make()))
        backup = lambda: keras.callbacks.BackupAndRestore(str(tmp_path / type(make()).__name__))
        with pytest.raises(RuntimeError, match='interrupted'):
            fit(keras, model(make()), EPOCHS, callbacks=[backup(), *callbacks(make()), Interrupt()])
        resumed = fit(keras, model(make()), EPOCHS, callbacks=[backup(), *callbacks(make())])
        assert resumed.lrs == full.lrs[8:] and resumed.moms == full.moms[8:]

def test_early_stopping_then_continue_with_initial_epoch():
    full = fit(keras, model(ours()), EPOCHS, callbacks=callbacks(ours()))
    m = model(ours())
    stop = keras.callbacks.EarlyStopping(monitor='loss', min_delta=1e9, patience=1)   # stops after 2 epochs
    first = fit(keras, m, EPOCHS, callbacks=[*callbacks(ours()), stop])
    assert first.lrs == full.lrs[:8]
    with pytest.raises(ValueError, match=r'would train 4 epochs from epoch 0, but this 4-epoch schedule has 8 steps left \(2 epochs\)'):
        fit(keras, m, EPOCHS, callbacks=callbacks(ours()))
    rest = fit(keras, m, EPOCHS, initial_epoch=2, callbacks=callbacks(ours()))
    assert rest.lrs == full.lrs[8:] and rest.moms == full.moms[8:]
