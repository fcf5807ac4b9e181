# shellcheck shell=bash
# Sourced by the hack/test-*.sh scripts that run bats: the summary line they
# print last, `N passed, N failed, N skipped`, as hack/test.sh does.

# tap_summary TAPFILE RC: prints the line for the TAP in TAPFILE (bats exited
# with RC; a failed run that reported no failure counts as one) and returns
# non-zero when anything failed. Failed tests are repeated with their
# diagnostics first, so that a log that keeps only its tail still shows them.
tap_summary() {
  local tap=$1 rc=$2 pass skip fail
  pass=$(grep -E '^ok [0-9]+ ' "$tap" | grep -vc '# skip' || true)
  skip=$(grep -E '^ok [0-9]+ .*# skip' -c "$tap" || true)
  fail=$(grep -cE '^not ok [0-9]+ ' "$tap" || true)
  ((rc == 0 || fail > 0)) && [[ -s "$tap" ]] || fail=$((fail + 1))
  if ((fail > 0)); then
    echo "=== failures ==="
    awk '/^not ok /{on=1; n=0; print; next} /^(ok|not ok) /{on=0} on && /^#/ && n++ < 40 {print}' "$tap"
  fi
  echo "$pass passed, $fail failed, $skip skipped"
  ((fail == 0))
}
