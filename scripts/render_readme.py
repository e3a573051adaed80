"""Render README.md from nbs/index.ipynb (nbdev-readme needs Quarto, which cannot be installed everywhere).
Markdown cells are copied, code cells become fenced Python, `#| hide` cells are left out, image links are
made relative to the repository root.
Run: python scripts/render_readme.py          (writes README.md)
     python scripts/render_readme.py --check  (exit 1 if README.md is out of date)"""
import json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = '<!-- Generated from nbs/index.ipynb by scripts/render_readme.py: edit the notebook, not this file. -->\n\n'

def directives(src):
    return {m.group(1) for m in re.finditer(r'^#\|\s*([\w-]+)', src, re.M)}

def render(nb_path=ROOT / 'nbs' / 'index.ipynb'):
    nb = json.loads(nb_path.read_text())
    parts = []
    for cell in nb['cells']:
        src = ''.join(cell['source']).strip()
        if not src or directives(src) & {'hide', 'notest-readme'}: continue
        if cell['cell_type'] == 'markdown':
            parts.append(re.sub(r'\]\((?!https?:|#|/)([^)]+)\)', lambda m: f'](nbs/{m.group(1)})', src))
        elif cell['cell_type'] == 'code':
            code = '\n'.join(l for l in src.splitlines() if not l.startswith('#|')).strip()
            if code: parts.append(f'```python\n{code}\n```')
    return HEADER + '\n\n'.join(parts) + '\n'

if __name__ == '__main__':
    text, readme = render(), ROOT / 'README.md'
    if '--check' in sys.argv:
        if readme.read_text() != text:
            sys.exit('README.md is out of date with nbs/index.ipynb: run python scripts/render_readme.py')
        print('README.md matches nbs/index.ipynb')
    else:
        readme.write_text(text); print('wrote', readme)
