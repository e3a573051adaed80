"""Learning-rate schedules you can see and feel: sliders, lessons and fastai/PyTorch/Keras adapters

Modules:

- `lr_tutor.data`: Rock-paper-scissors photos and a synthetic image set as fastai `DataLoaders`, with a fast path that keeps the whole dataset on the device."""

__version__ = "0.1.0"

# Here, before any lr_tutor module imports fastai: fastai scripts a few functions with torch.jit.script, which
# recent torch flags as deprecated. That one warning, from a dependency, would open every lesson with a warning box.
import warnings as _warnings
_warnings.filterwarnings('ignore', message=r'.torch\.jit\.script. is deprecated', category=FutureWarning)
