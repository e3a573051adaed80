"""Learning-rate schedules you can see and feel: sliders, lessons and fastai/PyTorch/Keras adapters

Modules:

- `lr_tutor.adapters`: One schedule object drives fastai's `ParamScheduler` or a `torch.optim.lr_scheduler`, per parameter group, through checkpoints, and reproduces itself exactly in each.
- `lr_tutor.controls`: The controls of a schedule: a family dropdown, a warm-up toggle, a row per parameter (its sliders, typed readouts and message line), parameters that do nothing greyed out, and an error line; the schedule they describe, and the keys and steps that frames drawn ahead are made for.
- `lr_tutor.curves`: A schedule sampled for the pixels it fills, and axis limits that stay put under small changes: what the explorer and the labs draw, as numbers (no matplotlib, no widgets).
- `lr_tutor.data`: Rock-paper-scissors photos and a synthetic image set as fastai `DataLoaders`, with a fast path that keeps the whole dataset on the device.
- `lr_tutor.engine`: What the lab trains, with no widgets: a `Run`, the `Task` protocol and its tasks (the spiral, the landscape), and `train`, many runs batched into one NumPy program.
- `lr_tutor.explore`: Move a slider and watch the learning-rate and momentum curves reshape under your hand: an explorer for every schedule family, and a way to compare them.
- `lr_tutor.finder`: The LR range test, fastai's four suggestions, how much they move from run to run, a stable choice, and an interactive picker.
- `lr_tutor.frame_view`: The figure in the page: `FrameView`, a widget that draws the PNG frames it is sent and keeps those sent ahead, and the outputs a live figure is shown through (that view, or ipympl's canvas).
- `lr_tutor.frames`: How the explorer and the labs make their frames: one per burst of changes, the next ones drawn ahead between changes, each drawn over a kept picture of what stays put.
- `lr_tutor.keras_adapter`: Per epoch for `LearningRateScheduler`, or per batch as a `LearningRateSchedule` with momentum: the same schedule in Keras, without torch or fastai.
- `lr_tutor.lab`: Move a slider and a real network retrains under your hand: the explorer's sliders drive a training run whose loss, accuracy and decision regions reshape as fast as the schedule curve.
- `lr_tutor.lab_photos`: Your schedule against one-cycle, on the photos: a Train button fits a fastai Learner on the rock-paper-scissors photos with the schedule under the sliders, live, and keeps every run to compare.
- `lr_tutor.lab_shell`: What every lab is, whatever trains its runs: the explorer's controls with each family starting where the task trains well, the schedule panel, the optimizer and seeds toggles, the training view and a table.
- `lr_tutor.live_plot`: The explorer's figure, the learning rate above the momentum, redrawn in place as the sliders move: `CurvesFigure` draws it, blitting the curves over kept axes, and `LivePlot` shows it live in the page, one frame per burst of changes, and draws ahead.
- `lr_tutor.markup`: The HTML lr_tutor's widgets write: error lines in one colour, tables whose rows wear their curve's colour, a schedule's readouts and its code.
- `lr_tutor.photos`: The photos trained for real, with no widgets: the CPU and GPU tiers, their loaders, a fastai `Learner` fitted with a schedule while a callback records every batch and hears Stop, and the `Photos` task the lab draws it as.
- `lr_tutor.run_plot`: What the labs draw of their runs: the training loss per step, the test metric per epoch and the task's own panel (decision regions, or the path on the loss surface), pinned runs as faint ghosts, drawn as PNG frames over kept axes.
- `lr_tutor.schedules`: Learning-rate schedules as pure functions of training progress, measured in epochs.
- `lr_tutor.sliders`: A widget for every schedule parameter, from its `Param`: log, linear and integer sliders that keep values exact and widen instead of clamping, a 0 toggle for a floor rate, a slider per element of a tuple, and a readout beside each slider that takes a typed value.
- `lr_tutor.sweep`: Schedules × rates × seeds on Ray Tune, on a laptop or a cluster: the evidence as a table and a robustness map.
- `lr_tutor.training`: Learners and a small experiment runner shared by the lessons: same model, same data, several schedules, several seeds."""

__version__ = "0.1.0"

# Here, before any lr_tutor module imports fastai: fastai scripts a few functions with torch.jit.script, which
# recent torch flags as deprecated. That one warning, from a dependency, would open every lesson with a warning box.
import warnings as _warnings
_warnings.filterwarnings('ignore', message=r'.torch\.jit\.script. is deprecated', category=FutureWarning)

import sys as _sys
if _sys.platform == 'emscripten':
    # In the browser (Pyodide) matplotlib rebuilt its font list at every start (1.5 s, and a notice on stderr):
    # Pyodide 0.27's matplotlib reads it from its own folder, where it ships one of another version (390, for 330).
    # The site's build made the list with the same matplotlib (scripts/build_lite.py): put it where matplotlib looks.
    def _prime_font_list():
        import json
        from pathlib import Path
        import matplotlib
        for made in Path(__file__).with_name('browser').glob(f'matplotlib-{matplotlib.__version__}-fontlist-v*.json'):
            version = int(made.stem.rsplit('-v', 1)[1])
            for where in (Path(matplotlib.__file__).with_name('fontlist.json'),            # Pyodide's matplotlib
                          Path(matplotlib.get_cachedir()) / f'fontlist-v{version}.json'):  # matplotlib's own place
                try: current = json.loads(where.read_text()).get('_version') == version
                except (OSError, ValueError): current = False
                if not current: where.write_bytes(made.read_bytes())
    _prime_font_list()

def __getattr__(name):
    # `from lr_tutor import from_native, to_code`: loaded on first use, and importing no framework (lr_tutor.native)
    if name in ('from_native', 'to_code'):
        from lr_tutor.native import core
        return getattr(core, name)
    raise AttributeError(f"module 'lr_tutor' has no attribute {name!r}")
