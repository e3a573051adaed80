"""The lab, used as a person would: JupyterLab in headless Chromium runs a notebook that shows a lab on the
spiral; a key press on the lr_max slider must retrain: the training view's pixels change (from the frame
trained and drawn ahead for that step), its readouts (final loss, test accuracy) follow, and so does the code.

Screenshots go to test-artifacts/ at the repository root."""
import re, time
import pytest
from conftest import (ARTIFACTS, ROOT, notebook_page, served_copy, pixels, slider_handle, stable_shot,
                      wait_for_figure)

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
        page.keyboard.press('ArrowRight')          # 10^0.05 up: 0.561
        deadline, after = time.time() + 30, before
        while time.time() < deadline and after == before:
            time.sleep(.1)
            after = figure.screenshot()
        after = stable_shot(figure)
        (ARTIFACTS / 'browser_lab_after.png').write_bytes(after)
        page.screenshot(path=str(ARTIFACTS / 'browser_lab_page.png'))
        changed = (pixels(before) != pixels(after)).any(axis=-1).sum()
        assert changed > 500, f'the training view did not change after the key press ({changed} pixels differ)'
        page.wait_for_function("(el) => el.innerText.includes('lr_max=0.561,')", arg=code.element_handle(), timeout=10_000)
        assert canvas.get_attribute('data-hits') == '1', canvas.get_attribute('data-hits')    # shown from a frame ahead
        page.wait_for_function("([el, old]) => el.innerText !== old", arg=[readouts.element_handle(), text_before],
                               timeout=10_000)
        # the readouts are those of the run for the new rate, computed here the same way
        from lr_tutor.lab import train
        from lr_tutor.schedules import one_cycle
        run = train('spiral', one_cycle(lr_max=.561, n_epochs=20))
        text = readouts.inner_text().replace('\xa0', ' ')
        assert f'final loss {run.final_loss:.3g}' in text and f'test accuracy {run.final_accuracy:.1%}' in text, text
