#!/usr/bin/env bash
# End-to-end tests of the walkit command-line tool: the log verbs (append,
# dump, verify, stat), their exit codes and output formats, and the demo.
# Usage: test_cli.sh /path/to/walkit
# Every check prints what it expected and what it got when it fails; the
# script exits 1 when any check failed.
set -u

W=${1:?usage: test_cli.sh /path/to/walkit}
CLI_TAG=cli
# shellcheck source=SCRIPTDIR/../lib/cli_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/cli_lib.sh"

# expect_out FILE_WITH_EXPECTED: compares $T/out with the expected text.
expect_out() {
    checks=$((checks + 1))
    if ! cmp -s "$1" "$T/out"; then
        fail "$2: output differs (want < > got):
$(diff "$1" "$T/out" | head -20)"
    fi
}

# ---- usage errors exit 2 with a diagnostic on stderr ----------------------
for args in "" "nope" "log" "log nope" "log append" "log append a b" \
    "log dump" "log dump $T/x --from abc" "log dump $T/x --from -1" \
    "log dump $T/x --from" "log dump $T/x --bogus" "log verify" \
    "log verify $T/x --json=1" "log stat" "log stat a b" \
    "demo --seconds x" "demo a b" "help nope"; do
    # shellcheck disable=SC2086
    if expect_rc 2 "$W" $args; then
        expect_grep '^walkit: ' "$T/err" "'walkit $args' diagnostic"
        checks=$((checks + 1))
        [ -s "$T/out" ] && fail "'walkit $args' wrote to stdout"
    fi
done
[ -e "$T/x" ] && fail "a usage error created the log directory"

expect_rc 0 "$W" help && expect_grep '^  log ' "$T/out" "help lists log"
expect_rc 0 "$W" help log && expect_grep 'log append DIR' "$T/out" "help log"
expect_rc 0 "$W" --version &&
    expect_grep '^walkit [0-9]+\.[0-9]+\.[0-9]+' "$T/out" "--version"

# ---- missing directories: I/O errors, exit 2, nothing created -------------
expect_rc 2 "$W" log dump "$T/missing"
expect_grep "^walkit: open log '.*missing'" "$T/err" "dump of a missing log"
expect_rc 2 "$W" log stat "$T/missing"
expect_rc 2 "$W" log verify "$T/missing"
[ -e "$T/missing" ] && fail "read-only verbs created the log directory"

# ---- append (buffered, then --sync) and dump round trip --------------------
L=$T/log
printf 'alpha\nbeta gamma\n\nbin\001\000x\tz\nquote"back\\slash\nno-newline' \
    >"$T/in1"
IN=$T/in1 expect_rc 0 "$W" log append "$L"
mapfile -t lsn <"$T/out"
checks=$((checks + 1))
[ "${#lsn[@]}" = 6 ] || fail "append printed ${#lsn[@]} LSNs, want 6"
printf 'one\ntwo\n' >"$T/in2"
IN=$T/in2 expect_rc 0 "$W" log append "$L" --sync
mapfile -t lsn2 <"$T/out"
checks=$((checks + 1))
[ "${#lsn2[@]}" = 2 ] || fail "append --sync printed ${#lsn2[@]} LSNs, want 2"
lsn+=("${lsn2[@]}")
prev=0
for l in "${lsn[@]}"; do
    checks=$((checks + 1))
    if ! [[ $l =~ ^[0-9]+$ ]] || [ "$l" -le "$prev" ]; then
        fail "LSNs not strictly increasing numbers: ${lsn[*]}"
        break
    fi
    prev=$l
done

if [ "${#lsn[@]}" = 8 ]; then
    cat >"$T/want_dump" <<EOF
