#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Checks that the C++ blocks of the given Markdown files are what they claim to quote, so that the
# documentation cannot drift from code that ctest compiles and runs.
#
#   check-snippets.sh SOURCE_ROOT DOC.md...     (DOC paths and quoted paths relative to SOURCE_ROOT)
#
# Every ```cpp (or ```c++) block must be preceded, on the line just before its opening fence, by
# one of these HTML comments (invisible when the Markdown is rendered):
#
#   <!-- snippet: PATH REGION -->  the block is the region REGION of PATH: the lines between
#                                  `// [REGION]` and `// [REGION-end]` (each alone on its line;
#                                  `# [REGION]` and `# [REGION-end]` in CMake files),
#                                  without marker lines of other regions nested in it, and with
#                                  the region's common leading spaces removed;
#   <!-- quote: PATH -->           the block's lines occur consecutively in PATH, with their
#                                  common leading spaces removed (for quotes of library headers);
#   <!-- unchecked: REASON -->     a schematic fragment that is not code from the tree (REASON
#                                  says why); it is not checked.
#
# A ```cmake block may have one too, and is then checked the same way (its regions are marked
# `# [REGION]` and `# [REGION-end]`); a cmake block without one is not checked.
#
# A cpp block without one of them, a directive not followed by a cpp block, a missing, repeated or
# unterminated region, or any difference (shown as a diff) fails the check. The comparison is
# byte for byte after the indentation rule above: blank lines must be empty, and trailing spaces
# count. Exit status 0 when every block checks out, 1 otherwise.
set -euo pipefail

