# shellcheck shell=bash
# Helpers shared by the walkit command-line test scripts (sourced, bash).
# Set CLI_TAG (the temp dir's name part) before sourcing. Provides: $T, a
# temp dir removed at exit; the counters fails and checks; fail, run,
# expect_rc and expect_grep. Output checks are the scripts' own.
T=$(mktemp -d "${TMPDIR:-/var/tmp}/walkit-${CLI_TAG:-cli}.XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT
fails=0
checks=0

fail() {
    echo "FAIL: $*" >&2
    fails=$((fails + 1))
}

# run CMD...: runs CMD with stdin from $IN (if set by the caller) or
# /dev/null, stdout in $T/out, stderr in $T/err, exit status in $rc.
run() {
    "$@" <"${IN:-/dev/null}" >"$T/out" 2>"$T/err"
    rc=$?
}

# expect_rc WANT CMD...: runs CMD and checks its exit status (returns 1 when
# it differs).
expect_rc() {
    local want=$1
    shift
    checks=$((checks + 1))
    run "$@"
    if [ "$rc" != "$want" ]; then
        fail "'$*': exit $rc, want $want; stderr: $(head -c 400 "$T/err")"
        return 1
    fi
    return 0
}

# expect_grep PATTERN FILE WHAT: FILE has a line matching PATTERN (ERE).
expect_grep() {
    checks=$((checks + 1))
    if ! grep -Eq -- "$1" "$2"; then
        fail "$3: no line matching '$1' in:
$(head -c 1500 "$2")"
    fi
}
