#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs the shell transcripts of a Markdown file (docs/cli.md), in order, as one bash session, and
# checks each command against what the transcript shows, so that the examples cannot drift from
# the tool.
#
#   run-transcripts.sh DOC.md ESCROW SCRATCH_DIR
#
# A transcript is an indented code block (4 spaces, outside ``` fences) whose lines start with
# `$ `. Each `$ ` line is a command; a command ending in `\` continues on the next line. The lines
# after it, up to the next `$ ` line or the first line not indented by 4 spaces (a blank line
# ends it too), are its output, as the transcript shows it. Indented lines without `$ ` before
# them (synopses, commands shown for reading) are not run.
#
# Rules, per command:
# - It runs in the same shell as the ones before it (a `cd` or a variable carries on), with
#   `set -o pipefail`, standard input from /dev/null, standard output and error captured together.
# - Its exit status must be 0, unless its output ends with a line `[exit N]`: then it must be N
#   (an error example), its output (the lines before `[exit N]`) must be exactly the one shown, and
#   it must leave the directory's file list unchanged.
# - A command that succeeds must print as many lines as shown, each starting with the same word
#   (up to the first space) as the shown line: nothing at all if nothing is shown. The rest of the
#   lines (fingerprints, serials, sizes, times) differs from run to run and is not compared.
# - The first command that breaks a rule fails the test with a message naming its line in DOC.md.
#
# The session starts as docs/cli.md's Examples section says it was run: in SCRATCH_DIR (emptied),
# with ESCROW's directory first in PATH (the tool must be named `escrow`), USER=alice, umask 022,
# LC_ALL=C, and report.txt a copy of the source tree's README.md.
#
# With ESCROW_TRANSCRIPT_DUMP=FILE in the environment, the transcript as it actually ran (the
# commands and their real output, indented, with `[exit N]` lines) is written to FILE, to refresh
# the document's output after a change to the tool.
set -euo pipefail

# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
docs_arguments run-transcripts "$@"
source_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# The generated script: for each command, its expected output into $__exp, the command into
# $__cmd (quoted here-documents, so nothing is expanded), then `__run DOC_LINE STATUS`.
awk -v name="$name" '
    function flush(   i) {
        if (cmd_line == 0) return
        status = 0
        if (nout > 0 && out[nout] ~ /^\[exit [0-9]+\]$/) {
            status = out[nout]
            gsub(/[^0-9]/, "", status)
            --nout
        }
        for (i = 1; i <= nout; ++i)
            if (out[i] ~ /^\[exit /) { printf "%s:%d: `[exit N]` must be the last output line of its command\n", name, cmd_line > "/dev/stderr"; bad = 1 }
        if (nout == 0) print ": >\"$__exp\""
        else {
            print "cat >\"$__exp\" <<'\''__ESCROW_TRANSCRIPT_END__'\''"
            for (i = 1; i <= nout; ++i) print out[i]
            print "__ESCROW_TRANSCRIPT_END__"
        }
        print "__cmd=$(cat <<'\''__ESCROW_TRANSCRIPT_END__'\''"
        print cmd
        print "__ESCROW_TRANSCRIPT_END__"
        print ")"
        print "__run " cmd_line " " status
        ++commands
        cmd_line = 0
        nout = 0
    }
    !fence && /^(```|~~~)/ { flush(); fence = substr($0, 1, 3); next }
    fence { if (substr($0, 1, 3) == fence) fence = ""; next }
    cont {  # a continuation line of the command before
        cmd = cmd "\n" $0
        cont = ($0 ~ /\\$/)
        next
    }
    /^    \$ / {
        flush()
        cmd_line = NR
        cmd = substr($0, 7)
        cont = ($0 ~ /\\$/)
        next
    }
    cmd_line && /^    / { out[++nout] = substr($0, 5); next }
    { flush() }
    END {
        flush()
        if (fence) { printf "%s: a code fence is never closed\n", name > "/dev/stderr"; bad = 1 }
        if (cont) { printf "%s: the last command ends with a backslash\n", name > "/dev/stderr"; bad = 1 }
        if (commands == 0) { printf "%s: no `$ ` command in an indented block\n", name > "/dev/stderr"; bad = 1 }
        print "echo \"" name ": all " commands " transcript commands ran as shown\""
        exit bad
    }' "$doc" >"$script.body"

cat >"$script" <<'EOF'
set -euo pipefail
__fail() {  # DOC_LINE MESSAGE
    echo "$__name:$1: $2" >&2
    echo "    \$ $__cmd" >&2
    exit 1
}
__run() {  # DOC_LINE EXPECTED_STATUS; the command in $__cmd, its expected output in $__exp
    local line="$1" want="$2" got before after
    printf '== %s:%s: $ %s\n' "$__name" "$line" "$__cmd"
    before="$(ls -A)"
    set +e
    eval "$__cmd" </dev/null >"$__act" 2>&1
    got=$?
    set -e
    after="$(ls -A)"
    sed 's/^/   | /' "$__act"
    if [[ -n "${ESCROW_TRANSCRIPT_DUMP:-}" ]]; then
        { printf '    $ %s\n' "$__cmd"; sed 's/^/    /' "$__act"; [[ $got -eq 0 ]] || echo "    [exit $got]"; } >>"$ESCROW_TRANSCRIPT_DUMP"
    fi
    if [[ $got -ne $want ]]; then
        __fail "$line" "exit status $got, but the transcript shows $( [[ $want -eq 0 ]] && echo 'success' || echo "[exit $want]")"
    fi
    if [[ $want -ne 0 ]]; then
        diff -u --label "$__name:$line (the transcript)" --label "the command's output" "$__exp" "$__act" >&2 ||
            __fail "$line" "the error output differs from the transcript (diff above)"
        [[ "$before" == "$after" ]] ||
            __fail "$line" "the failing command changed the directory's files: $(diff <(echo "$before") <(echo "$after") | grep '^[<>]' | tr '\n' ' ')"
    else
        diff -u --label "$__name:$line (the transcript: first words)" --label "the command's output: first words" \
             <(awk '{ print $1 }' "$__exp") <(awk '{ print $1 }' "$__act") >&2 ||
            __fail "$line" "the output does not have the transcript's lines (their first words, diff above)"
    fi
}
EOF
{
    printf '__name=%q\n__exp=%q\n__act=%q\n' "$name" "$scratch.expected" "$scratch.actual"
    cat "$script.body"
} >>"$script"
rm -f "$script.body"

echo "running the transcripts of $doc in $scratch (script: $script)"
[[ -z "${ESCROW_TRANSCRIPT_DUMP:-}" ]] || : >"$ESCROW_TRANSCRIPT_DUMP"
cp "$source_root/README.md" "$scratch/report.txt"
cd "$scratch"
umask 022
PATH="$(dirname "$escrow_bin"):$PATH" USER=alice LC_ALL=C bash "$script"
