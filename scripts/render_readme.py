"""Render README.md from nbs/index.ipynb (nbdev-readme needs Quarto, which cannot be installed everywhere).
Markdown cells are copied, code cells become fenced Python followed by the text they printed, `#| hide` cells
are left out, and every relative link (a lesson `06_one_cycle.ipynb`, a picture `images/gallery.png`) becomes an
absolute URL into the repository named by pyproject.toml's `Repository` URL, branch main: the README is also
the wheel's long description, its PyPI page, where a relative link leads nowhere.
Run: python scripts/render_readme.py          (writes README.md)
     python scripts/render_readme.py --check  (exit 1 if README.md is out of date)"""
import json, re, sys, tomllib
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parent.parent
HEADER = '<!-- Generated from nbs/index.ipynb by scripts/render_readme.py: edit the notebook, not this file. -->\n\n'
BRANCH = 'main'
IMAGE_EXTS = ('.png', '.jpg', '.jpeg', '.gif', '.svg', '.webp')

def directives(src):
    return {m.group(1) for m in re.finditer(r'^#\|\s*([\w-]+)', src, re.M)}

def repository():
    "The GitHub repository URL pyproject.toml gives (no trailing slash)."
    urls = tomllib.loads((ROOT / 'pyproject.toml').read_text())['project']['urls']
    return urls['Repository'].rstrip('/')

def absolute(target, nb_dir='nbs', repo=None):
    "The URL of a link `target` written relative to nbs/: pictures as raw files, the rest as GitHub pages."
    path, _, anchor = target.partition('#')
    rel = PurePosixPath(nb_dir, path)
    parts = []
    for p in rel.parts:   # resolve '..' without touching the disk
        if p == '..': parts.pop()
        elif p != '.': parts.append(p)
    rel = '/'.join(parts)
    repo = repo or repository()
    if rel.lower().endswith(IMAGE_EXTS):
        owner_name = repo.split('github.com/', 1)[1]
        return f'https://raw.githubusercontent.com/{owner_name}/{BRANCH}/{rel}'
    kind = 'tree' if (ROOT / rel).is_dir() else 'blob'
    return f'{repo}/{kind}/{BRANCH}/{rel}' + (f'#{anchor}' if anchor else '')

LINK = re.compile(r'(!?\[[^\]]*\]\()(?!https?:|#|mailto:)([^)\s]+)(\))')

def outputs_text(cell):
    "What a code cell printed (streams, and the text of its result), as it shows in Jupyter."
    texts = []
    for out in cell.get('outputs', []):
        if out.get('output_type') == 'stream' and out.get('name') == 'stdout': texts.append(''.join(out['text']))
        elif out.get('output_type') == 'execute_result' and 'text/plain' in out.get('data', {}):
            texts.append(''.join(out['data']['text/plain']) + '\n')
    return ''.join(texts).rstrip()

def render(nb_path=ROOT / 'nbs' / 'index.ipynb'):
    nb = json.loads(nb_path.read_text())
    repo, parts = repository(), []
    for cell in nb['cells']:
        src = ''.join(cell['source']).strip()
        if not src or directives(src) & {'hide', 'notest-readme'}: continue
        if cell['cell_type'] == 'markdown':
            parts.append(LINK.sub(lambda m: m.group(1) + absolute(m.group(2), repo=repo) + m.group(3), src))
        elif cell['cell_type'] == 'code':
            code = '\n'.join(l for l in src.splitlines() if not l.startswith('#|')).strip()
            if code: parts.append(f'```python\n{code}\n```')
            if code and (printed := outputs_text(cell)): parts.append(f'```\n{printed}\n```')
    return HEADER + '\n\n'.join(parts) + '\n'

if __name__ == '__main__':
    text, readme = render(), ROOT / 'README.md'
    if '--check' in sys.argv:
        if readme.read_text() != text:
            sys.exit('README.md is out of date with nbs/index.ipynb: run python scripts/render_readme.py')
        print('README.md matches nbs/index.ipynb')
    else:
        readme.write_text(text); print('wrote', readme)
