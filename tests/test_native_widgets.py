"""A framework's scheduler given to the explorer and the lab (issue 27), and the schedule-free panel (issue 26):
through `explore` and `lab`. The sliders start at the family the scheduler is, or at the nearest one beside its own
curve; the panel shows the averaging weight while the optimizer is schedule-free, and is hidden (nothing computed)
otherwise."""
import html
import numpy as np
import pytest
torch = pytest.importorskip('torch')
from torch.optim import lr_scheduler
from lr_tutor.explore import explore
from lr_tutor.lab import lab
from lr_tutor.markup import averaging_html
from lr_tutor.native import from_native
from lr_tutor.schedules import cosine, one_cycle, step_decay

def optimizer(lr=.1):
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr, momentum=.9)

def test_a_scheduler_that_is_a_family_starts_the_sliders_at_its_values():
    ex = explore(lr_scheduler.CosineAnnealingLR(optimizer(), T_max=300, eta_min=1e-4), steps_per_epoch=30, framework='pytorch')
    assert ex.schedule == cosine(.1, 1e-4, 10) and ex.sliders['lr_max'].value == .1
    assert [c.label for c in ex.schedule_plot.curves] == ['cosine']              # no curve of its own: it is this one
    assert 'is cosine(lr_max=0.1, lr_min=0.0001, n_epochs=10) exactly' in ex.note.value
    assert html.escape(ex.schedule.to_code('pytorch', 30)) in ex.code.value      # its code, at the batches it was read at

def test_a_scheduler_that_is_no_family_is_drawn_beside_the_nearest():
    sched = lr_scheduler.LambdaLR(optimizer(), lambda k: 1 / (1 + k / 50) ** .5)
    ex = explore(sched, steps_per_epoch=50, total_steps=1000)
    mine, theirs = ex.schedule_plot.curves
    assert theirs.label == 'yours' and theirs.ghost and not mine.ghost
    rates = from_native(sched, 50, 1000).rates
    np.testing.assert_allclose(ex.brought.traced.rates, rates)                   # the user's curve, as the scheduler runs
    off = np.max(np.abs(ex.schedule.at_batches(50) - rates)) / rates.max()
    assert f'differ from yours by up to {off:.2%}'.replace('.00%', '%') in ex.note.value and 'fitted to your curve' in ex.note.value
    ex.sliders[next(iter(ex.sliders))].value *= 1.5                              # the sliders move; the user's curve stays
    assert ex.schedule_plot.curves[1] is theirs

def test_the_lab_brings_a_scheduler_in_at_its_tasks_batches():
    L = lab(lr_scheduler.OneCycleLR(optimizer(), max_lr=.3, total_steps=240), 'spiral', prefetch=False)
    spe = L.task.steps_per_epoch
    assert L.schedule.family == 'one_cycle' and L.schedule.n_batches(spe) == 240
    assert [c.label for c in L.schedule_plot.curves] == ['now', 'yours'] and 'OneCycleLR' in L.note.value
    L.pin()                                                                      # a pin keeps its colour: the runs' own
    assert [c.label for c in L.schedule_plot.curves][-1] == 'yours'
    plain = lab(lr_scheduler.StepLR(optimizer(), 60, .5), 'spiral', prefetch=False)     # no end of its own: the task's length
    assert plain.schedule == step_decay(.1, .5, 60 / spe, plain.task.n_epochs)
    assert f'over {plain.task.n_epochs * spe:,} steps' in plain.note.value

def test_the_schedule_free_panel_follows_the_optimizer_and_the_sliders():
    L = lab(one_cycle(.3, 20), 'spiral', optimizer='schedule_free_adamw', prefetch=False)
    spe = L.task.steps_per_epoch
    assert L.averaging.layout.display is None and L.averaging.value == averaging_html(L.schedule, spe, 'schedule_free_adamw')
    L.sliders['pct_start'].value = .5
    assert L.averaging.value == averaging_html(L.schedule, spe, 'schedule_free_adamw')
    L.optimizer.value = 'sgd'                                                    # not schedule-free: hidden, empty
    assert L.averaging.layout.display == 'none' and L.averaging.value == ''
    L.sliders['pct_start'].value = .3
    assert L.averaging.value == ''
