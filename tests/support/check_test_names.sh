#!/usr/bin/env bash
# CTest passes each discovered Catch2 test by its name, so a name that CTest
# splits (';'), that Catch reads as an option (a leading '-') or as an escape
# in its filter ('\') runs nothing or fails before running. Refuse them here,
# with file:line, instead of finding a silently empty test later.
set -euo pipefail
root=${1:?usage: check_test_names.sh TESTS_DIR}
bad=$(grep -rnE --include='*.cpp' 'TEST_CASE\("([-]|[^"]*[;\\])' "$root" || true)
if [[ -n $bad ]]; then
    echo "test case names CTest cannot run as written (no ';', no '\\', no leading '-'):"
    echo "$bad"
    exit 1
fi
echo "every TEST_CASE name in $root can be run by CTest"
