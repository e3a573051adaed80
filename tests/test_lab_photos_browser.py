"""The photos lab, used as a person would: JupyterLab in headless Chromium runs a notebook that shows the photos
lab at the CPU tier. Clicking Train with *Repeat over 3 seeds* ticked must fit the Learner live: the training view
changes frame after frame while seed 0 trains. Stop, pressed while seed 1 trains, leaves a picture that agrees with
its title (both seeds' runs, the second ending where the title says it stopped), a table row per run (the second
marked stopped), and the buttons and sliders back. At 1000 and 1400 px, the sliders, Train and Stop are on screen
together with the training view, and no label is cut.

Screenshots go to test-artifacts/ at the repository root."""
import json, re, time
import pytest
from conftest import (ARTIFACTS, BOX_JS, CUT_LABELS_JS, ROOT, VISIBLE_AREA_JS, inside, notebook_page, served_copy,
                      wait_for_figure)

FIXTURE = ROOT / 'tests' / 'browser_lab_photos.ipynb'

@pytest.fixture(scope='module')
def server(tmp_path_factory): yield from served_copy(tmp_path_factory, FIXTURE, 'lab_photos.ipynb')

def _rows(table): return table.locator('tr').count() - 1 if table.locator('tr').count() else 0

def test_train_three_seeds_live_then_stop_part_way(server):
    ARTIFACTS.mkdir(exist_ok=True)
    with notebook_page(server, 'lab_photos.ipynb', height=1300) as page:
        wait_for_figure(page, '.lr-tutor-lab-figure')
        root = page.locator('.lr-tutor-photos')
        figure, table = root.locator('.lr-tutor-lab-figure'), root.locator('.lr-tutor-photos-table')
        train, stop = root.locator('button.lr-tutor-train'), root.locator('button.lr-tutor-stop')
        status, progress = root.locator('.lr-tutor-photos-status'), root.locator('.lr-tutor-photos-progress')
        family = root.locator('.lr-tutor-controls select').first
        shown = lambda: json.loads(page.locator('.test-shown').inner_text())      # what the figures show (the fixture's)
        assert _rows(table) == 0 and stop.is_disabled() and train.is_enabled()
        root.locator('.widget-checkbox', has_text='Repeat over 3 seeds').locator('input').check()
        figure.scroll_into_view_if_needed()
        shots = [figure.screenshot()]
        train.click()
        # seed 0: new pictures of the training view while it trains, what would change the run disabled
        deadline, saw_disabled = time.time() + 120, False
        while time.time() < deadline and 'training seed 1' not in status.inner_text():
            saw_disabled = saw_disabled or (train.is_disabled() and family.is_disabled())
            shot = figure.screenshot()
            if shot != shots[-1]: shots.append(shot)
            time.sleep(.2)
        assert 'training seed 1' in status.inner_text(), f'seed 1 never started in 120 s; status: {status.inner_text()}'
        assert saw_disabled, 'Train and the family were never disabled while training'
        assert len(shots) >= 3, f'the training view changed {len(shots) - 1} times while training: not live'
        # seed 1, a few batches in: Stop
        page.wait_for_function("(el) => /training seed 1/.test(el.innerText) && /batch [3-9]/.test(document.querySelector('.lr-tutor-photos-progress').innerText)",
                               arg=status.element_handle(), timeout=30_000)
        stop.click()
        page.wait_for_function("(el) => el.querySelectorAll('tr').length === 3", arg=table.element_handle(), timeout=60_000)
        page.wait_for_function("(b) => !b.disabled", arg=train.element_handle(), timeout=30_000)
        time.sleep(1)                                       # the last frames' messages
        (ARTIFACTS / 'browser_lab_photos_stopped.png').write_bytes(figure.screenshot())
        rows = [r.inner_text() for r in table.locator('tr').all()[1:]]
        assert 'stopped' not in rows[0] and '%' in rows[0] and 'stopped' in rows[1], rows
        # the picture agrees with its title: both seeds' runs, the second ending where the title says it stopped
        now = shown()
        m = re.fullmatch(r'seed 0 finished: [\d.]+%; seed 1 stopped after ([\d.]+) epochs(: [\d.]+%)?', now['title'])
        assert m, now
        epochs = float(m[1])
        assert f'\t{m[1]}\t' in rows[1], (m[1], rows[1])             # the table says the same epochs
        ends = sorted(now['ends'])
        assert len(ends) == 2 and ends[1] > 19.5 and abs(ends[0] - epochs) < .2, (ends, epochs)   # a batch: 1/9 epoch
        assert now['schedule'] == ['schedule', 'fastai set', 'stopped here'], now            # not 'training here'
        assert stop.is_disabled() and family.is_enabled()
        assert 'Traceback' not in root.inner_text()
        page.screenshot(path=str(ARTIFACTS / 'browser_lab_photos_page.png'))

@pytest.mark.parametrize('width, files', [(1000, False), (1400, False), (1000, True)], ids=['1000px', '1400px', '1000px-file-browser'])
def test_the_buttons_sliders_and_training_view_on_one_screen(server, width, files):
    """720 px high, the lab scrolled into view: Train, Stop and the whole training view are on screen together and,
    each focused in turn, so is every slider (with the file browser open, the training view goes above the
    sliders: not all of them fit then). No label or button is cut ("Tr...")."""
    ARTIFACTS.mkdir(exist_ok=True)
    with notebook_page(server, 'lab_photos.ipynb', height=720, width=width) as page:
        wait_for_figure(page, '.lr-tutor-lab-figure')
        if files: page.keyboard.press('Control+b'); time.sleep(1)       # the file browser open again
        root = page.locator('.lr-tutor-photos')
        root.evaluate("(el) => el.scrollIntoView({block: 'start'})")
        time.sleep(1)
        page.screenshot(path=str(ARTIFACTS / f'browser_lab_photos_{width}px{"_files" * files}.png'))
        canvas = root.locator('.lr-tutor-lab-figure canvas').first
        seen = [root.locator('button.lr-tutor-train'), root.locator('button.lr-tutor-stop'), canvas]
        handles = root.locator('.widget-slider .noUi-handle')
        for i in range(0 if files else handles.count()):
            handles.nth(i).focus()
            area = root.evaluate(VISIBLE_AREA_JS)
            for el in [handles.nth(i)] + seen:
                box = el.evaluate(BOX_JS)
                assert inside(box, area), (i, el, box, area)
        area = root.evaluate(VISIBLE_AREA_JS)
        for el in seen: assert inside(el.evaluate(BOX_JS), area), (el, area)
        assert root.evaluate(CUT_LABELS_JS) == []
