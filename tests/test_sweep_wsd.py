"""`wsd` in a sweep, with the optimizer as an axis: its Space comes from its `Param`s like every family's, the
schedule-free optimizers are accepted where the task trains with them, and every row is the run trained apart."""
import pytest
from test_sweep import local_ray, needs_ray, same_as_alone     # the session's embedded Ray and the row check
from lr_tutor.schedules import wsd
from lr_tutor.sweep import Space, plan_sweep, sweep

@needs_ray
def test_wsd_space_and_optimizer_axis_are_checked():
    s = Space(wsd, lr_max=(.05, 5.), stable=(4, 16), decay_shape=['linear', '1-sqrt'], warmup=2, decay=4)
    space = s.tune_space()
    assert 'LogUniform' in type(space['lr_max'].sampler).__name__ and type(space['decay_shape']).__name__ == 'Categorical'
    assert len(s.grid(3)) == 3 * 3 * 2 and all(4 <= g['stable'] <= 16 for g in s.grid(3))
    p = plan_sweep([s], seeds=(0, 1), optimizer=['sgd', 'schedule_free_sgd', 'schedule_free_adamw'], n=3, cpus=2)
    assert p.n_runs == 3 * 18 * 2
    with pytest.raises(ValueError, match="optimizer must be one of 'sgd', 'adam', 'schedule_free_sgd', 'schedule_free_adamw', got 'rmsprop'"):
        plan_sweep([s], optimizer='rmsprop')
    with pytest.raises(ValueError, match=r'decay must be in \[0, inf\)'): Space(wsd, decay=(-1., 2.))
    with pytest.raises(ValueError, match='decay_shape must be one of'): Space(wsd, decay_shape=['sqrt'])

def test_a_wsd_sweep_over_optimizers_gives_the_runs_trained_apart(local_ray, tmp_path):
    space = Space(wsd, lr_max=[.2, 3.], warmup=2, stable=14, decay=[0, 4])
    sw = sweep([space], task='spiral', seeds=(0, 1), optimizer=['sgd', 'schedule_free_sgd'], storage=str(tmp_path),
               progress=False)
    assert len(sw.runs) == 2 * 2 * 2 * 2 and len(sw.failures) == 0
    assert sorted(set(sw.runs.optimizer)) == ['schedule_free_sgd', 'sgd'] and set(sw.runs.family) == {'wsd'}
    same_as_alone(sw)
