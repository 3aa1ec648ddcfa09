#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The ctest fixture of the post-quantum age interop test: installs the npm package `age-encryption`
# exactly as tests/interop/age/npm/package-lock.json pins it (versions and sha512 integrity of the
# package and its five dependencies) into the build directory with `npm ci`, once; a later run
# whose installed lock file is the committed one does nothing. Needs Node.js >= 20.19 (what the
# package's @noble dependencies declare) and npm, and the npm registry on the network the first
# time; it fails, never skips, when one is missing.
#
#   bash npm-install.sh LOCK_DIR NPM_DIR
set -euo pipefail

src=$(realpath "$1")
dest=$2
fail() { echo "FAIL: $*" >&2; exit 1; }

command -v node >/dev/null 2>&1 ||
    fail "node not found: the post-quantum age interop test needs Node.js >= 20.19 and npm (Debian 12's nodejs 18 is too old; install Node.js 20, e.g. from NodeSource)"
command -v npm >/dev/null 2>&1 ||
    fail "npm not found: the post-quantum age interop test needs Node.js >= 20.19 and npm"
version=$(node --version)
IFS=. read -r major minor _ <<<"${version#v}"
(( major > 20 || (major == 20 && minor >= 19) )) ||
    fail "node $version is too old: the pinned age-encryption's dependencies need Node.js >= 20.19"

if [[ -f "$dest/node_modules/.package-lock.json" && -f "$dest/package-lock.json" ]] &&
   cmp -s "$src/package-lock.json" "$dest/package-lock.json" &&
   cmp -s "$src/package.json" "$dest/package.json"; then
    echo "age-encryption already installed in $dest (node $version)"
    exit 0
fi
rm -rf "$dest"
mkdir -p "$dest"
cp "$src/package.json" "$src/package-lock.json" "$dest/"
start=$(date +%s)
# ci: exactly the lock file's versions, each checked against its integrity hash; no install scripts.
(cd "$dest" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) ||
    fail "npm ci of age-encryption failed (the npm registry must be reachable the first time)"
echo "installed age-encryption $(node -p "require('$dest/node_modules/age-encryption/package.json').version") with node $version and npm $(npm --version) in $(( $(date +%s) - start ))s"
