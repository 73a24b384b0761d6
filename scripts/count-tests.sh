#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Counts the tests a log shows were run: prints "PASSED FAILED SKIPPED".
#
#   scripts/count-tests.sh <log>
#
# It reads the closing lines of the runners the test command uses:
#   ctest     "100% tests passed, 0 tests failed out of 53" (and the
#             "(Skipped)" lines of "The following tests did not run")
#   pytest    "93 passed, 2 skipped in 1.20s" (with or without ===)
#   unittest  "Ran 144 tests in 3.1s" then "OK (skipped=2)" or
#             "FAILED (failures=1, errors=2, skipped=3)"
#   cargo     "test result: ok. 12 passed; 0 failed; 1 ignored; ..."
#   any other "N passed, N failed" alone on a line (", N skipped" may
#             follow, one word and a colon may stand before), as
#             bindings/go/test.sh prints for go test.
set -euo pipefail
log=$1
awk '
function num(s, key,   m) {
  # the number before (or after "key=") a keyword in s
  if (match(s, "[0-9]+ " key)) { m = substr(s, RSTART, RLENGTH); sub(/ .*/, "", m); return m + 0 }
  if (match(s, key "=[0-9]+")) { m = substr(s, RSTART, RLENGTH); sub(/.*=/, "", m); return m + 0 }
  return 0
}
{ sub(/\r$/, "") }
/^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+/ {
  total = $NF + 0; f = $4 + 0
  p += total - f; fl += f; ctest_skip_block = 0; next
}
/^The following tests did not run:/ { ctest_skip_block = 1; next }
ctest_skip_block && /^[ \t]+[0-9]+ - .*\(Skipped\)/ { p--; s++; next }
ctest_skip_block && !/^[ \t]+[0-9]+ - / { ctest_skip_block = 0 }
/^(=+ )?([0-9]+ (passed|failed|skipped|errors?|xfailed|xpassed|warnings?|deselected|rerun)(, )?)+ in [0-9.]+s( \([0-9:]+\))?( =+)?$/ {
  p += num($0, "passed") + num($0, "xfailed"); fl += num($0, "failed") + num($0, "errors?") + num($0, "xpassed")
  s += num($0, "skipped"); next
}
/^Ran [0-9]+ tests? in / { ran = $2 + 0; want_status = 1; next }
want_status && /^(OK|FAILED)/ {
  bad = num($0, "failures") + num($0, "errors") + num($0, "unexpected successes")
  sk = num($0, "skipped")
  p += ran - bad - sk; fl += bad; s += sk; want_status = 0; next
}
/^test result: (ok|FAILED)\. [0-9]+ passed; [0-9]+ failed;/ {
  p += num($0, "passed"); fl += num($0, "failed"); s += num($0, "ignored"); next
}
/^([A-Za-z0-9_.-]+: )?[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$/ {
  p += num($0, "passed"); fl += num($0, "failed"); s += num($0, "skipped"); next
}
END { printf "%d %d %d\n", p, fl, s }
' "$log"
