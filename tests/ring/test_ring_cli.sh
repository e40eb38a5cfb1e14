#!/usr/bin/env bash
# End-to-end tests of `walkit ring`: format (file and region, --force),
# append (argument and stdin lines; "pos N" once durable; exit 1 when
# full), dump (text and --json), stat, verify (exit 0 clean, 1 corrupt),
# advance, usage errors.
# Usage: test_ring_cli.sh /path/to/walkit
set -u

W=${1:?usage: test_ring_cli.sh /path/to/walkit}
CLI_TAG=rcli
# shellcheck source=SCRIPTDIR/../lib/cli_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/cli_lib.sh"

expect_out() {
    checks=$((checks + 1))
    local got
    got=$(cat "$T/out")
    if [ "$got" != "$1" ]; then
        fail "$2: stdout '$got', want '$1'"
    fi
}

# ---- usage errors: exit 2, diagnostic on stderr ---------------------------
for args in "ring" "ring nope" "ring format" "ring format $T/x --size abc" \
    "ring advance $T/x" "ring advance $T/x zz" "ring dump $T/x --bogus" \
    "ring format $T/x --offset 100" "ring stat" "ring append"; do
    # shellcheck disable=SC2086
    expect_rc 2 "$W" $args
    [ -s "$T/err" ] || fail "'$args': no diagnostic on stderr"
done
expect_rc 2 "$W" ring dump "$T/missing"

# ---- a whole-file ring ------------------------------------------------------
R=$T/ring.img
expect_rc 0 "$W" ring format "$R" --size 16K
expect_rc 2 "$W" ring format "$R" --size 16K
expect_grep 'force' "$T/err" "format refuses to clobber"
expect_rc 0 "$W" ring append "$R" hello
expect_out "pos 0" "append output"
printf 'one\ntwo\n' >"$T/in"
IN=$T/in expect_rc 0 "$W" ring append "$R" -
expect_out "pos 29
pos 56" "append from stdin"
expect_rc 0 "$W" ring dump "$R"
expect_out "0 5 hello
29 3 one
56 3 two" "dump text"
expect_rc 0 "$W" ring dump "$R" --json
expect_grep '^\{"pos":29,"len":3,"data":"one"\}$' "$T/out" "dump json"
expect_rc 0 "$W" ring stat "$R" --json
expect_grep '"capacity":8192,"used":83,"free":8109,' "$T/out" "stat json"
expect_grep '"entries":3' "$T/out" "stat entries"
expect_rc 0 "$W" ring stat "$R"
expect_grep '^free: 8109 bytes$' "$T/out" "stat text"
expect_rc 0 "$W" ring verify "$R"
expect_grep '^ok$' "$T/out" "verify text"
expect_rc 0 "$W" ring verify "$R" --json
expect_grep '^\{"ok":true,"entries":3,' "$T/out" "verify json"
expect_rc 0 "$W" ring advance "$R" 2
expect_out "freed 2" "advance"
expect_rc 0 "$W" ring dump "$R"
expect_out "56 3 two" "dump after advance"

# ---- full: exit 1, nothing lost ---------------------------------------------
big=$(head -c 3000 /dev/zero | tr '\0' 'x')
expect_rc 0 "$W" ring append "$R" "$big"
expect_rc 0 "$W" ring append "$R" "$big"
expect_rc 1 "$W" ring append "$R" "$big"
expect_grep 'out of space' "$T/err" "full diagnostic"
expect_rc 0 "$W" ring stat "$R" --json
expect_grep '"entries":3' "$T/out" "nothing lost when full"
expect_rc 0 "$W" ring advance "$R" 2
expect_rc 0 "$W" ring append "$R" "$big"

# ---- corruption: verify exits 1 ---------------------------------------------
C=$T/c.img
expect_rc 0 "$W" ring format "$C" --size 16K
for w in aaaaaaaaaaaaaaaaaaaa bbbbbbbbbbbbbbbbbbbb cccccccccccccccccccc; do
    expect_rc 0 "$W" ring append "$C" "$w"
done
printf 'Z' | dd of="$C" bs=1 seek=$((8192 + 44 + 30)) conv=notrunc 2>/dev/null
expect_rc 1 "$W" ring verify "$C"
expect_grep '^CORRUPT$' "$T/out" "verify corrupt"
expect_grep '^corruption at offset 8236' "$T/out" "corruption offset"
expect_rc 1 "$W" ring verify "$C" --json
expect_grep '"ok":false' "$T/out" "verify json corrupt"
expect_rc 2 "$W" ring dump "$C"
expect_grep 'corrupt' "$T/err" "open corrupt"
printf 'junk' >"$T/junk"
expect_rc 1 "$W" ring verify "$T/junk"

# ---- a region of a larger file ------------------------------------------------
G=$T/dev.img
head -c 65536 /dev/zero | tr '\0' 'q' >"$G"
expect_rc 0 "$W" ring format "$G" --size 16K --offset 16K
expect_rc 0 "$W" ring append "$G" inside --offset 16K
expect_rc 0 "$W" ring dump "$G" --offset 16K
expect_out "0 6 inside" "region dump"
expect_rc 1 "$W" ring verify "$G"
checks=$((checks + 1))
[ "$(head -c 16384 "$G" | tr -d q | wc -c)" = 0 ] || fail "bytes before the region changed"
checks=$((checks + 1))
[ "$(tail -c 32768 "$G" | tr -d q | wc -c)" = 0 ] || fail "bytes after the region changed"

echo "ring cli: $checks checks, $fails failures"
[ "$fails" = 0 ]