${lsn[0]} 5 text alpha
${lsn[1]} 10 text beta gamma
${lsn[2]} 0 text
${lsn[3]} 8 hex 62696e010078097a
${lsn[4]} 16 text quote"back\\slash
${lsn[5]} 10 text no-newline
${lsn[6]} 3 text one
${lsn[7]} 3 text two
EOF
    expect_rc 0 "$W" log dump "$L" && expect_out "$T/want_dump" "log dump"

    cat >"$T/want_json" <<EOF
{"lsn":${lsn[0]},"len":5,"data":"alpha"}
{"lsn":${lsn[1]},"len":10,"data":"beta gamma"}
{"lsn":${lsn[2]},"len":0,"data":""}
{"lsn":${lsn[3]},"len":8,"hex":"62696e010078097a"}
{"lsn":${lsn[4]},"len":16,"data":"quote\\"back\\\\slash"}
{"lsn":${lsn[5]},"len":10,"data":"no-newline"}
{"lsn":${lsn[6]},"len":3,"data":"one"}
{"lsn":${lsn[7]},"len":3,"data":"two"}
EOF
    expect_rc 0 "$W" log dump "$L" --json &&
        expect_out "$T/want_json" "log dump --json"

    tail -n 3 "$T/want_dump" >"$T/want_from"
    expect_rc 0 "$W" log dump "$L" --from "${lsn[5]}" &&
        expect_out "$T/want_from" "log dump --from"
    : >"$T/empty"
    expect_rc 0 "$W" log dump "$L" --from $((lsn[7] + 1)) &&
        expect_out "$T/empty" "log dump --from past the end"

    expect_rc 0 "$W" log stat "$L"
    expect_grep '^entries: 8$' "$T/out" "log stat entries"
    expect_grep "^first LSN: ${lsn[0]}\$" "$T/out" "log stat first LSN"
    expect_grep "^last LSN: ${lsn[7]}\$" "$T/out" "log stat last LSN"
    expect_grep '^bytes: 55$' "$T/out" "log stat bytes"
    expect_grep '^torn tail: none' "$T/out" "log stat torn tail"
    expect_rc 0 "$W" log stat "$L" --json
    expect_grep "\"entries\":8,.*\"last_lsn\":${lsn[7]}," "$T/out" \
        "log stat --json"
fi

expect_rc 0 "$W" log verify "$L"
expect_grep '^result: clean$' "$T/out" "verify of a clean log"
expect_rc 0 "$W" log verify "$L" --json
expect_grep '"status":"clean".*"corruptions":0' "$T/out" "verify --json clean"

# ---- a flipped byte inside a record mid-log: verify exits 1 ----------------
# Each --sync append is its own batch, so a bad record followed by valid
# ones cannot be a torn tail.
C=$T/corrupt
for i in $(seq -w 1 20); do echo "marker-$i-payload-payload-payload"; done \
    >"$T/in3"
IN=$T/in3 expect_rc 0 "$W" log append "$C" --sync
seg=$(grep -la 'marker-10-' "$C"/* 2>/dev/null | head -n 1)
off=$(grep -obUa 'marker-10-' "$seg" 2>/dev/null | head -n 1 | cut -d: -f1)
checks=$((checks + 1))
if [ -z "$seg" ] || [ -z "$off" ] || [ "$off" -le 4096 ]; then
    fail "could not find record 10 past the segment header (file '$seg', offset '$off')"
else
    printf 'X' | dd of="$seg" bs=1 seek=$((off + 3)) conv=notrunc status=none
    expect_rc 1 "$W" log verify "$C"
    expect_grep "^corruption: file $(basename "$seg") offset [0-9]+ LSN [0-9]+" \
        "$T/out" "verify names the corrupt record"
    expect_grep '^result: CORRUPT' "$T/out" "verify result"
    expect_rc 1 "$W" log verify "$C" --json
    expect_grep '"status":"corrupt".*"corruption":\[\{"file":"' "$T/out" \
        "verify --json corrupt"
    expect_rc 2 "$W" log dump "$C"
    expect_grep '^walkit: open log' "$T/err" "dump of a corrupt log"
fi

# ---- a damaged last record is a torn tail: verify exits 0 ------------------
R=$T/torn
printf 'first\nsecond\nthird-and-last-record\n' >"$T/in4"
IN=$T/in4 expect_rc 0 "$W" log append "$R" --sync
seg=$(grep -la 'third-and-last' "$R"/* 2>/dev/null | head -n 1)
off=$(grep -obUa 'third-and-last' "$seg" 2>/dev/null | head -n 1 | cut -d: -f1)
checks=$((checks + 1))
if [ -z "$seg" ] || [ -z "$off" ]; then
    fail "could not find the last record"
else
    printf 'X' | dd of="$seg" bs=1 seek=$((off + 2)) conv=notrunc status=none
    expect_rc 0 "$W" log verify "$R"
    expect_grep '^torn tail: [0-9]+ bytes' "$T/out" "verify reports torn tail"
    expect_grep '^result: clean$' "$T/out" "torn tail is not corruption"
    expect_rc 0 "$W" log dump "$R"
    checks=$((checks + 1))
    [ "$(wc -l <"$T/out")" = 2 ] || fail "dump after torn tail: $(cat "$T/out")"
    printf 'fourth\n' >"$T/in5"
    IN=$T/in5 expect_rc 0 "$W" log append "$R"
    expect_rc 0 "$W" log dump "$R"
    expect_grep ' 6 text fourth$' "$T/out" "append after a torn tail"
    expect_rc 0 "$W" log verify "$R"
    expect_grep '^torn tail: none' "$T/out" "torn tail truncated by reopen"
fi

# ---- demo (short mode) -----------------------------------------------------
mkdir -p "$T/notdemo" && touch "$T/notdemo/keep"
expect_rc 2 "$W" demo "$T/notdemo"
checks=$((checks + 1))
[ -e "$T/notdemo/keep" ] || fail "demo removed a file it did not own"
if expect_rc 0 "$W" demo "$T/demo" --seconds 2; then
    expect_grep '^  verdict +PASS$' "$T/out" "demo verdict"
else
    cat "$T/out" >&2
fi
expect_grep 'entries recovered' "$T/out" "demo table"

echo "test_cli: $checks checks, $fails failed"
[ "$fails" = 0 ]
