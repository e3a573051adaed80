"""Keras per batch with real Keras 3 on PyTorch (no TensorFlow): momentum through `beta_1` for Adam, and the
callback's checks when `fit` starts."""
import os
os.environ['KERAS_BACKEND'] = 'torch'     # before keras is imported
import numpy as np
import pytest
keras = pytest.importorskip('keras')
from lr_tutor.schedules import one_cycle, cosine

def fit(opt, s, spe=4, epochs=None, callbacks=()):
    "A linear regression of 8 * spe samples, 8 a batch, under `opt`; what each batch trained at."
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer=opt, loss='mse')
    x = np.random.default_rng(0).normal(size=(8 * spe, 2)).astype('float32')
    seen = []
    class Seen(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            o = self.model.optimizer
            seen.append((float(o.learning_rate), getattr(o, 'beta_1', None)))
    model.fit(x, x.sum(1, keepdims=True), batch_size=8, epochs=epochs or int(np.ceil(s.n_epochs)), verbose=0,
              callbacks=[*callbacks, Seen()])
    return model, seen

def test_adam_beta_1_follows_the_momentum_schedule():
    s, spe = one_cycle(1e-2, 2), 4
    sched = s.to_keras(steps_per_epoch=spe)
    _, seen = fit(keras.optimizers.Adam(learning_rate=sched), s, spe, callbacks=[sched.callback()])
    lrs, betas = map(np.array, zip(*seen))
    np.testing.assert_allclose(lrs, s.at_batches(spe), rtol=1e-6)
    np.testing.assert_array_equal(betas, s.momentum(np.arange(s.n_batches(spe)) / spe))

def test_a_schedule_without_momentum_leaves_it_alone():
    s, spe = cosine(1e-2, 0., 2), 4
    sched = s.to_keras(steps_per_epoch=spe)
    _, seen = fit(keras.optimizers.Adam(learning_rate=sched, beta_1=.8), s, spe, callbacks=[sched.callback()])
    assert {b for _, b in seen} == {.8}

def test_checks_when_fit_starts():
    s, spe = one_cycle(1e-2, 2), 4
    sched = s.to_keras(steps_per_epoch=spe)
    with pytest.raises(ValueError, match=r'SGD\(momentum=0\) keeps no momentum to schedule'):
        fit(keras.optimizers.SGD(learning_rate=sched), s, spe, callbacks=[sched.callback()])
    with pytest.raises(ValueError, match='The optimizer does not follow this schedule'):
        fit(keras.optimizers.SGD(learning_rate=1e-2, momentum=.9), s, spe, callbacks=[sched.callback()])
    with pytest.raises(ValueError, match=r'would train 3 epochs from epoch 0, but this 2-epoch schedule has 8 steps left'):
        fit(keras.optimizers.SGD(learning_rate=sched, momentum=.9), s, spe, epochs=3, callbacks=[sched.callback()])

def test_get_config_is_plain_data_that_from_config_rebuilds():
    sched = one_cycle(1e-2, 2).to_keras(steps_per_epoch=3)
    assert sched.get_config() == {'schedule': {'family': 'one_cycle', 'params': {
        'lr_max': 1e-2, 'n_epochs': 2, 'pct_start': .25, 'div': 25., 'div_final': 1e5,
        'moms': {'tuple': [.95, .85, .95]}, 'anneal': 'cos'}}, 'steps_per_epoch': 3}
    assert type(sched).from_config(sched.get_config()) == sched
