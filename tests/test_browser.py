"""The explorer, used as a person would: JupyterLab in headless Chromium runs a notebook that shows an
explorer; a key press on the lr_max slider must change the figure's pixels, the readouts and the code box.
With the explorer's own frame view, the new picture must be the frame drawn ahead for that step.

Screenshots (figure before/after, whole page) go to test-artifacts/ at the repository root."""
import json, shutil, time
import pytest
from conftest import (ARTIFACTS, ROOT, JupyterLab, launch_chromium, need_browser, open_and_run, pixels, slider_handle,
                      stable_shot, wait_for_figure)

FIXTURE = ROOT / 'tests' / 'browser_explorer.ipynb'
# the explorer's own frame view (the default), and ipympl's canvas (backend='ipympl'), under `%matplotlib widget`
BACKENDS = {'image': '', 'ipympl': ", backend='ipympl'"}

@pytest.fixture(scope='module')
def lab(tmp_path_factory):
    need_browser()
    folder = tmp_path_factory.mktemp('lab')
    nb = json.loads(FIXTURE.read_text())
    for backend, option in BACKENDS.items():          # the same notebook, once per backend
        cell = next(c for c in nb['cells'] if c['cell_type'] == 'code')
        source = ''.join(cell['source'])
        assert 'steps_per_epoch=1000)' in source
        cell['source'] = source.replace('steps_per_epoch=1000)', f'steps_per_epoch=1000{option})')
        (folder / f'explorer_{backend}.ipynb').write_text(json.dumps(nb))
    with JupyterLab(folder) as server: yield server

@pytest.fixture(scope='module')
def browser(lab):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()

@pytest.mark.parametrize('backend', list(BACKENDS))
def test_key_press_redraws_figure_readouts_and_code(lab, browser, backend):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={'width': 1400, 'height': 1000})
    try:
        open_and_run(page, lab, f'explorer_{backend}.ipynb')
        errors = page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
        assert errors.count() == 0, errors.first.inner_text()
        wait_for_figure(page)
        explorer = page.locator('.lr-tutor-explorer')
        figure = explorer.locator('.lr-tutor-figure')
        readouts = explorer.locator('.lr-tutor-readouts')
        code = explorer.locator('.lr-tutor-code')
        assert figure.locator('canvas').count() >= 1
        if backend == 'ipympl': assert 'jupyter-matplotlib' in figure.get_attribute('class')   # ipympl's widget
        figure.scroll_into_view_if_needed()
        before = stable_shot(figure)
        (ARTIFACTS / f'browser_{backend}_before.png').write_bytes(before)
        assert 'peak lr 0.001 ' in readouts.inner_text().replace('\xa0', ' ')
        assert 'lr_max=0.001,' in code.inner_text()
        # the page is wide enough: the controls sit beside the figure, not above it
        controls = explorer.locator('.lr-tutor-controls').bounding_box()
        fig_box = figure.bounding_box()
        assert controls['x'] + controls['width'] <= fig_box['x'] + 1 and controls['y'] < fig_box['y'] + fig_box['height'], (controls, fig_box)
        assert explorer.locator('.lr-tutor-readout input').first.input_value() == '0.001'     # the slider's own box

        canvas = figure.locator('canvas').first
        if backend == 'image':                          # the frames one step of lr_max away have arrived
            page.wait_for_function("(c) => +(c.dataset.ahead || 0) >= 2", arg=canvas.element_handle(), timeout=20_000)
        handle = slider_handle(page, 'lr_max')
        handle.focus()
        page.keyboard.press('ArrowRight')              # one step: a twentieth of a decade up, 10^-2.95

        deadline, after = time.time() + 20, before
        while time.time() < deadline and after == before:
            time.sleep(.1)
            after = figure.screenshot()
        after = stable_shot(figure)
        shots = {name: ARTIFACTS / f'browser_{backend}_{name}.png' for name in ('after', 'page')}
        shots['after'].write_bytes(after)
        page.screenshot(path=str(shots['page']))
        print(f'\nscreenshots ({backend}): ' + ', '.join(str(p) for p in
              [ARTIFACTS / f'browser_{backend}_before.png', *shots.values()]))

        changed = (pixels(before) != pixels(after)).any(axis=-1).sum()
        assert changed > 200, f'the figure did not change after the key press ({changed} pixels differ)'
        page.wait_for_function("(el) => el.innerText.includes('lr_max=0.00112,')", arg=code.element_handle(), timeout=10_000)
        if backend == 'image':                          # ... and the step showed one of them
            assert canvas.get_attribute('data-hits') == '1', canvas.get_attribute('data-hits')
        text = readouts.inner_text().replace('\xa0', ' ')
        assert 'peak lr 0.00112 ' in text, text
        assert 'epochs 10 (10,000 steps)' in text, text
    finally:
        page.close()

def test_frames_are_as_sharp_as_the_screen(lab, browser):
    "On a screen with 2 device pixels per CSS pixel, the frames have twice the pixels each way, same size on screen."
    page = browser.new_page(viewport={'width': 1400, 'height': 1000}, device_scale_factor=2)
    try:
        open_and_run(page, lab, 'explorer_image.ipynb')
        wait_for_figure(page)
        canvas = page.locator('.lr-tutor-explorer .lr-tutor-figure canvas').first
        page.wait_for_function("(c) => c.width >= 2 * c.getBoundingClientRect().width - 1", arg=canvas.element_handle(),
                               timeout=20_000)
        size = canvas.evaluate('c => [c.width, c.height, c.getBoundingClientRect().width, c.getBoundingClientRect().height]')
        assert size[:2] == [2 * round(size[2]), 2 * round(size[3])], size
    finally:
        page.close()

def test_a_value_typed_out_of_range_is_refused_beside_its_slider(lab, browser):
    "Typing 5 into lr_max's box: not applied, a message right under that slider, the schedule unchanged."
    page = browser.new_page(viewport={'width': 1400, 'height': 1000})
    try:
        open_and_run(page, lab, 'explorer_image.ipynb')
        wait_for_figure(page)
        explorer = page.locator('.lr-tutor-explorer')
        box = explorer.locator('.lr-tutor-readout input').first
        assert box.input_value() == '0.001'
        box.fill('5')
        box.press('Enter')
        message = explorer.locator('.lr-tutor-message', has_text='was not applied').first
        message.wait_for(timeout=10_000)
        assert 'the slider spans 1e-6 to 1; 5 was not applied' in message.inner_text(), message.inner_text()
        below = message.bounding_box()['y'] - (box.bounding_box()['y'] + box.bounding_box()['height'])
        assert 0 <= below < 20, below                   # right under the box typed into
        page.wait_for_function("(el) => el.value === '0.001'", arg=box.element_handle(), timeout=10_000)
        assert 'lr_max=0.001,' in explorer.locator('.lr-tutor-code').inner_text()
        page.screenshot(path=str(ARTIFACTS / 'browser_typed_value.png'))
    finally:
        page.close()
