"""The course reads as a course: every lesson in nbs/course/ opens with its box (what you will learn, what you need,
which data made its saved numbers), has two or more exercises whose checks ran and whose answers are collapsed,
ends with what to take away, links the papers it draws on and the glossary, and its saved numbers come from the
learner's default data (the bundled sample), unless the box says otherwise."""
import importlib.util, re
from pathlib import Path
import nbformat, pytest

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / 'nbs' / 'course'
_spec = importlib.util.spec_from_file_location('execute_notebooks', ROOT / 'scripts' / 'execute_notebooks.py')
ex = importlib.util.module_from_spec(_spec); _spec.loader.exec_module(ex)
LESSONS = sorted(p for p in COURSE.glob('[0-9][0-9]_*.ipynb'))
EXERCISES_OPTIONAL = ('recap',)   # the recap gathers the course's findings; it asks nothing new

def markdown(nb) -> str: return '\n'.join(c.source for c in nb.cells if c.cell_type == 'markdown')

def test_the_course_has_lessons_and_a_glossary():
    assert len(LESSONS) >= 5, LESSONS
    assert (COURSE / 'glossary.ipynb').exists(), 'nbs/course/glossary.ipynb: the glossary the lessons link to'

@pytest.mark.parametrize('path', LESSONS, ids=lambda p: p.stem)
def test_lesson_box(path):
    nb = nbformat.read(path, as_version=4)
    top = '\n'.join(c.source for c in nb.cells[:3] if c.cell_type == 'markdown').lower()
    for part in ('what you will learn', 'what you need', 'data'):
        assert part in top, f'{path.name}: its box at the top has no "{part}"'

@pytest.mark.parametrize('path', LESSONS, ids=lambda p: p.stem)
def test_lesson_takeaways_papers_glossary(path):
    text = markdown(nbformat.read(path, as_version=4))
    assert re.search(r'^#+ .*what to take away', text, re.I | re.M), f'{path.name}: no "What to take away" heading'
    assert 'glossary.ipynb' in text, f'{path.name}: no link to the glossary'
    if not any(k in path.stem for k in EXERCISES_OPTIONAL):
        assert re.search(r'arxiv\.org/abs/\d{4}\.\d{4,5}', text), f'{path.name}: no paper linked by its arXiv address'

@pytest.mark.parametrize('path', [p for p in LESSONS if not any(k in p.stem for k in EXERCISES_OPTIONAL)],
                         ids=lambda p: p.stem)
def test_lesson_exercises(path):
    "Two or more exercises: a check that ran (its saved output says its verdict) and an answer collapsed in <details>."
    nb = nbformat.read(path, as_version=4)
    checks = [c for c in ex.code_cells(nb) if 'check_answer(' in c.source]
    assert len(checks) >= 2, f'{path.name}: {len(checks)} exercise checks (check_answer), at least 2 wanted'
    for c in checks:
        said = ''.join(o.get('text', '') for o in c.get('outputs', []))
        assert re.search(r'^(No answer yet|Not yet|Right)', said, re.M), f'{path.name}: a check saved no verdict: {c.source[:80]!r}'
    answers = re.findall(r'<details>.*?</details>', markdown(nb), re.S)
    assert len(answers) >= len(checks), f'{path.name}: {len(checks)} exercises but {len(answers)} collapsed answers (<details>)'

@pytest.mark.parametrize('path', LESSONS, ids=lambda p: p.stem)
def test_saved_numbers_from_the_learners_data(path):
    "The saved outputs come from the bundled sample (what a learner's default run uses), or the box says they do not."
    nb = nbformat.read(path, as_version=4)
    said = '\n'.join(t for _, t in _texts(nb))
    if 'the bundled sample' not in said and 'photo' in said: 
        top = '\n'.join(c.source for c in nb.cells[:3] if c.cell_type == 'markdown')
        assert re.search(r'saved numbers (come|are) from', top, re.I), \
            f'{path.name}: its outputs do not come from the bundled sample and its box does not say which data made them'

def _texts(nb):
    for i, cell in enumerate(ex.code_cells(nb)):
        for out in cell.get('outputs', []):
            if 'text' in out: yield i, ''.join(out['text'])
            for mime, data in out.get('data', {}).items():
                if mime.startswith('text/'): yield i, data if isinstance(data, str) else ''.join(data)

def test_every_glossary_link_has_its_entry():
    "A lesson's link to glossary.ipynb#term lands on an entry (`<a id=\"term\"></a>` in the glossary)."
    glossary = markdown(nbformat.read(COURSE / 'glossary.ipynb', as_version=4))
    anchors = set(re.findall(r'<a id="([^"]+)"></a>', glossary))
    missing = {f'{p.stem}: #{a}' for p in [*LESSONS, COURSE / 'glossary.ipynb']
               for a in re.findall(r'glossary\.ipynb#([\w-]+)', markdown(nbformat.read(p, as_version=4)))
               if a not in anchors}
    missing |= {f'glossary: #{a}' for a in re.findall(r'\]\(#([\w-]+)\)', glossary) if a not in anchors}
    assert not missing, f'links to glossary entries that do not exist: {sorted(missing)}'

def test_links_between_notebooks_resolve():
    "Every relative link to a notebook from a lesson or the glossary names a notebook that exists."
    broken = []
    for p in [*LESSONS, COURSE / 'glossary.ipynb']:
        for target in re.findall(r'\]\(((?:\.\./)?[\w/.-]+\.ipynb)(?:#[\w-]+)?\)', markdown(nbformat.read(p, as_version=4))):
            if not (p.parent / target).exists(): broken.append(f'{p.stem} -> {target}')
    assert not broken, broken
