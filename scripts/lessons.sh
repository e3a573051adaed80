#!/usr/bin/env bash
# The learner's install: lr_tutor with what every lesson needs (the `lessons` and `sweep` extras; loose
# requirements: any torch that fastai supports), in .venv (or the active virtualenv), then the lessons in
# JupyterLab (or Notebook 7): the repository root is served, so the README, nbs/ and its pictures are all
# reachable, and nbs/index.ipynb opens first. Both open with the user's own settings, changed in nothing: the
# sliders keep their arrow keys in either by themselves (lr_tutor/slider_keys.py).
#
#   bash scripts/lessons.sh                 # install, then open JupyterLab (extra arguments go to `jupyter lab`)
#   bash scripts/lessons.sh --notebook      # the same, in Notebook 7 (`jupyter notebook`) instead of JupyterLab
#   bash scripts/lessons.sh --cpu           # the small CPU-only build of torch (no NVIDIA GPU); combines with --notebook
#   bash scripts/lessons.sh --install-only  # install, open nothing (CI tests exactly this install)
cpu=0; open_lab=1; app=lab
while [ $# -gt 0 ]; do
  case $1 in
    --cpu) cpu=1; shift ;;
    --notebook) app=notebook; shift ;;
    --install-only) open_lab=0; shift ;;
    *) break ;;
  esac
done
. "$(dirname "$0")/env.sh"
if [ $cpu = 1 ]; then   # before lr_tutor, so that pip keeps it instead of fetching the much larger CUDA build
  python -m pip install torch torchvision --index-url https://download.pytorch.org/whl/cpu
fi
python -m pip install -e ".[lessons,sweep]"   # no -q: torch and fastai are large, pip's progress shows it is working
[ $open_lab = 1 ] || { echo "lr_tutor installed for the lessons in $VIRTUAL_ENV"; exit 0; }
extra=()
[ "$(id -u)" = 0 ] && extra+=(--allow-root)   # Jupyter refuses to run as root without it (containers, CI boxes)
exec jupyter "$app" --ServerApp.root_dir="$root" "${extra[@]}" "$root/nbs/index.ipynb" "$@"
