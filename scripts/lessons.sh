#!/usr/bin/env bash
# Install lr_tutor (loose requirements: any torch fastai supports) and open the lessons in JupyterLab:
# the repository root is served, so the README, nbs/ and its pictures are all reachable; nbs/index.ipynb opens first.
# On a CPU-only machine, install the small CPU build of torch into the active virtualenv first (see README.md).
. "$(dirname "$0")/env.sh"
python -m pip install -e .          # no -q: torch and fastai are large, pip's progress shows it is working
extra=()
[ "$(id -u)" = 0 ] && extra+=(--allow-root)   # Jupyter refuses to run as root without it (containers, CI boxes)
exec jupyter lab --ServerApp.root_dir="$root" "${extra[@]}" "$root/nbs/index.ipynb" "$@"