if [[ $# -lt 2 ]]; then
    echo "usage: $0 SOURCE_ROOT DOC.md..." >&2
    exit 2
fi
root="$1"
shift

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

re_fence_open='^```([A-Za-z0-9_+-]*)[[:space:]]*$'
re_fence_close='^```[[:space:]]*$'
re_directive='^<!-- (snippet|quote|unchecked):'
re_snippet='^<!-- snippet: ([^[:space:]]+) ([^[:space:]]+) -->$'
re_quote='^<!-- quote: ([^[:space:]]+) -->$'
re_unchecked='^<!-- unchecked: [^[:space:]].* -->$'

errors=0
checked=0
unchecked=0
error() {
    echo "FAIL: $*" >&2
    errors=$((errors + 1))
}

# Prints region NAME of FILE, dedented; on a marker problem prints a message on stderr, returns 1.
extract_region() {
    awk -v name="$2" -v file="$1" '
        {
            line[NR] = $0
            t = $0
            sub(/^[ \t]+/, "", t)
            sub(/[ \t]+$/, "", t)
            marker[NR] = (t ~ /^(\/\/|#) \[[A-Za-z0-9_.:-]+\]$/)
            if (t == "// [" name "]" || t == "# [" name "]") { if (++starts == 1) s = NR }
            else if (t == "// [" name "-end]" || t == "# [" name "-end]") { if (++ends == 1) e = NR }
        }
        END {
            where = file ": region " name ": "
            if (starts == 0) { print where "no line `// [" name "]`" > "/dev/stderr"; exit 1 }
            if (starts > 1) { print where "`// [" name "]` appears " starts " times" > "/dev/stderr"; exit 1 }
            if (ends != 1 || e < s) { print where "needs exactly one `// [" name "-end]` after its start (line " s ")" > "/dev/stderr"; exit 1 }
            n = 0
            for (i = s + 1; i < e; ++i) if (!marker[i]) out[++n] = line[i]
            min = -1
            for (i = 1; i <= n; ++i)
                if (out[i] ~ /[^ \t]/) { match(out[i], /^ */); if (min < 0 || RLENGTH < min) min = RLENGTH }
            if (min < 0) { print where "the region is empty" > "/dev/stderr"; exit 1 }
            for (i = 1; i <= n; ++i) print (out[i] ~ /[^ \t]/ ? substr(out[i], min + 1) : out[i])
        }' "$1"
}

# Succeeds when the lines of BLOCK_FILE occur consecutively in SOURCE, once both are dedented.
occurs_in() {
    awk '
        NR == FNR { b[++bn] = $0; next }
        { src[++sn] = $0 }
        END {
            if (bn == 0) exit 1
            for (i = 1; i + bn - 1 <= sn; ++i) {
                min = -1
                for (j = 0; j < bn; ++j) {
                    l = src[i + j]
                    if (l ~ /[^ \t]/) { match(l, /^ */); if (min < 0 || RLENGTH < min) min = RLENGTH }
                }
                if (min < 0) continue
                ok = 1
                for (j = 0; j < bn && ok; ++j) {
                    l = src[i + j]
                    if (l ~ /[^ \t]/) l = substr(l, min + 1)
                    if (l != b[j + 1]) ok = 0
                }
                if (ok) exit 0
            }
            exit 1
        }' "$1" "$2"
}

check_block() {  # DOC LINE DIRECTIVE BLOCK_FILE
    local doc="$1" line="$2" directive="$3" block="$4" path name
    if [[ "$directive" =~ $re_snippet ]]; then
        path="${BASH_REMATCH[1]}"
        name="${BASH_REMATCH[2]}"
        if [[ ! -f "$root/$path" ]]; then
            error "$doc:$line: $path does not exist"
            return
        fi
        if ! extract_region "$root/$path" "$name" >"$tmp/region"; then
            error "$doc:$line: cannot extract region $name of $path (see above)"
            return
        fi
        if ! diff -u --label "$path [$name]" --label "$doc:$line" "$tmp/region" "$block" >"$tmp/diff"; then
            cat "$tmp/diff" >&2
            error "$doc:$line: the cpp block differs from region $name of $path (diff above: - the region, + the block)"
            return
        fi
        echo "ok: $doc:$line = $path [$name]"
        checked=$((checked + 1))
    elif [[ "$directive" =~ $re_quote ]]; then
        path="${BASH_REMATCH[1]}"
        if [[ ! -f "$root/$path" ]]; then
            error "$doc:$line: $path does not exist"
            return
        fi
        if ! occurs_in "$block" "$root/$path"; then
            sed 's/^/    | /' "$block" >&2
            error "$doc:$line: the cpp block (above) does not occur in $path"
            return
        fi
        echo "ok: $doc:$line occurs in $path"
        checked=$((checked + 1))
    elif [[ "$directive" =~ $re_unchecked ]]; then
        echo "unchecked: $doc:$line ${directive}"
        unchecked=$((unchecked + 1))
    else
        error "$doc:$line: a cpp block needs, on the line before its fence, <!-- snippet: PATH REGION -->, <!-- quote: PATH --> or <!-- unchecked: REASON -->"
    fi
}

for doc in "$@"; do
    file="$root/$doc"
    if [[ ! -f "$file" ]]; then
        error "$doc does not exist"
        continue
    fi
    n=0
    in_fence=0
    fence_lang=""
    fence_line=0
    directive=""
    pending_directive=""
    pending_line=0
    while IFS= read -r l || [[ -n "$l" ]]; do
        n=$((n + 1))
        if [[ $in_fence -eq 0 ]]; then
            if [[ "$l" =~ $re_fence_open ]]; then
                in_fence=1
                fence_lang="${BASH_REMATCH[1]}"
                fence_line=$n
                directive="$pending_directive"
                pending_directive=""
                : >"$tmp/block"
            elif [[ "$l" =~ $re_directive ]]; then
                if [[ -n "$pending_directive" ]]; then
                    error "$doc:$pending_line: '$pending_directive' is not followed by a cpp block"
                fi
                pending_directive="$l"
                pending_line=$n
            elif [[ -n "$pending_directive" ]]; then
                error "$doc:$pending_line: '$pending_directive' must be on the line just before a cpp block's opening fence"
                pending_directive=""
            fi
        elif [[ "$l" =~ $re_fence_close ]]; then
            in_fence=0
            if [[ "$fence_lang" == "cpp" || "$fence_lang" == "c++" ]]; then
                check_block "$doc" "$fence_line" "$directive" "$tmp/block"
            elif [[ "$fence_lang" == "cmake" && -n "$directive" ]]; then
                check_block "$doc" "$fence_line" "$directive" "$tmp/block"
            elif [[ -n "$directive" ]]; then
                error "$doc:$((fence_line - 1)): '$directive' precedes a \`\`\`$fence_lang block, not a cpp block"
            fi
        else
            printf '%s\n' "$l" >>"$tmp/block"
        fi
    done <"$file"
    if [[ $in_fence -ne 0 ]]; then
        error "$doc:$fence_line: the code block is never closed"
    fi
    if [[ -n "$pending_directive" ]]; then
        error "$doc:$pending_line: '$pending_directive' is not followed by a cpp block"
    fi
done

echo "$checked cpp blocks checked, $unchecked marked unchecked, $errors problems"
[[ $errors -eq 0 ]]
