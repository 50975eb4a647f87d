#!/usr/bin/env bash
# Mutation testing of one module, by hand (not in CI): docs/mutation.md has the results.
#
#   bash benchmarks/mutation.sh MODULE "TEST COMMAND" [TIME_LIMIT_S]
#
#   bash benchmarks/mutation.sh theory/precise.py \
#     "python -m pytest -x -q -p no:cacheprovider tests/test_check_claim_precision.py tests/test_mutation_kills.py"
#   bash benchmarks/mutation.sh crosscheck/commands/check_claim.py \
#     "python -m pytest -x -q -p no:cacheprovider tests/test_check_claim.py tests/test_check_claim_precision.py tests/test_mutation_kills.py" 3600
#
# mutmut 3 cannot handle this layout (setuptools package-dir maps theory/, numerics/,
# crosscheck/ at the root to rnnverify.theory etc.), so mutmut 2.5.1 is used.  It mutates
# the file IN PLACE, so everything happens in a throw-away git worktree of HEAD with its
# own venv holding an editable install of that worktree: rnnverify.<layer> then resolves
# to the mutated copy and the checkout you work in is never touched.
#
# Environment: WORK (worktree, default /tmp/mutwork), VENV (default /tmp/mutvenv),
# KEEP=1 keeps the worktree afterwards (to inspect survivors: cd $WORK && mutmut show ID).
# Only lines the test command covers are mutated (coverage run first, --use-coverage).
# TIME_LIMIT_S (optional) stops the run after that many seconds; the results then cover
# the mutants tried so far (mutmut tries them in file order).  SAMPLE=N (with SEED, default
# 1) instead runs N mutants drawn at random (`mutmut run ID` each, printed as ID STATUS):
# a kill rate over a random sample when the whole file does not fit the time at hand.
#
# mutmut 2.5.1 counts only exit code 1 as "killed": a mutant that breaks the import makes
# pytest exit 2 and would count as a SURVIVOR.  The runner is therefore wrapped in
# .mutrun.sh, which maps every failing exit code to 1.
set -euo pipefail

MODULE=${1:?module path, e.g. theory/precise.py}
TESTS=${2:?test command, e.g. "python -m pytest -x -q tests/test_check_claim_precision.py"}
LIMIT=${3:-0}
REPO=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
WORK=${WORK:-/tmp/mutwork}
VENV=${VENV:-/tmp/mutvenv}

if [ ! -d "$WORK" ]; then
    git -C "$REPO" worktree add --detach "$WORK" HEAD
fi
# the tests under study may be uncommitted: copy the working tree's tests over
cp "$REPO"/tests/*.py "$WORK/tests/"
if [ ! -x "$VENV/bin/mutmut" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q torch==2.13.0
    "$VENV/bin/pip" install -q -e "$WORK[test]"
    "$VENV/bin/pip" install -q mutmut==2.5.1 coverage
fi
# shellcheck disable=SC1091
. "$VENV/bin/activate"
cd "$WORK"
where=$(python -c "import importlib; m = importlib.import_module('rnnverify.' + '${MODULE%.py}'.replace('/', '.')); print(m.__file__)")
case "$where" in
    "$WORK"/*) ;;
    *) echo "rnnverify resolves to $where, not to $WORK: refusing to mutate" >&2; exit 1 ;;
esac

cat > .mutrun.sh <<'WRAP'
#!/usr/bin/env bash
"$@" && exit 0
exit 1
WRAP
chmod +x .mutrun.sh
rm -f .mutmut-cache .coverage
# coverage of the module under the same tests (mutmut --use-coverage reads .coverage)
# (eval: the test command may quote, e.g. -k 'not slow')
eval "coverage run --include='*/$MODULE' -m ${TESTS#python -m }" >/dev/null || {
    echo "the test command fails without mutations" >&2; exit 1; }
coverage report

run=(mutmut run --paths-to-mutate "$MODULE" --tests-dir tests --use-coverage
     -m 3 --simple-output --no-progress --runner "./.mutrun.sh $TESTS")
if [ -n "${SAMPLE:-}" ]; then
    # fill the cache (mutant ids) and time the baseline, stopping at the first mutant
    "${run[@]}" >/dev/null 2>&1 &
    pid=$!
    until python - <<'PY' 2>/dev/null
import sqlite3, sys
c = sqlite3.connect(".mutmut-cache")
sys.exit(0 if c.execute("select count(*) from Mutant where status != 'untested'").fetchone()[0]
         else 1)
PY
    do sleep 5; done
    kill -INT "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
    git checkout -- "$MODULE"
    ids=$(python -c "
import random, sqlite3
ids = [r[0] for r in sqlite3.connect('.mutmut-cache').execute('select id from Mutant')]
print(' '.join(map(str, random.Random(${SEED:-1}).sample(ids, min(${SAMPLE}, len(ids))))))")
    for id in $ids; do
        "${run[@]:0:2}" "$id" "${run[@]:2}" >/dev/null 2>&1 || true
        git checkout -- "$MODULE"
        python -c "
import sqlite3
r = sqlite3.connect('.mutmut-cache').execute('select status from Mutant where id=$id').fetchone()
print($id, r[0] if r else 'lost')"
    done
elif [ "$LIMIT" -gt 0 ]; then
    timeout --signal=INT "$LIMIT" "${run[@]}" || true
else
    "${run[@]}" || true
fi
git checkout -- "$MODULE"   # a run stopped mid-mutant leaves the file mutated
mutmut results
echo "survivors: cd $WORK && . $VENV/bin/activate && mutmut show ID"

if [ "${KEEP:-0}" != 1 ]; then
    cd /
    git -C "$REPO" worktree remove --force "$WORK"
fi
