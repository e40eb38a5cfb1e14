#!/usr/bin/env bash
# Exported symbols: every symbol a shared library defines and exports (nm
# types T D B R W V, and i for ifuncs) must be public walkit API: start with
# "wk_" and not "wk__" (internal names are hidden by -fvisibility=hidden).
# Linker-made symbols (_init, _fini, _edata, _end, __bss_start, ...) are
# ignored; GCC's ASan ODR indicators "__odr_asan.NAME" are judged by NAME.
# Prints each offending symbol.
#
# Usage: check_symbols.sh LIB.so
#        check_symbols.sh --self-test BAD.so   BAD.so exports leaked_* symbols
#                                              and wk_ok_*: prove the check
#                                              reports exactly the leaked ones
# Exit: 0 clean, 1 offending symbols, 2 usage or tool error.
set -u

IGNORE='^(_init|_fini|_edata|_end|__bss_start|_DYNAMIC|_GLOBAL_OFFSET_TABLE_|__dso_handle|__TMC_END__|_IO_stdin_used|__data_start|data_start|__libc_csu_init|__libc_csu_fini|_start)$'

# Prints the offending exported symbols of $1, one a line; returns 0 clean,
# 1 offending, 2 error.
bad_symbols() {
    local lib=$1 syms
    if [ ! -f "$lib" ]; then
        echo "check_symbols: no such file: $lib" >&2
        return 2
    fi
    syms=$("${NM:-nm}" -D --defined-only "$lib") || {
        echo "check_symbols: ${NM:-nm} -D failed on $lib" >&2
        return 2
    }
    # "ADDRESS TYPE NAME[@VERSION]"; keep exported data and code.
    local bad
    bad=$(awk '$2 ~ /^[TDBRWVi]$/ {
                   sub(/@.*/, "", $3); sub(/^__odr_asan\./, "", $3); print $3
               }' <<<"$syms" |
        grep -Ev "$IGNORE" | grep -Ev '^wk_[^_]' | sort -u)
    if [ -n "$bad" ]; then
        printf '%s\n' "$bad"
        return 1
    fi
    return 0
}

self_test() {
    local lib=$1 out rc fail=0 s
    out=$(bad_symbols "$lib"); rc=$?
    [ "$rc" -eq 1 ] || { echo "self-test: expected exit 1, got $rc"; fail=1; }
    for s in leaked_text leaked_data leaked_bss leaked_rodata leaked_weak \
        wk__leaked_internal; do
        grep -qx "$s" <<<"$out" ||
            { echo "self-test: $s not reported"; fail=1; }
    done
    if grep -Eq '^(wk_ok_|_init$|_fini$|_edata$|_end$|__bss_start$)' \
        <<<"$out"; then
        echo "self-test: false positives:"; printf '%s\n' "$out"; fail=1
    fi
    grep -q '^hidden_' <<<"$out" &&
        { echo "self-test: hidden symbol reported"; fail=1; }
    if [ "$fail" -eq 0 ]; then
        echo "self-test passed: leaked symbols found, wk_ symbols accepted"
    fi
    return $fail
}

case "${1:-}" in
--self-test)
    [ $# -eq 2 ] || { echo "usage: $0 --self-test BAD.so" >&2; exit 2; }
    self_test "$2"; exit $? ;;
"" | -*) echo "usage: $0 LIB.so | --self-test BAD.so" >&2; exit 2 ;;
esac
out=$(bad_symbols "$1")
rc=$?
case $rc in
0) echo "ok: $(basename "$1") exports only wk_ symbols" ;;
1) echo "FAIL: $(basename "$1") exports symbols outside the wk_ namespace:"
   printf '  %s\n' $out ;;
esac
exit $rc
