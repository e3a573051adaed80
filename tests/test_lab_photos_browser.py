"""The photos lab, used as a person would: JupyterLab in headless Chromium runs a notebook that shows the photos
lab at the CPU size. Clicking Train must fit the Learner live: the training view changes frame after frame while
it trains, and the runs table gains a row. A second Train is stopped part way by Stop: the table gains a row
marked stopped, and the buttons and sliders come back.

Screenshots go to test-artifacts/ at the repository root."""
import time
import pytest
from conftest import ARTIFACTS, ROOT, notebook_page, served_copy, wait_for_figure

FIXTURE = ROOT / 'tests' / 'browser_lab_photos.ipynb'

@pytest.fixture(scope='module')
def server(tmp_path_factory): yield from served_copy(tmp_path_factory, FIXTURE, 'lab_photos.ipynb')

def _rows(table): return table.locator('tr').count() - 1 if table.locator('tr').count() else 0

def test_train_streams_then_stop(server):
    ARTIFACTS.mkdir(exist_ok=True)
    with notebook_page(server, 'lab_photos.ipynb', height=1300) as page:
        wait_for_figure(page, '.lr-tutor-lab-figure')
        root = page.locator('.lr-tutor-photos')
        figure, table = root.locator('.lr-tutor-lab-figure'), root.locator('.lr-tutor-photos-table')
        train, stop = root.locator('button.lr-tutor-train'), root.locator('button.lr-tutor-stop')
        status = root.locator('.lr-tutor-photos-status')
        assert _rows(table) == 0 and stop.is_disabled() and train.is_enabled()
        figure.scroll_into_view_if_needed()
        shots = [figure.screenshot()]
        train.click()
        # the curve grows: new pictures of the training view while it trains, until the table has its row
        deadline, saw_disabled = time.time() + 120, False
        while time.time() < deadline and _rows(table) < 1:
            saw_disabled = saw_disabled or train.is_disabled()
            shot = figure.screenshot()
            if shot != shots[-1]: shots.append(shot)
            time.sleep(.2)
        (ARTIFACTS / 'browser_lab_photos_trained.png').write_bytes(figure.screenshot())
        assert _rows(table) == 1, f'no run in the table after 120 s; status: {status.inner_text()}'
        assert saw_disabled, 'Train was never disabled while training'
        assert len(shots) >= 3, f'the training view changed {len(shots) - 1} times while training: not live'
        assert 'stopped' not in table.inner_text() and '%' in table.inner_text()
        page.wait_for_function("(b) => !b.disabled", arg=train.element_handle(), timeout=30_000)
        # a second run, stopped part way
        train.click()
        page.wait_for_function("(b) => !b.disabled", arg=stop.element_handle(), timeout=30_000)
        page.wait_for_function("(el) => /batch \\d+/.test(el.innerText)", arg=root.locator('.lr-tutor-photos-progress').element_handle(),
                               timeout=30_000)
        family = root.locator('.lr-tutor-controls select').first
        assert family.is_disabled() and train.is_disabled()     # what would change the run waits for it
        stop.click()
        page.wait_for_function("(el) => el.querySelectorAll('tr').length === 3", arg=table.element_handle(), timeout=60_000)
        last = table.locator('tr').last.inner_text()
        assert 'stopped' in last, last
        page.wait_for_function("(b) => !b.disabled", arg=train.element_handle(), timeout=30_000)
        assert stop.is_disabled() and family.is_enabled()
        assert 'Traceback' not in root.inner_text()
        page.screenshot(path=str(ARTIFACTS / 'browser_lab_photos_page.png'))
