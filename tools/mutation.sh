#!/usr/bin/env bash
# Mutation testing of src/nnbook with mutmut: each mutant is the package with one small
# change (a flipped comparison, a changed constant, a dropped argument); the package's own
# tests run against it, and a mutant they all pass is a "survivor": a change nothing notices.
#
#   tools/mutation.sh                       every mutant of src/nnbook (long: hours on 2 cores)
#   tools/mutation.sh 'nnbook.backprop.*'   only the mutants whose names match
#
# Configuration (which tests, which files) is [tool.mutmut] in pyproject.toml. Results stay
# in mutants/ (git-ignored), so a second run re-tests only what changed. Afterwards:
#   .venv/bin/mutmut results              every mutant not killed, with its status
#   .venv/bin/mutmut show NAME            the change one mutant makes
# It runs at the lowest CPU priority; MUTMUT_CHILDREN sets how many mutants run at once.
set -euo pipefail
cd "$(dirname "$0")/.."
exec </dev/null

python3 -c 'import make; make.ensure_environment()'
.venv/bin/pip install --quiet --disable-pip-version-check -c requirements/constraints.txt -e ".[mutation]"

status=0
# One thread per test process: the machine is shared, and torch's thread pool only fights for it.
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
nice -n 19 .venv/bin/mutmut run --max-children "${MUTMUT_CHILDREN:-2}" "$@" || status=$?

# Per module, from the status mutmut gives each mutant (mutmut results --all true); mutants not
# run yet ("not checked") are left out of the score. Caught: killed, timed out or crashed; a
# mutant no test runs ("no tests") or a suspicious one counts as missed, like a survivor.
tally=$(cat <<'EOF'
import collections
import sys

counts = collections.defaultdict(collections.Counter)
for line in sys.stdin:
    name, _, status = line.strip().rpartition(": ")
    if "__mutmut_" in name:
        counts[name.split(".x")[0]][status] += 1  # nnbook.backprop.x_backward__mutmut_1 -> nnbook.backprop
caught_statuses = ("killed", "timeout", "segfault")
print(f"{'module':<24} {'caught':>6} {'missed':>6} {'not run':>7}  score")
for module in sorted(counts):
    c = counts[module]
    caught = sum(c[s] for s in caught_statuses)
    missed = sum(n for s, n in c.items() if s not in caught_statuses and s != "not checked")
    score = f"{caught / (caught + missed):.1%}" if caught + missed else "-"
    print(f"{module:<24} {caught:6d} {missed:6d} {c['not checked']:7d}  {score}")
EOF
)
.venv/bin/mutmut results --all true 2>/dev/null | .venv/bin/python -c "$tally"
echo "not killed (mutants not run yet are listed as not checked):"
.venv/bin/mutmut results 2>/dev/null | grep -v ": not checked$" || true
exit "$status"
