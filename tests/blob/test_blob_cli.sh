#!/usr/bin/env bash
# End-to-end tests of `walkit blob`: put (prints the id), get (bytes on
# stdout; exit 1 not found or corrupt), del, ls (--tag, --json), stat,
# verify (exit 0 clean, 1 corrupt), compact, kv set/get/del, usage errors.
# Usage: test_blob_cli.sh /path/to/walkit
set -u

W=${1:?usage: test_blob_cli.sh /path/to/walkit}
CLI_TAG=bcli
# shellcheck source=SCRIPTDIR/../lib/cli_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/cli_lib.sh"

S=$T/store

# ---- usage errors: exit 2, diagnostic on stderr ---------------------------
for args in "blob" "blob nope" "blob put" "blob put $S" "blob get $S" \
    "blob get $S x" "blob del $S -1" "blob ls" "blob ls $S --bogus" \
    "blob put $S $T/none" "blob kv" "blob kv frob $S k" "blob kv set $S k" \
    "blob put $S - --tag x" "blob verify"; do
    # shellcheck disable=SC2086
    expect_rc 2 "$W" $args
    [ -s "$T/err" ] || fail "'$args': no diagnostic on stderr"
done
# Reading a store that does not exist: an error, not "not found".
expect_rc 2 "$W" blob get "$T/missing" 1

# ---- put / get / ls ---------------------------------------------------------
head -c 100000 /dev/urandom >"$T/a.bin"
printf 'hello blob' >"$T/b.txt"
expect_rc 0 "$W" blob put "$S" "$T/a.bin" --tag 5
ida=$(cat "$T/out")
printf 'from stdin' >"$T/in"
IN=$T/in expect_rc 0 "$W" blob put "$S" - --tag 6
idb=$(cat "$T/out")
: >"$T/empty"
expect_rc 0 "$W" blob put "$S" "$T/empty"
ide=$(cat "$T/out")
[ "$ida" -lt "$idb" ] || fail "ids not increasing: $ida $idb"

expect_rc 0 "$W" blob get "$S" "$ida"
cmp -s "$T/out" "$T/a.bin" || fail "get $ida: bytes differ"
expect_rc 0 "$W" blob get "$S" "$idb"
[ "$(cat "$T/out")" = "from stdin" ] || fail "get $idb: '$(cat "$T/out")'"
expect_rc 0 "$W" blob get "$S" "$ide"
[ -s "$T/out" ] && fail "empty object: output not empty"
expect_rc 1 "$W" blob get "$S" 999999
expect_grep "no such entry" "$T/err" "get missing"

expect_rc 0 "$W" blob ls "$S"
[ "$(wc -l <"$T/out")" = 3 ] || fail "ls: $(cat "$T/out")"
expect_grep "^$ida 100000 5 " "$T/out" "ls line of a"
expect_rc 0 "$W" blob ls "$S" --tag 6
[ "$(wc -l <"$T/out")" = 1 ] || fail "ls --tag 6: $(cat "$T/out")"
expect_grep "^$idb 10 6 " "$T/out" "ls --tag"
expect_rc 0 "$W" blob ls "$S" --json
expect_grep "^\{\"objects\":\[\{\"id\":$ida,\"len\":100000,\"tag\":5," \
    "$T/out" "ls --json"
if command -v python3 >/dev/null; then
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["objects"])==3' \
        "$T/out" || fail "ls --json: not valid JSON with 3 objects"
fi

# ---- kv ---------------------------------------------------------------------
expect_rc 0 "$W" blob kv set "$S" color blue
expect_rc 0 "$W" blob kv set "$S" color green
expect_rc 0 "$W" blob kv get "$S" color
[ "$(cat "$T/out")" = green ] || fail "kv get: '$(cat "$T/out")'"
expect_rc 0 "$W" blob kv del "$S" color
expect_rc 1 "$W" blob kv get "$S" color
expect_rc 1 "$W" blob kv del "$S" color

# ---- stat, del, compact, verify ----------------------------------------------
expect_rc 0 "$W" blob stat "$S"
expect_grep "^objects: 3 \(100010 bytes\)" "$T/out" "stat objects"
expect_rc 0 "$W" blob stat "$S" --json
expect_grep "\"objects\":3," "$T/out" "stat --json"
expect_rc 0 "$W" blob del "$S" "$idb"
expect_rc 1 "$W" blob del "$S" "$idb"
expect_rc 1 "$W" blob get "$S" "$idb"
expect_rc 0 "$W" blob compact "$S"
expect_rc 0 "$W" blob verify "$S"
expect_grep "^ok$" "$T/out" "verify clean"
expect_rc 0 "$W" blob verify "$S" --json
expect_grep "^\{\"ok\":true," "$T/out" "verify --json"
expect_rc 0 "$W" blob get "$S" "$ida"
cmp -s "$T/out" "$T/a.bin" || fail "get after compact: bytes differ"

# ---- corruption: flip a byte of object a in its chunk --------------------------
expect_rc 0 "$W" blob ls "$S" --tag 5
read -r _ _ _ _ chunk off <"$T/out"
cf=$(printf '%s/chunk-%08u.blob' "$S" "$chunk")
printf '\xff\x00\xff' | dd of="$cf" bs=1 seek=$((off + 5000)) conv=notrunc \
    status=none
expect_rc 1 "$W" blob verify "$S"
expect_grep "^CORRUPT$" "$T/out" "verify corrupt"
expect_grep "CRC mismatch" "$T/out" "verify names the problem"
expect_rc 1 "$W" blob get "$S" "$ida"
expect_grep "CRC mismatch" "$T/err" "get corrupt"
[ -s "$T/out" ] && fail "get of a corrupt object wrote bytes"

# The other objects are still fine.
expect_rc 0 "$W" blob get "$S" "$ide"

echo "blob cli: $checks checks, $fails failures"
[ "$fails" = 0 ]
