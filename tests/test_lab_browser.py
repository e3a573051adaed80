"""The lab, used as a person would: JupyterLab in headless Chromium runs a notebook that shows a lab on the
spiral; a key press on the lr_max slider must retrain: the training view's pixels change (from the frame
trained and drawn ahead for that step), its readouts (final loss, test accuracy) follow, and so does the code.

Screenshots go to test-artifacts/ at the repository root."""
import re, time
import pytest
from conftest import (ARTIFACTS, BOX_JS, CUT_LABELS_JS, ROOT, VISIBLE_AREA_JS, inside, notebook_page, served_copy, pixels,
                      slider_handle, stable_shot, wait_for_figure)

FIXTURE = ROOT / 'tests' / 'browser_lab.ipynb'

@pytest.fixture(scope='module')
def lab(tmp_path_factory): yield from served_copy(tmp_path_factory, FIXTURE, 'lab.ipynb')

def test_key_press_retrains_and_redraws(lab):
    ARTIFACTS.mkdir(exist_ok=True)
    with notebook_page(lab, 'lab.ipynb', height=1200) as page:
        wait_for_figure(page, '.lr-tutor-lab-figure')
        root = page.locator('.lr-tutor-lab')
        figure, readouts = root.locator('.lr-tutor-lab-figure'), root.locator('.lr-tutor-lab-readouts')
        code = root.locator('.lr-tutor-code')
        figure.scroll_into_view_if_needed()
        before, text_before = stable_shot(figure), readouts.inner_text()
        (ARTIFACTS / 'browser_lab_before.png').write_bytes(before)
        assert 'lr_max=0.5,' in code.inner_text()
        canvas = figure.locator('canvas').first     # the runs one step of lr_max away have been trained and sent
        page.wait_for_function("(c) => +(c.dataset.ahead || 0) >= 2", arg=canvas.element_handle(), timeout=30_000)
        assert re.search(r'final loss [\d.]+', text_before.replace('\xa0', ' ')), text_before
        handle = slider_handle(page, 'lr_max', root='.lr-tutor-lab')
        handle.focus()
        page.keyboard.press('ArrowRight')          # up one step of the grid through the decades: 10^-0.25 = 0.562
        deadline, after = time.time() + 30, before
        while time.time() < deadline and after == before:
            time.sleep(.1)
            after = figure.screenshot()
        after = stable_shot(figure)
        (ARTIFACTS / 'browser_lab_after.png').write_bytes(after)
        page.screenshot(path=str(ARTIFACTS / 'browser_lab_page.png'))
        changed = (pixels(before) != pixels(after)).any(axis=-1).sum()
        assert changed > 500, f'the training view did not change after the key press ({changed} pixels differ)'
        page.wait_for_function("(el) => el.innerText.includes('lr_max=0.562,')", arg=code.element_handle(), timeout=10_000)
        assert canvas.get_attribute('data-hits') == '1', canvas.get_attribute('data-hits')    # shown from a frame ahead
        page.wait_for_function("([el, old]) => el.innerText !== old", arg=[readouts.element_handle(), text_before],
                               timeout=10_000)
        # the readouts are those of the run for the new rate, computed here the same way
        from lr_tutor.engine import train
        from lr_tutor.schedules import one_cycle
        run = train('spiral', one_cycle(lr_max=.562, n_epochs=20))
        text = readouts.inner_text().replace('\xa0', ' ')
        assert f'final loss {run.final_loss:.3g}' in text and f'test accuracy {run.final_accuracy:.1%}' in text, text

@pytest.mark.parametrize('width', [1000, 1400])
def test_the_slider_in_use_and_the_training_view_on_one_screen(lab, width):
    """At a laptop's 1000 px and a desktop's 1400 px, 720 px high, the lab scrolled into view: every slider, focused
    as a click or Tab focuses it, is on screen together with the whole training view and its readouts (at 1400 px
    the schedule panel too); no label or button is cut ("optimi..."), nothing spills out of the output, and the
    pinned runs' table has its headers on one line each."""
    ARTIFACTS.mkdir(exist_ok=True)
    with notebook_page(lab, 'lab.ipynb', height=720, width=width) as page:
        wait_for_figure(page, '.lr-tutor-lab-figure')
        root = page.locator('.lr-tutor-lab')
        canvas = root.locator('.lr-tutor-lab-figure canvas').first
        canvas.wait_for()
        page.locator('.lr-tutor-lab button:has-text("pin")').first.click()
        page.wait_for_function("() => document.querySelector('.lr-tutor-lab-table').innerText.includes('one_cycle')", timeout=30_000)
        root.evaluate("(el) => el.scrollIntoView({block: 'start'})")
        time.sleep(1)
        page.screenshot(path=str(ARTIFACTS / f'browser_lab_{width}px.png'))
        handles = root.locator('.widget-slider .noUi-handle')
        assert handles.count() >= 8, handles.count()
        seen = [canvas, root.locator('.lr-tutor-lab-readouts').first] + ([root.locator('.lr-tutor-figure').first] if width == 1400 else [])
        for i in range(handles.count()):
            handles.nth(i).focus()              # the page scrolls the slider into view if it must
            area = root.evaluate(VISIBLE_AREA_JS)
            for el in [handles.nth(i)] + seen:
                box = el.evaluate(BOX_JS)
                assert inside(box, area), (i, el, box, area)
        output = root.evaluate("(el) => { const o = el.closest('.jp-OutputArea-output'); return [o.scrollWidth, o.clientWidth]; }")
        assert output[0] <= output[1] + 1, output                                 # nothing spills out sideways
        assert root.evaluate(CUT_LABELS_JS) == []
        heads = root.locator('.lr-tutor-lab-table th')
        assert heads.count() == 6
        lines = [h.evaluate("(el) => el.getBoundingClientRect().height / parseFloat(getComputedStyle(el).lineHeight)")
                 for h in heads.all()]
        assert max(lines) < 1.5, lines                                            # one line each
