"""The reference's family x framework table, measured: for each family (at its defaults, and warmup/join of them),
every form `to_code` writes for each framework runs in that framework (tests/native_frameworks.py, the tests'
own runners), and the table records its kind, what it is built with and the largest difference measured.

    python scripts/native_table.py            # measure and write nbs/reference/native_table.json
    python scripts/native_table.py --check    # measure and fail if the file differs (tests/test_native_api.py)
"""
import json, os, sys
from pathlib import Path
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'tests'))
os.environ.setdefault('KERAS_BACKEND', 'torch')
TABLE = ROOT / 'nbs' / 'reference' / 'native_table.json'
STEPS = (4, 7)     # at 4 batches an epoch every default lands on whole batches; at 7 some pieces fall between batches

def cases():
    from lr_tutor.schedules import FAMILIES, warmup, join, cosine, constant
    out = {name: make() for name, make in FAMILIES.items()}
    out['warmup'] = warmup(cosine(), 1, .1)
    out['join'] = join(constant(1e-2, 5), cosine(1e-2, 0., 25))
    return out

def measure() -> dict:
    "{steps_per_epoch: {family: {framework: [[kind, api, measured difference (fraction of the peak rate)], ...]}}}"
    from lr_tutor.native import forms, difference, FRAMEWORKS, EXACT
    from native_frameworks import run
    table = {}
    for spe in STEPS:
        rows = table[str(spe)] = {}
        for name, s in cases().items():
            row = rows[name] = {'schedule': repr(s)}
            for fw in FRAMEWORKS:
                if fw == 'lr_tutor': continue
                cells = []
                for form in forms(s, fw, spe):
                    ran = run(fw, form.code, spe, s.n_batches(spe))
                    got = difference(ran.rates, None, s, spe).lr
                    cells.append([form.kind, form.api, float(f'{got:.2g}') if got > EXACT else 0.])
                row[fw] = cells
    return table

if __name__ == '__main__':
    table = measure()
    text = json.dumps(table, indent=1, ensure_ascii=False) + '\n'
    if '--check' in sys.argv:
        if not TABLE.exists() or TABLE.read_text() != text:
            sys.exit(f'{TABLE.relative_to(ROOT)} is not what the frameworks measure now: run python scripts/native_table.py')
        print('native table: fresh')
    else:
        TABLE.write_text(text)
        print(f'wrote {TABLE.relative_to(ROOT)}')
