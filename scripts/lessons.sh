#!/usr/bin/env bash
# Install lr_tutor (loose requirements: any torch fastai supports) and open the lessons in JupyterLab.
. "$(dirname "$0")/env.sh"
python -m pip install -q -e .
exec jupyter lab nbs/index.ipynb "$@"
