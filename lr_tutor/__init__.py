"""Learning-rate schedules you can see and feel: sliders, lessons and fastai/PyTorch/Keras adapters

Modules:

- `lr_tutor.data`: Rock-paper-scissors photos and a synthetic image set as fastai `DataLoaders`, with a fast path that keeps the whole dataset on the device."""

__version__ = "0.1.0"
