"""`compare` as a learner meets it in 02: three explorers' sliders in tabs beside the figure they redraw. At 1000
and 1400 px, 720 px high, every slider of the open tab is on screen together with the figure, no label is cut,
and the readouts table fits the output.

Screenshots go to test-artifacts/ at the repository root."""
import json, time
import pytest
from conftest import (ARTIFACTS, BOX_JS, CUT_LABELS_JS, KERNELSPEC, VISIBLE_AREA_JS, JupyterLab, inside, need_browser,
                      notebook_page, wait_for_figure)

CELL = '''from lr_tutor.explore import explore, compare
from lr_tutor.schedules import one_cycle, sgdr, step_decay
three = [one_cycle(lr_max=1e-2, n_epochs=15), sgdr(lr_max=1e-2, cycle_len=1, cycle_mult=2, n_cycles=4),
         step_decay(lr=1e-2, drop=.3, every=5, n_epochs=15)]
compare(*[explore(s, plot=False) for s in three], log=True)       # as lesson 02 shows it'''

@pytest.fixture(scope='module')
def server(tmp_path_factory):
    need_browser()
    folder = tmp_path_factory.mktemp('compare')
    nb = {'cells': [{'cell_type': 'code', 'execution_count': None, 'id': 'a1b2c3d4', 'metadata': {}, 'outputs': [], 'source': CELL}],
          'metadata': {'kernelspec': KERNELSPEC}, 'nbformat': 4, 'nbformat_minor': 5}
    (folder / 'compare.ipynb').write_text(json.dumps(nb))
    with JupyterLab(folder) as lab: yield lab

@pytest.mark.parametrize('width', [1000, 1400])
def test_the_tabs_sliders_and_the_figure_on_one_screen(server, width):
    ARTIFACTS.mkdir(exist_ok=True)
    with notebook_page(server, 'compare.ipynb', height=720, width=width) as page:
        wait_for_figure(page, '.lr-tutor-compare .lr-tutor-figure')
        root = page.locator('.lr-tutor-compare')
        root.evaluate("(el) => el.scrollIntoView({block: 'start'})")
        time.sleep(1)
        page.screenshot(path=str(ARTIFACTS / f'browser_compare_{width}px.png'))
        figure = root.locator('.lr-tutor-figure canvas').first
        handles = root.locator('.widget-tab .widget-slider .noUi-handle:visible')
        assert handles.count() >= 8, handles.count()
        for i in range(handles.count()):
            handles.nth(i).focus()
            area = root.evaluate(VISIBLE_AREA_JS)
            for el in (handles.nth(i), figure):
                assert inside(el.evaluate(BOX_JS), area), (i, el, el.evaluate(BOX_JS), area)
        table = root.locator('.lr-tutor-readouts table').first
        output = root.evaluate("(el) => el.closest('.jp-OutputArea-output').getBoundingClientRect().right")
        assert table.evaluate(BOX_JS)[2] <= output + 1, (table.evaluate(BOX_JS), output)     # the table fits the output
        assert root.evaluate(CUT_LABELS_JS) == []
