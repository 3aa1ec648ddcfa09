#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The escrow command-line tool driven end to end. One ctest case per scenario:
#
#   bash run.sh CASE ESCROW_BINARY SCRATCH_DIR
#
# The scenarios are the functions case_NAME of cases/*.sh, one file per topic; ctest registers
# each as cli.NAME (tests/cli/CMakeLists.txt reads the names from the files), except that
# case_error_X is cli.error.X. A new case is a new function: nothing else lists the cases.
#
# `setup` (a ctest fixture) makes the keys and data files in SCRATCH_DIR/fixtures; every other
# case works in its own SCRATCH_DIR/<case>. Environment: ESCROW_OPENSSL, ESCROW_CMAKE; ESCROW_MAN and
# ESCROW_COMPLETION (the generated escrow(1) and completion script), ESCROW_BUILD_DIR and
# ESCROW_INSTALL_ENABLED (ON when `cmake --install` of the build installs the tool).
set -euo pipefail

CASE=$1
ESCROW=$2
SCRATCH=$3
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck disable=SC2034  # used by the cases (cases/*.sh)
OPENSSL=${ESCROW_OPENSSL:-openssl}
CMAKE=${ESCROW_CMAKE:-cmake}
FIX="$SCRATCH/fixtures"
W="$SCRATCH/$CASE"
CAP="$SCRATCH/$CASE.capture"
# shellcheck source=lib.sh
source "$HERE/lib.sh"
for cases in "$HERE"/cases/*.sh; do
    # shellcheck source=/dev/null
    source "$cases"
done

fn="case_${CASE//./_}"
declare -F "$fn" >/dev/null || fail "unknown case '$CASE'"
if [[ $CASE != setup ]]; then
    [[ -d "$FIX" ]] || fail "fixtures missing: run the cli.setup case first"
    rm -rf "$W"
    mkdir -p "$W"
fi
rm -rf "$CAP"
mkdir -p "$CAP"
"$fn"
echo "PASS: cli.$CASE"
