"""The explorer's framework choice in JupyterLab in Chromium (issue 27): choosing a framework beside the code box
shows `to_code(framework, steps_per_epoch)` of the explorer's schedule, under its exactness label, and a key press
on a slider then shows the new schedule's code in that framework. A second explorer, for a schedule-free optimizer,
shows the averaging panel; nothing on the page goes wrong."""
import json, re
import pytest
from conftest import ARTIFACTS, notebook_page, page_problems, served_copy, slider_handle, wait_for_figure
from lr_tutor import schedules
from lr_tutor.native.core import write

SPE = 7
CELLS = [f'''from lr_tutor.explore import explore
from lr_tutor.schedules import one_cycle
ex = explore(one_cycle(lr_max=1e-3, n_epochs=10), steps_per_epoch={SPE})
ex''', '''explore('wsd', optimizer='schedule_free_adamw', steps_per_epoch=20)''']

@pytest.fixture(scope='module')
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp('source')
    nb = {'cells': [{'cell_type': 'code', 'execution_count': None, 'id': f'c{i}', 'metadata': {}, 'outputs': [],
                     'source': source} for i, source in enumerate(CELLS)],
          'metadata': {'kernelspec': {'display_name': 'Python 3 (ipykernel)', 'language': 'python', 'name': 'python3'}},
          'nbformat': 4, 'nbformat_minor': 5}
    (folder / 'framework.ipynb').write_text(json.dumps(nb))
    yield from served_copy(tmp_path_factory, folder / 'framework.ipynb', 'framework.ipynb')

def shown_schedule(code:str):
    "The schedule a framework's code box names on its first line (`# one_cycle(lr_max=..., ...)`)."
    first = code.splitlines()[0]
    assert first.startswith('# '), code[:200]
    return eval(first[2:], vars(schedules))

def test_the_framework_choice_writes_the_code_box(server):
    with notebook_page(server, 'framework.ipynb', height=1400) as page:
        wait_for_figure(page)
        explorer = page.locator('.lr-tutor-explorer').first
        code = explorer.locator('.lr-tutor-code')
        pre, label = code.locator('pre'), code.locator('.lr-tutor-code-label')
        assert pre.inner_text() == schedules.one_cycle(lr_max=1e-3, n_epochs=10).code()
        choice = explorer.locator('.lr-tutor-framework select')
        for framework in ('pytorch', 'keras', 'fastai'):
            choice.select_option(framework)
            # the widget's element: its HTML (label and code) is replaced as a whole
            page.wait_for_function("([el, fw]) => el.innerText.startsWith(fw + ':')", arg=[code.element_handle(), framework],
                                   timeout=20_000)
            s = shown_schedule(pre.inner_text())
            assert s == schedules.one_cycle(lr_max=1e-3, n_epochs=10)
            assert pre.inner_text() == s.to_code(framework, SPE), framework
            assert write(s, framework, SPE).label in label.inner_text()
        handle = slider_handle(page, 'lr_max', explorer)
        handle.focus()
        page.keyboard.press('ArrowRight')                  # the code follows the slider, in the framework chosen
        page.wait_for_function("(el) => /# one_cycle\\(lr_max=0\\.0011/.test(el.innerText)", arg=code.element_handle(),
                               timeout=20_000)
        page.wait_for_timeout(500)                         # the kernel's own answer after the frame drawn ahead
        s = shown_schedule(pre.inner_text())
        assert round(s.lr_max, 5) == 0.00112 and pre.inner_text() == s.to_code('fastai', SPE)
        free = page.locator('.lr-tutor-explorer').nth(1)
        assert free.locator('.lr-tutor-averaging svg polyline').count() == 1
        assert 'schedule_free_adamw averages its steps' in free.locator('.lr-tutor-averaging').inner_text()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / 'browser_framework.png'), full_page=True)
        assert page_problems(page) == []
