"""scripts/lessons.sh opens the course in JupyterLab, or with --notebook in Notebook 7, installing the same and passing
the same arguments otherwise: no setting of either front end is changed (lr_tutor's sliders keep their arrow keys by
themselves, lr_tutor/slider_keys.py). Run with stand-ins for `python` and `jupyter` on PATH that record how they were
called: nothing is installed and no server starts."""
import os, subprocess
from conftest import ROOT

def launch(folder, *args) -> list:
    "The commands `bash scripts/lessons.sh *args` ran (python's and jupyter's), each as its list of words."
    stand_ins, calls = folder / 'bin', folder / 'calls'
    stand_ins.mkdir(parents=True)
    for name in ('python', 'jupyter'):
        (stand_ins / name).write_text(f'#!/bin/sh\necho "{name} $*" >> "{calls}"\n')
        (stand_ins / name).chmod(0o755)
    env = {**os.environ, 'PATH': f'{stand_ins}{os.pathsep}{os.environ["PATH"]}', 'VIRTUAL_ENV': str(folder)}
    out = subprocess.run(['bash', str(ROOT / 'scripts' / 'lessons.sh'), *args], env=env, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    return [line.split() for line in calls.read_text().splitlines()]

def test_notebook_opens_the_course_in_notebook_7_as_lab_does_in_jupyterlab(tmp_path):
    lab, notebook = launch(tmp_path / 'lab', '--no-browser'), launch(tmp_path / 'notebook', '--notebook', '--no-browser')
    installs = lambda calls: [c for c in calls if c[0] == 'python']
    assert installs(notebook) == installs(lab) and any('.[lessons,sweep]' in c for c in installs(lab))
    (*_, lab_opens), (*_, notebook_opens) = lab, notebook
    assert lab_opens[:2] == ['jupyter', 'lab'] and notebook_opens[:2] == ['jupyter', 'notebook'], (lab_opens, notebook_opens)
    assert notebook_opens[2:] == lab_opens[2:], (lab_opens, notebook_opens)      # the same arguments, settings untouched
    assert f'{ROOT}/nbs/index.ipynb' in notebook_opens and notebook_opens[-1] == '--no-browser'

def test_install_only_opens_nothing(tmp_path):
    calls = launch(tmp_path, '--notebook', '--install-only')
    assert calls and all(c[0] == 'python' for c in calls), calls
