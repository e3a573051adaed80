"""Learning-rate schedules you can see and feel: sliders, lessons and fastai/PyTorch/Keras adapters

Modules:

- `lr_tutor.data`: Rock-paper-scissors photos and a synthetic image set as fastai `DataLoaders`, with a fast path that keeps the whole dataset on the device."""

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
