# SPDX-License-Identifier: MIT
# Sourced by run-shell-blocks.sh and run-transcripts.sh: their shared arguments.
#
#   docs_arguments PROGRAM "$@"    (arguments: DOC.md ESCROW SCRATCH_DIR)
#
# Checks the three arguments and sets: doc (absolute path of DOC.md), name (its file name),
# escrow_bin (absolute path of the escrow tool, which must be named `escrow`, since the documents
# call it so), scratch (SCRATCH_DIR, emptied, absolute) and script (SCRATCH_DIR.sh, beside it, where
# the generated script goes, out of sight of the commands' `ls`). Exits 2 on a bad argument.

docs_arguments() {
    local prog="$1"
    shift
    if [[ $# -ne 3 ]]; then
        echo "usage: $prog DOC.md ESCROW SCRATCH_DIR" >&2
        exit 2
    fi
    doc="$1"
    escrow_bin="$2"
    scratch="$3"
    [[ -f "$doc" ]] || { echo "$prog: no such file: $doc" >&2; exit 2; }
    [[ -x "$escrow_bin" ]] || { echo "$prog: not an executable: $escrow_bin" >&2; exit 2; }
    doc="$(cd "$(dirname "$doc")" && pwd)/$(basename "$doc")"
    escrow_bin="$(cd "$(dirname "$escrow_bin")" && pwd)/$(basename "$escrow_bin")"
    [[ "$(basename "$escrow_bin")" == escrow ]] || {
        echo "$prog: the tool must be named 'escrow' for the document to call it: $escrow_bin" >&2
        exit 2
    }
    name="$(basename "$doc")"
    rm -rf "$scratch"
    mkdir -p "$scratch"
    scratch="$(cd "$scratch" && pwd)"
    script="$scratch.sh"
}
