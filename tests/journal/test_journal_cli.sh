#!/usr/bin/env bash
# End-to-end tests of `walkit journal`: format (file and region), apply
# (one transaction per line, "committed N" after each), read (hex of the
# committed view), verify (exit 0 clean, 1 corrupt) and stat, usage errors.
# Usage: test_journal_cli.sh /path/to/walkit
set -u

W=${1:?usage: test_journal_cli.sh /path/to/walkit}
CLI_TAG=jcli
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
for args in "journal" "journal nope" "journal format" \
    "journal format $T/d" "journal format $T/d --journal $T/j --region 0:64K" \
    "journal read $T/d 0 --journal $T/j" "journal read $T/d x 4 --journal $T/j" \
    "journal format $T/d --region 4096" "journal format $T/d --region a:b" \
    "journal apply $T/d --bogus" "journal stat"; do
    # shellcheck disable=SC2086
    expect_rc 2 "$W" $args
    [ -s "$T/err" ] || fail "'$args': no diagnostic on stderr"
done

# ---- separate journal file ------------------------------------------------
D=$T/dev.img
J=$T/dev.jnl
expect_rc 0 "$W" journal format "$D" --journal "$J" --capacity 256K
expect_rc 2 "$W" journal format "$D" --journal "$J" --capacity 256K
printf '0:68656c6c6f 100:aabb\n10:ff\n\n3:4c4c 200:0102030405\n' >"$T/in"
IN=$T/in expect_rc 0 "$W" journal apply "$D" --journal "$J"
expect_out "committed 1
committed 2
committed 3
committed 4" "apply output"
expect_rc 0 "$W" journal read "$D" 0 6 --journal "$J"
expect_out "68656c4c4c00" "read of overlapping transactions"
expect_rc 0 "$W" journal read "$D" 99 4 --journal "$J"
expect_out "00aabb00" "read across a write"
expect_rc 0 "$W" journal read "$D" 200 5 --journal "$J"
expect_out "0102030405" "read"
expect_rc 0 "$W" journal read "$D" 9 3 --journal "$J"
expect_out "00ff00" "read"
expect_rc 0 "$W" journal verify "$D" --journal "$J"
expect_grep '^ok$' "$T/out" "verify text"
expect_rc 0 "$W" journal verify "$D" --journal "$J" --json
expect_grep '^\{"ok":true,.*"corruptions":\[\]' "$T/out" "verify json"
expect_rc 0 "$W" journal stat "$D" --journal "$J" --json
expect_grep '"placement":"file"' "$T/out" "stat json"
expect_rc 0 "$W" journal stat "$D" --journal "$J"
expect_grep '^superblock: gen' "$T/out" "stat text"

# A bad line stops apply with exit 2; earlier lines stay committed.
printf '300:01\n300:zz\n300:02\n' >"$T/in"
IN=$T/in expect_rc 2 "$W" journal apply "$D" --journal "$J"
expect_out "committed 1" "apply stops at a bad line"
expect_rc 0 "$W" journal read "$D" 300 1 --journal "$J"
expect_out "01" "committed before the bad line"

# A damaged superblock copy: verify exits 1 and names it; reads still work
# from the other copy. Both damaged: still corruption (exit 1), and the
# journal cannot be opened (exit 2).
D2=$T/c.img
J2=$T/c.jnl
expect_rc 0 "$W" journal format "$D2" --journal "$J2" --capacity 64K
printf '0:01\n8:02\n16:03\n' >"$T/in"
IN=$T/in expect_rc 0 "$W" journal apply "$D2" --journal "$J2"
expect_rc 0 "$W" journal verify "$D2" --journal "$J2"
printf 'XX' | dd of="$J2" bs=1 seek=4116 conv=notrunc 2>/dev/null
expect_rc 1 "$W" journal verify "$D2" --journal "$J2"
expect_grep '^corruption: offset 4096' "$T/out" "damaged superblock listed"
expect_rc 0 "$W" journal read "$D2" 16 1 --journal "$J2"
expect_out "03" "read with one superblock left"
printf 'XX' | dd of="$J2" bs=1 seek=20 conv=notrunc 2>/dev/null
expect_rc 1 "$W" journal verify "$D2" --journal "$J2"
expect_rc 2 "$W" journal read "$D2" 16 1 --journal "$J2"

# ---- region mode -----------------------------------------------------------
R=$T/region.img
expect_rc 0 "$W" journal format "$R" --region 1M:128K
printf '0:cafe 1048575:0102\n' >"$T/in"
IN=$T/in expect_rc 2 "$W" journal apply "$R" --region 1M
printf '0:cafe 2000000:beef\n' >"$T/in"
IN=$T/in expect_rc 0 "$W" journal apply "$R" --region 1M
expect_out "committed 1" "region apply"
expect_rc 0 "$W" journal read "$R" 0 2 --region 1M
expect_out "cafe" "region read"
expect_rc 0 "$W" journal read "$R" 2000000 2 --region 1M:128K
expect_out "beef" "region read with LEN"
expect_rc 0 "$W" journal stat "$R" --region 1M --json
expect_grep '"placement":"region"' "$T/out" "region stat"
expect_rc 0 "$W" journal verify "$R" --region 1M

if [ "$fails" -ne 0 ]; then
    echo "test_journal_cli: $fails of $checks checks failed" >&2
    exit 1
fi
echo "test_journal_cli: $checks checks passed"
