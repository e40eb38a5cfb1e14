#!/usr/bin/env bash
# End-to-end tests of `walkit meta`: put/get/del (exit 1 for a missing
# key), scan in key order (--from, --json), stat, compact, verify (exit 0
# clean, 1 corrupt), usage errors (exit 2).
# Usage: test_meta_cli.sh /path/to/walkit
set -u

W=${1:?usage: test_meta_cli.sh /path/to/walkit}
CLI_TAG=mcli
# shellcheck source=SCRIPTDIR/../lib/cli_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/cli_lib.sh"

# expect_out TEXT WHAT: stdout equals TEXT (plus its newline).
expect_out() {
    checks=$((checks + 1))
    local got
    got=$(cat "$T/out")
    if [ "$got" != "$1" ]; then
        fail "$2: stdout '$got', want '$1'"
    fi
}

# ---- usage errors: exit 2, diagnostic on stderr ---------------------------
for args in "meta" "meta nope" "meta put" "meta put $T/s 1" \
    "meta put $T/s x 1" "meta put $T/s 1 -2" "meta get $T/s" \
    "meta get $T/s 1 2" "meta scan $T/s --from x" "meta del $T/s" \
    "meta stat" "meta verify" "meta compact" "meta scan $T/s --bogus" \
    "meta put $T/s 1 1 abc --hex"; do
    # shellcheck disable=SC2086
    expect_rc 2 "$W" $args
    [ -s "$T/err" ] || fail "'$args': no diagnostic on stderr"
done

S=$T/store
expect_rc 2 "$W" meta get "$S" 1 # no store yet
expect_rc 0 "$W" meta put "$S" 5 50 hello
expect_rc 0 "$W" meta put "$S" 1 10
expect_rc 0 "$W" meta put "$S" 9 90 00ff --hex
expect_rc 0 "$W" meta put "$S" 18446744073709551615 7 max
expect_rc 0 "$W" meta get "$S" 5
expect_out "5 50 hello" "get text"
expect_rc 0 "$W" meta get "$S" 9 --json
expect_out '{"key":9,"value":90,"len":2,"bytes":"\u0000\u00ff","hex":"00ff"}' "get json"
expect_rc 0 "$W" meta get "$S" 9
expect_out "9 90 0x00ff" "get binary"
expect_rc 1 "$W" meta get "$S" 2
expect_grep 'not found' "$T/err" "missing key message"
expect_rc 0 "$W" meta scan "$S"
expect_out "1 10 
5 50 hello
9 90 0x00ff
18446744073709551615 7 max" "scan in key order"
expect_rc 0 "$W" meta scan "$S" --from 6
expect_out "9 90 0x00ff
18446744073709551615 7 max" "scan --from"
expect_rc 0 "$W" meta scan "$S" --from 6 --json
expect_grep '^\{"key":9,' "$T/out" "scan json"
expect_rc 0 "$W" meta del "$S" 5
expect_rc 1 "$W" meta get "$S" 5
expect_rc 0 "$W" meta del "$S" 5 # absent: fine
expect_rc 0 "$W" meta stat "$S" --json
expect_grep '"items":3,' "$T/out" "stat json items"
expect_grep '"snapshot_gen":0,' "$T/out" "stat json before compaction"
expect_rc 0 "$W" meta compact "$S"
expect_grep '^snapshot gen 1: 3 items' "$T/out" "compact output"
expect_rc 0 "$W" meta stat "$S"
expect_grep '^items: 3$' "$T/out" "stat text"
expect_grep '^snapshot: gen 1 \(snap-0000000000000001.wks\)' "$T/out" "stat snapshot"
expect_rc 0 "$W" meta put "$S" 3 30 after
expect_rc 0 "$W" meta verify "$S"
expect_grep '^ok$' "$T/out" "verify text"
expect_rc 0 "$W" meta verify "$S" --json
expect_grep '^\{"ok":true,' "$T/out" "verify json"
expect_rc 0 "$W" meta scan "$S"
expect_out "1 10 
3 30 after
9 90 0x00ff
18446744073709551615 7 max" "scan after compaction"

# A damaged snapshot: verify exits 1 and says where; open fails (exit 2).
SNAP=$S/snap-0000000000000001.wks
printf 'XX' | dd of="$SNAP" bs=1 seek=100 conv=notrunc 2>/dev/null
expect_rc 1 "$W" meta verify "$S"
expect_grep '^corruption: WK_ECORRUPT: .*snapshot' "$T/out" "verify names the snapshot"
expect_rc 1 "$W" meta verify "$S" --json
expect_grep '"ok":false' "$T/out" "verify json corrupt"
expect_rc 2 "$W" meta get "$S" 1
expect_grep 'corrupt' "$T/err" "open of a corrupt store"

expect_rc 0 "$W" help meta
expect_grep 'walkit meta put' "$T/out" "help text"

if [ "$fails" -ne 0 ]; then
    echo "test_meta_cli: $fails of $checks checks failed" >&2
    exit 1
fi
echo "test_meta_cli: $checks checks passed"
