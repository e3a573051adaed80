# Sourced by scripts/lessons.sh and scripts/test.sh: makes .venv (once) and activates it.
# LR_TUTOR_VENV overrides the location; an already-active virtualenv is used as it is.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
if [ -z "${VIRTUAL_ENV:-}" ]; then
  venv=${LR_TUTOR_VENV:-$root/.venv}
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  # shellcheck disable=SC1091
  . "$venv/bin/activate"
fi
python -m pip install -q --upgrade pip
