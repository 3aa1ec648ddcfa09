#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs the ```sh blocks of a Markdown file, in order, as one bash script, so that a walk-through
# in the documentation is a test: every command in it must succeed.
#
#   run-shell-blocks.sh DOC.md ESCROW SCRATCH_DIR
#
# ESCROW is the built `escrow` tool; its directory goes first in PATH, so the blocks call it as
# `escrow`. SCRATCH_DIR is emptied and becomes the working directory. The script starts with
# `set -euo pipefail`, so any failing command (outside an `if`, `||` or `&&` test) fails the
# test; the message names the line of DOC.md.
#
# Fences: ```sh blocks run. Commands that must not run (installation, tools the test does not
# require, output shown for reading) go in ```console or ```text blocks. ```bash, ```shell and
# ```zsh fences are refused, so that nothing meant to run is skipped by accident. A file without
# any ```sh block is an error too.
set -euo pipefail

# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
docs_arguments run-shell-blocks "$@"

# The generated script: a prologue, then each block preceded by `__off=K`, where K maps the
# script's line numbers back to the document's (doc line = LINENO + K).
awk -v name="$name" '
    function emit(s) { print s; ++out }
    BEGIN {
        emit("set -euo pipefail")
        emit("__off=0")
        emit("trap '\''__rc=$?; echo \"" name ":$((LINENO + __off)): this command failed with exit status $__rc: $BASH_COMMAND\" >&2'\'' ERR")
    }
    !fence && /^```[A-Za-z0-9_+-]*[ \t]*$/ {
        lang = $0
        sub(/^```/, "", lang)
        sub(/[ \t]+$/, "", lang)
        fence = 1
        start = NR
        if (lang == "bash" || lang == "shell" || lang == "zsh") {
            printf "%s:%d: ```%s block: use ```sh for commands the test runs, ```console for commands it must not run\n", name, NR, lang > "/dev/stderr"
            bad = 1
        }
        if (lang == "sh") {
            ++blocks
            emit("echo \"== " name ":" NR "\"")
            # The next line of output is out + 1, and holds the document line NR + 1.
            emit("__off=" (NR + 1) - (out + 2))
        }
        next
    }
    fence && /^```[ \t]*$/ { fence = 0; lang = ""; next }
    fence && lang == "sh" { emit($0) }
    END {
        if (fence) { printf "%s:%d: the code block is never closed\n", name, start > "/dev/stderr"; bad = 1 }
        if (blocks == 0) { printf "%s: no ```sh block to run\n", name > "/dev/stderr"; bad = 1 }
        emit("echo \"" name ": all " blocks " sh blocks ran\"")
        exit bad
    }' "$doc" >"$script"

echo "running the sh blocks of $doc in $scratch (script: $script)"
cd "$scratch"
PATH="$(dirname "$escrow_bin"):$PATH" bash "$script"
