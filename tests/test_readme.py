"""README.md is the first page a learner reads, on GitHub and as the wheel's PyPI page (its long description):
it is what nbs/index.ipynb renders to, it opens with the install, its first code example shows its output, and
every link in the package metadata works off GitHub: absolute, and pointing at a file this checkout holds."""
import importlib.util, re, subprocess, sys
from email import message_from_string
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location('render_readme', ROOT / 'scripts' / 'render_readme.py')
rr = importlib.util.module_from_spec(_spec); _spec.loader.exec_module(rr)
LINK = re.compile(r'!?\[[^\]]*\]\(([^)\s]+)\)')

def links(markdown):
    "The targets of markdown links and pictures, outside HTML comments (notes for maintainers)."
    return LINK.findall(re.sub(r'<!--.*?-->', '', markdown, flags=re.S))

@pytest.fixture(scope='module')
def long_description(tmp_path_factory):
    "The long description setuptools writes into the wheel's METADATA, built from this checkout."
    out = tmp_path_factory.mktemp('metadata')
    code = ('import sys; from setuptools import build_meta as b; '
            'print(b.prepare_metadata_for_build_wheel(sys.argv[1]))')
    name = subprocess.run([sys.executable, '-c', code, str(out)], cwd=ROOT, capture_output=True, text=True, check=True)
    msg = message_from_string((out / name.stdout.strip().splitlines()[-1] / 'METADATA').read_text())
    assert msg['Description-Content-Type'].startswith('text/markdown')
    return msg.get_payload()

def test_readme_is_rendered_from_index():
    assert (ROOT / 'README.md').read_text() == rr.render(), 'run python scripts/render_readme.py'

def test_opens_with_the_install():
    "The first section is how to get it running: a clone and one command, for a machine without a GPU too."
    text = rr.render()
    first = re.search(r'^## (.*)$', text, re.M).group(1)
    assert first == 'Get it running', first
    section = text.split('## Get it running', 1)[1].split('\n## ', 1)[0]
    for cmd in ('git clone https://github.com/', 'bash scripts/lessons.sh ', 'bash scripts/lessons.sh --cpu'):
        assert cmd in section, cmd

def test_first_example_shows_its_output():
    text = rr.render()
    code = text.index('```python\n')
    after = text[text.index('```\n', code + 10) + 4:].lstrip('\n')
    assert after.startswith('```\none_cycle('), after[:200]

def test_links_work_on_pypi(long_description):
    "Every link of the PyPI page is absolute; those into this repository name a file (or folder) that exists."
    assert long_description.strip() == rr.render().strip()
    found = links(long_description)
    assert len(found) > 20, found
    relative = [t for t in found if not re.match(r'https?://|#|mailto:', t)]
    assert not relative, f'relative links, broken on PyPI: {relative}'
    repo = rr.repository()
    raw = repo.replace('https://github.com/', 'https://raw.githubusercontent.com/')
    missing = []
    for t in found:
        for prefix in (f'{repo}/blob/{rr.BRANCH}/', f'{repo}/tree/{rr.BRANCH}/', f'{raw}/{rr.BRANCH}/'):
            if t.startswith(prefix) and not (ROOT / t[len(prefix):].split('#')[0]).exists(): missing.append(t)
    assert not missing, f'links to files this checkout does not hold: {missing}'

def test_relative_link_becomes_absolute():
    repo = rr.repository()
    assert rr.absolute('course/03_one_cycle.ipynb', repo=repo) == f'{repo}/blob/main/nbs/course/03_one_cycle.ipynb'
    assert rr.absolute('images/lab.png', repo=repo).startswith('https://raw.githubusercontent.com/')
    assert rr.absolute('images/lab.png', repo=repo).endswith('/main/nbs/images/lab.png')
    assert rr.absolute('../lr_tutor/sample_data/rps/README.md', repo=repo) == \
        f'{repo}/blob/main/lr_tutor/sample_data/rps/README.md'
    assert rr.absolute('../scripts', repo=repo) == f'{repo}/tree/main/scripts'

def test_the_try_it_load_time_is_the_benchmarks_record():
    "The Try-it line states what bench_lite.py's last run recorded (benchmarks/lite_latency.json), and under what load."
    import json
    rec = json.loads((ROOT / 'benchmarks' / 'lite_latency.json').read_text())
    load = re.search(r'load average ([\d.]+) -> ([\d.]+)', rec['machine']).groups()
    line = next(l for l in rr.render().splitlines() if 'Try lr_tutor in your browser' in l)
    for said in (f"{min(rec['first_lab_s']):g} to {max(rec['first_lab_s']):g} s to the first lab",
                 f"{rec['machine'].split(' cores')[0]} cores", f'load average {load[0]} to {load[1]}',
                 f"{rec['anchor_first_lab_s']:g} s to start in JupyterLab on CPython", 'benchmarks/lite_latency.json'):
        assert said in line, (said, line)
