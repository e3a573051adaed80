#!/usr/bin/env bash
# The learner's install, tested: a FRESH virtualenv gets exactly what `scripts/lessons.sh --install-only` installs
# (CI's torch pair pinned through .ci/constraints.txt, which adds no package), then every notebook runs as Jupyter's
# Run All in a kernel of that virtualenv, twice in the same kernel (nbclient, from the developer's environment, drives
# it: tests/test_run_all.py), and the checkout
# must be unchanged afterwards: no lesson writes library files or anything else under lr_tutor/ or nbs/.
#
#   bash scripts/learner_run_all.sh                  # every notebook
#   bash scripts/learner_run_all.sh -k 03_data       # pytest arguments select notebooks
#   LR_TUTOR_LEARNER_REUSE=1 bash scripts/learner_run_all.sh -k 06_one_cycle   # reuse the last learner virtualenv
#
# Run it from the developer's virtualenv (scripts/test.sh does): it needs nbclient and pytest, the learner's does not.
# LR_TUTOR_LEARNER_VENV says where the learner's virtualenv goes (default: outside the checkout, in $TMPDIR).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
learner=${LR_TUTOR_LEARNER_VENV:-${TMPDIR:-/tmp}/lr_tutor-learner-venv}
kernels=$learner/share/lr_tutor-kernels   # a JUPYTER_PATH holding one kernelspec: the learner's python
start=$SECONDS

if [ "${LR_TUTOR_LEARNER_REUSE:-0}" != 1 ] || [ ! -x "$learner/bin/python" ]; then
  rm -rf "$learner"
  python3 -m venv "$learner"
  # lessons.sh (env.sh) makes and uses $LR_TUTOR_VENV when no virtualenv is active. PIP_CONSTRAINT pins torch as CI does.
  env -u VIRTUAL_ENV LR_TUTOR_VENV="$learner" PIP_CONSTRAINT="$root/.ci/constraints.txt" PIP_PROGRESS_BAR=off \
    bash scripts/lessons.sh --install-only >"$learner/install.log" 2>&1 \
    || { tail -40 "$learner/install.log"; echo "FAIL: scripts/lessons.sh --install-only failed"; exit 1; }
  echo "== learner install (scripts/lessons.sh --install-only) in $learner: $((SECONDS-start)) s"
  mkdir -p "$kernels/kernels/lr_tutor_learner"
  cat >"$kernels/kernels/lr_tutor_learner/kernel.json" <<EOF
{"argv": ["$learner/bin/python", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
 "display_name": "lr_tutor learner install", "language": "python"}
EOF
fi
"$learner/bin/python" - <<'EOF'
import importlib.metadata as md
print('== learner install holds', ', '.join(f'{n} {md.version(n)}' for n in ('torch', 'fastai', 'keras', 'ray')
                                          if any(d.metadata['Name'] == n for d in md.distributions())))
for n in ('nbdev', 'pytest', 'hypothesis', 'playwright'):   # the developer's tools: no lesson may need them
    try: md.version(n); print(f'   note: {n} is installed in the learner install (a dependency pulled it in)')
    except md.PackageNotFoundError: pass
EOF

# Anything a lesson writes under lr_tutor/ or nbs/ (byte-identical rewrites included), and any change git sees.
marker=$(mktemp); trap 'rm -f "$marker"' EXIT
status_before=$(git status --porcelain --untracked-files=all)
set +e
JUPYTER_PATH="$kernels${JUPYTER_PATH:+:$JUPYTER_PATH}" LR_TUTOR_KERNEL=lr_tutor_learner \
  OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} LR_TUTOR_RUN_ALL_WORKERS=${LR_TUTOR_RUN_ALL_WORKERS:-2} \
  python -m pytest -q tests/test_run_all.py "$@"
rc=$?
set -e
written=$(find lr_tutor nbs -type f -newer "$marker" -not -path '*/__pycache__/*' -not -path '*/.ipynb_checkpoints/*')
status_after=$(git status --porcelain --untracked-files=all)
if [ -n "$written" ] || [ "$status_before" != "$status_after" ]; then
  echo "FAIL: Run All in the learner install changed the checkout. Files written:"
  echo "${written:-    (none under lr_tutor/ or nbs/)}" | sed 's/^/    /'
  diff <(echo "$status_before") <(echo "$status_after") | sed 's/^/    git status: /'
  rc=1
else
  echo "== the checkout is unchanged after Run All in the learner install"
fi
echo "== learner install check: $((SECONDS-start)) s"
exit $rc
