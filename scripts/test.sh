#!/usr/bin/env bash
# Install everything the tests need (CPU torch pair pinned) and run the whole suite:
# export/clean drift checks, every notebook through Run All (as Jupyter runs it) in a fresh learner's install
# (scripts/learner_run_all.sh), then the rest of pytest
# (saved outputs fresh, browser and property tests). Needs no LR_TUTOR_DATA: without it the lessons use the
# default photo set.
. "$(dirname "$0")/env.sh"
start=$SECONDS
python -m pip install -q -e ".[dev]" -c .ci/constraints.txt

# The browser tests drive Debian's Chromium; install it where we may (root or passwordless sudo).
if ! command -v chromium >/dev/null 2>&1; then
  sudo_=""; [ "$(id -u)" = 0 ] || sudo_="sudo -n"
  if command -v apt-get >/dev/null 2>&1 && $sudo_ true 2>/dev/null; then
    $sudo_ apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq chromium >/dev/null
  else
    echo "note: chromium is not installed and cannot be installed here; browser tests will be skipped"
  fi
fi
echo "== install done in $((SECONDS-start)) s"

# The notebooks are the source: the library must be what nbdev-export makes of them, and they must be clean.
snapshot() { find lr_tutor nbs -type f \( -name '*.py' -o -name '*.ipynb' \) -print0 | sort -z | xargs -0 sha1sum; }
before=$(snapshot)
nbdev-export
nbdev-clean
after=$(snapshot)
if [ "$before" != "$after" ]; then
  echo "FAIL: lr_tutor/ or nbs/ differ from what nbdev-export / nbdev-clean produce. Changed files:"
  diff <(echo "$before") <(echo "$after") | grep '^>' | awk '{print "   ", $3}'
  echo "They are now regenerated: review and commit them."
  exit 1
fi
echo "== library matches the notebooks; notebooks are clean"
python scripts/render_readme.py --check

# Every notebook as Jupyter's Run All runs it (all cells, hidden tests and #| gpu cells included, so it covers what
# nbdev-test runs), in the LEARNER's install: a fresh virtualenv with exactly what scripts/lessons.sh installs, two
# notebooks at a time on two cores (one torch thread each), and the checkout must be unchanged afterwards. This is
# the only Run All pass: the developer's environment only adds tools (nbdev, pytest, playwright) no lesson may need.
set +e
bash scripts/learner_run_all.sh
rc_nbs=$?
echo "== notebooks ran ($((SECONDS-start)) s so far)"

python -m pytest -q tests --ignore=tests/test_run_all.py "$@"
rc=$?
set -e
[ $rc = 5 ] && { echo "pytest collected no tests"; rc=0; }
[ $rc_nbs != 0 ] && rc=$rc_nbs
echo "== total $((SECONDS-start)) s"
exit $rc
