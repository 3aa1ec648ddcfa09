# SPDX-License-Identifier: MIT
# Sourced by examples/run-demo.sh and tests/run-all.sh: makes sure the Debian packages escrow needs
# are installed. As root it installs what is missing (apt-get update, then apt-get install); as any
# other user it prints the missing packages and the command to install them, and fails.
#
#   source cmake/ensure-deps.sh && escrow_ensure_deps "$ESCROW_DEBIAN_PACKAGES"

# The Debian 12 packages that the library, its examples and the escrow tool build with (the
# README's demonstration, examples/run-demo.sh, needs only these; libp11-kit-dev gives pkcs11.h,
# for the authority's key in a PKCS#11 token; libssl-dev and nlohmann-json3-dev, for the authority
# as an HTTPS service, escrow::authority_service, and the tool's --server).
# shellcheck disable=SC2034  # used by the scripts that source this file
ESCROW_BUILD_PACKAGES="g++ cmake make pkg-config libcrypto++-dev libboost-dev libsqlite3-dev libpq-dev libp11-kit-dev
  libssl-dev nlohmann-json3-dev"
# What the tests and benchmarks add: Catch2, Google Benchmark, JSON and zlib for the vectors, the
# real peers of the interoperability tests (openssl; age, age-keygen, ssh-keygen; the sqlite3
# shell; MinGW and Wine for CryptoAPI; a PostgreSQL 15 server, which the tests start themselves;
# SoftHSM2, a PKCS#11 token), Doxygen for the API reference (docs.api), and man and groff to
# render the generated escrow(1); valgrind for the constant-time check (hardening.constant_time);
# GNU time for the tool's peak RSS (cli.peak_rss).
# The fuzz step (tests/fuzz/run.sh, docs/fuzzing.md) needs clang (clang++ 14, which builds the
# libFuzzer harnesses), libclang-rt-14-dev (libFuzzer and the sanitizer runtimes: only recommended
# by clang's packages, so apt-get --no-install-recommends leaves it out) and llvm (llvm-symbolizer,
# for sanitizer reports with file and line).
# shellcheck disable=SC2034  # used by the scripts that source this file
ESCROW_FUZZ_PACKAGES="clang libclang-rt-14-dev llvm"
ESCROW_TEST_PACKAGES="catch2 time libbenchmark-dev nlohmann-json3-dev zlib1g-dev openssl curl age openssh-client sqlite3
  wine64 gcc-mingw-w64-x86-64 postgresql softhsm2 doxygen man-db groff-base valgrind $ESCROW_FUZZ_PACKAGES"
# Every package the build, the tests, the examples and the benchmarks use (tests/run-all.sh).
ESCROW_DEBIAN_PACKAGES="$ESCROW_BUILD_PACKAGES $ESCROW_TEST_PACKAGES"

# Prints the packages of the given space-separated list that are not installed.
escrow_missing_packages() {
    local pkg status missing=()
    for pkg in $1; do
        status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
        [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
    done
    echo "${missing[*]}"
}

# Installs (as root) or reports (otherwise) the missing packages of the given space-separated
# list. Returns non-zero when packages are still missing.
escrow_ensure_deps() {
    local wanted="$1"
    if ! command -v dpkg-query >/dev/null 2>&1; then
        echo "escrow: dpkg-query not found (not Debian?): not checking for the packages: $wanted" >&2
        return 0
    fi
    local missing
    missing="$(escrow_missing_packages "$wanted")"
    if [[ -z "$missing" ]]; then
        return 0
    fi
    if [[ "$(id -u)" -eq 0 ]]; then
        echo "escrow: installing missing Debian packages: $missing"
        apt-get update
        # shellcheck disable=SC2086  # one word per package
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing
        missing="$(escrow_missing_packages "$wanted")"
        if [[ -n "$missing" ]]; then
            echo "escrow: these packages are still missing after apt-get install: $missing" >&2
            return 1
        fi
        return 0
    fi
    {
        echo "escrow: missing Debian packages: $missing"
        echo "Install them as root, then run this command again:"
        echo "  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing"
        echo "(or run this script as root, which does that for you)"
    } >&2
    return 1
}
