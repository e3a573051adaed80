"""The explorer and the spiral lab in each Jupyter a learner may open, used as a person would: JupyterLab
(`jupyter lab`) and Notebook 7 (`jupyter notebook`), each with default settings, run one notebook that holds both
(tests/browser_frontends.ipynb) in headless Chromium. In each: both render; → on `lr_max` moves it one step of its
grid and a drag moves it further, and each time the figure and the code follow; the page shows no traceback, nothing
on stderr and no widget that failed. The JupyterLite site gets the same checks in tests/test_lite.py, which builds it.

A plain ipywidgets slider beside them shows what `lr_tutor.slider_keys` works around: Notebook 7 gives its → to a
command-mode shortcut (it does not move), JupyterLab to the slider. On lr_tutor's sliders only the slider's keys are
kept: B still inserts a cell below, as in command mode anywhere. Screenshots go to test-artifacts/."""
import pytest
from conftest import (ARTIFACTS, FRONT_ENDS, ROOT, follow_key_and_drag, notebook_page, page_problems, served_copy,
                      slider_handle, wait_for_figure)

FIXTURE = ROOT / 'tests' / 'browser_frontends.ipynb'
# where a plain slider's → goes: to the slider in JupyterLab, to Notebook's command-mode shortcut in Notebook 7
PLAIN_SLIDER_AFTER_KEY = {'lab': .6, 'notebook': .5}

@pytest.fixture(scope='module', params=FRONT_ENDS)
def server(request, tmp_path_factory):
    yield from served_copy(tmp_path_factory, FIXTURE, 'frontends.ipynb', app=request.param)

def test_explorer_and_lab_follow_a_key_press_and_a_drag(server):
    ARTIFACTS.mkdir(exist_ok=True)
    with notebook_page(server, 'frontends.ipynb', height=1200) as page:
        try:
            wait_for_figure(page)
            wait_for_figure(page, '.lr-tutor-lab-figure')
            explorer, lab = page.locator('.lr-tutor-explorer'), page.locator('.lr-tutor-lab')
            start, keyed, dragged = follow_key_and_drag(page, explorer, explorer.locator('.lr-tutor-figure'))
            assert (start, keyed) == (1e-3, .00112) and dragged < keyed, (start, keyed, dragged)
            start, keyed, dragged = follow_key_and_drag(page, lab, lab.locator('.lr-tutor-lab-figure'))
            assert (start, keyed) == (.5, .562) and dragged < keyed, (start, keyed, dragged)

            plain = slider_handle(page, 'plain', root=page.locator('.jp-OutputArea-output').last)
            plain.focus()
            page.keyboard.press('ArrowRight')
            page.wait_for_timeout(500)
            value = float(plain.get_attribute('aria-valuetext'))
            assert value == PLAIN_SLIDER_AFTER_KEY[server.app], \
                f'{server.app}: a plain slider went from 0.5 to {value} on →: where the key goes has changed'
            # other keys keep their shortcuts on lr_tutor's sliders: B, in command mode, inserts a cell below
            cells = page.locator('.jp-Notebook .jp-Cell').count()
            slider_handle(page, 'lr_max', explorer).focus()
            page.keyboard.press('b')
            page.wait_for_function(f"() => document.querySelectorAll('.jp-Notebook .jp-Cell').length === {cells + 1}",
                                   timeout=10_000)
            assert page_problems(page) == []
        finally: page.screenshot(path=str(ARTIFACTS / f'frontends_{server.app}.png'), full_page=True)
