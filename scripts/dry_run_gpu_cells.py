"""Run the lessons' full-size (`#| gpu`) cells on this machine, shrunk to a tiny size, before spending
device time on them.

The full-size cells of the lessons only run on a GPU (`nbdev-test --flags gpu`), and GPU time is scarce.
This script checks that they run at all: it copies each lesson, switches it to its full-size settings
(`SIZES['gpu']`, or the `SIZE` dict that a `#| gpu` cell sets), shrinks those settings to a few photos,
epochs and seeds on the CPU, keeps the architectures, and executes every cell, the `#| gpu` ones
included. What it cannot check is what only a GPU has (CUDA memory, bf16 speed), which is why
`nbs/reference/03_data.ipynb`, whose GPU cells test exactly that, is not in the list.

    python scripts/dry_run_gpu_cells.py                  # every lesson
    python scripts/dry_run_gpu_cells.py 06_one_cycle     # some lessons

The executed copies, with their plots and tables, go to `test-artifacts/dry_run/`."""
import argparse, ast, inspect, os, re, shutil, sys, time
from pathlib import Path
from fastcore.nbio import read_nb, write_nb, mk_cell
from nbdev.test import test_nb

ROOT = Path(__file__).resolve().parents[1]
LESSONS = ['reference/05_finder', 'course/03_one_cycle', 'course/04_annealing', 'course/05_fine_tuning',
           'course/06_case_study', 'course/07_optimizers']
OUT = ROOT/'test-artifacts'/'dry_run'

# A lesson picks its full size with this line in a `#| gpu` cell; the dry run picks it without a GPU. Lessons that
# ask lr_tutor.training.run_full_size / full_size_requested get it from $LR_TUTOR_FULL_SIZE=1, which main() sets.
PICK_GPU = re.compile(r"^SIZE = 'gpu' if (torch\.cuda\.is_available\(\)|full_size_requested\([^)]*\)) else 'cpu'.*$", re.M)

def shrink(cfg):
    "Make a lesson's full-size settings tiny, in place: few photos, small images, few epochs and seeds."
    tiny = dict(size=32, img_size=32, bs=16, n_per_class=12, n_valid_per_class=8, pretrain_per_class=12,
                n_epochs=2, max_epochs=3, patience=1, pretrain_epochs=1, head_epochs=1, head_cycles=2,
                full_cycles=2, finder_its=12, finder_runs=2, runs=6, group=3, device='cpu')
    for k, v in cfg.items():
        if isinstance(v, dict) and k != 'models': shrink(v)
        elif k == 'seeds': cfg[k] = type(v)(list(v)[:5])   # five: what lr_tutor.evidence's comparisons need (min_seeds)
        elif k in tiny: cfg[k] = tiny[k]
    if 'size' in cfg or 'img_size' in cfg: cfg['n_per_class'] = tiny['n_per_class']   # "every photo" too
    return cfg

def _assignment_end(source, name, nested=False):
    "The line after the top-level (or, `nested`, any) statement that assigns `name` in a cell's code, or None."
    try: tree = ast.parse(source)
    except SyntaxError: return None   # IPython magics
    return next((n.end_lineno for n in (ast.walk(tree) if nested else tree.body) if isinstance(n, ast.Assign)
                 and any(isinstance(t, ast.Name) and t.id == name for t in n.targets)), None)

def shrink_cell(target):
    "A cell that shrinks the settings `target` (code text) with `shrink`, if they are a dict, and prints what it made."
    # (a `#| gpu` cell may mention `dict(` without SIZE being settings: `load_state_dict(` in a sweep's cell)
    return mk_cell(f"{inspect.getsource(shrink)}\nif isinstance({target}, dict): shrink({target}); print('dry run:', {target})")

def dry_copy(name):
    "A copy of lesson `name` that runs its full-size cells at the tiny size, and what was changed in it."
    nb = read_nb(ROOT/'nbs'/f'{name}.ipynb')
    cells, changes = [], []
    for cell in nb.cells:
        gpu_cell = cell.cell_type == 'code' and re.search(r'^#\|\s*gpu\b', cell.source, re.M)
        if gpu_cell and PICK_GPU.search(cell.source):
            cell.source = PICK_GPU.sub("SIZE = 'gpu'  # dry run: the full size without a GPU", cell.source)
            changes.append("SIZE = 'gpu'")
        if cell.cell_type != 'code': cells.append(cell); continue
        end = _assignment_end(cell.source, 'SIZES')
        if end is not None:
            # shrink the settings right after they are written, before the rest of the cell uses them
            lines = cell.source.splitlines()
            cell.source = '\n'.join(lines[:end])
            cells += [cell, shrink_cell("SIZES['gpu']")]
            if lines[end:]: cells.append(mk_cell('\n'.join(lines[end:])))
            changes.append("shrink(SIZES['gpu'])")
            continue
        cells.append(cell)
        if gpu_cell and _assignment_end(cell.source, 'SIZE', nested=True) and 'dict(' in cell.source:
            cells.append(shrink_cell('SIZE'))
            changes.append('shrink(SIZE)')
    nb.cells = cells
    return nb, changes

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('lessons', nargs='*', default=LESSONS, help='notebooks under nbs/, without .ipynb (default: every lesson)')
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault('OMP_NUM_THREADS', '1')
    os.environ['LR_TUTOR_FULL_SIZE'] = '1'   # run_full_size: yes, here (at the tiny size)
    failed = []
    for name in args.lessons:
        nb, changes = dry_copy(name)
        if not any(c.startswith('shrink') for c in changes):
            failed.append(name); print(f'{name}: no full-size settings found to shrink'); continue
        # the copy runs next to the lessons (same folder, same relative paths); nbdev skips names starting with _
        src = ROOT/'nbs'/f'{name}.ipynb'
        copy = src.parent/f'_dry_run_{src.name}'
        write_nb(nb, copy)
        t = time.time()
        try: ok, _ = test_nb(copy, skip_flags=['notest'], save=True, basepath=ROOT)
        finally:
            if copy.exists(): shutil.move(copy, OUT/src.name)
        print(f"{name}: {'ok' if ok else 'FAILED'} in {time.time() - t:.0f} s ({', '.join(changes)})", flush=True)
        if not ok: failed.append(name)
    print(f'executed copies in {OUT.relative_to(ROOT)}/')
    if failed: sys.exit(f'dry run failed: {", ".join(failed)}')

if __name__ == '__main__': main()
