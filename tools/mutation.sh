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

.venv/bin/mutmut export-cicd-stats >/dev/null
.venv/bin/python - <<'EOF'
import json

stats = json.load(open("mutants/mutmut-cicd-stats.json"))
print("mutants:", ", ".join(f"{k} {v}" for k, v in stats.items()))
caught = stats["killed"] + stats["timeout"] + stats["segfault"]
# A mutant no test runs ("no tests") counts as missed, like a survivor.
judged = caught + stats["survived"] + stats["no_tests"] + stats["suspicious"]
if judged:
    print(f"score: {caught}/{judged} = {caught / judged:.1%} caught (killed, timed out or crashed)")
EOF
echo "not killed:"
.venv/bin/mutmut results
exit "$status"
