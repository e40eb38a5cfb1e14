#!/usr/bin/env bash
# Syscall confinement: only src/io/ may call the OS for files. Fails (exit 1)
# and prints each offending line when any .c/.h under src/ outside src/io/
# calls one of the file syscalls below. Comments and string literals are
# ignored; method calls (f->close(...)), designated initializers
# (.close = ...) and prefixed names (wk_file_pwrite, seg_open) are not calls
# of the syscall.
#
# Usage: check_syscalls.sh SOURCE_DIR     check SOURCE_DIR/src
#        check_syscalls.sh --self-test    prove the check can fail: plant
#                                         violations and decoys in a temp dir
# Exit: 0 clean, 1 violations found, 2 usage or internal error.
set -u

NAMES='open|openat|creat|pread|pwrite|pwritev|preadv|read|write|fsync|fdatasync|sync_file_range|fallocate|posix_fallocate|ftruncate|truncate|rename|renameat|unlink|unlinkat|mkdir|rmdir|opendir|flock|fcntl|mmap|munmap|close|fopen'
# Not preceded by "->" or "." (possibly with blanks), a whole word, then "(".
PATTERN="(?<!->)(?<!\\.)(?<![.>] )\\b(${NAMES})\\s*\\("

# Prints FILE with comments and string/char literals blanked out, keeping
# the line structure so line numbers stay right.
strip_c() {
    awk '
    BEGIN { incomment = 0 }
    {
        line = $0; out = ""; i = 1; n = length(line)
        while (i <= n) {
            c = substr(line, i, 1); c2 = substr(line, i, 2)
            if (incomment) {
                if (c2 == "*/") { incomment = 0; i += 2; out = out "  " }
                else { i++; out = out " " }
            } else if (c2 == "/*") { incomment = 1; i += 2; out = out "  " }
            else if (c2 == "//") { break }
            else if (c == "\"" || c == "\047") {
                q = c; out = out q; i++
                while (i <= n) {
                    c = substr(line, i, 1)
                    if (c == "\\") { i += 2; out = out "  "; continue }
                    i++
                    if (c == q) { out = out q; break }
                    out = out " "
                }
            } else { out = out c; i++ }
        }
        print out
    }' "$1"
}

# Checks ROOT/src; prints offending lines; returns 0 clean, 1 violations.
check_tree() {
    local root=$1 bad=0 f hits
    if [ ! -d "$root/src" ]; then
        echo "check_syscalls: no directory $root/src" >&2
        return 2
    fi
    while IFS= read -r -d '' f; do
        hits=$(strip_c "$f" | grep -nP "$PATTERN") || continue
        while IFS= read -r h; do
            local ln=${h%%:*}
            echo "${f#"$root"/}:$ln: $(sed -n "${ln}p" "$f" | sed 's/^[[:space:]]*//')"
        done <<<"$hits"
        bad=1
    done < <(find "$root/src" -path "$root/src/io" -prune -o \
                  -type f \( -name '*.c' -o -name '*.h' \) -print0 | sort -z)
    return $bad
}

self_test() {
    local tmp rc out fail=0 name
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/wk-syscalls-XXXXXX") || return 2
    trap 'rm -rf "$tmp"' RETURN
    mkdir -p "$tmp/src/io" "$tmp/src/log" "$tmp/src/common"
    # Allowed: everything in src/io, and decoys elsewhere.
    printf 'int fd = open(p, O_RDONLY);\nfsync(fd); close(fd);\n' \
        >"$tmp/src/io/posix.c"
    cat >"$tmp/src/log/ok.c" <<'C'
/* We open(2) the file, then fsync (and close) it: comments do not count.
 * rename(a, b) in a block comment */
static const struct ops o = { .open = seg_open, .close = seg_close };
int a = f->vfs->pwrite(f, buf, n, off); // write(fd) in a line comment
int b = ops.fsync(f) + f->close (f) + wk_file_pwrite(f, b, n, 0);
int c = seg_open(dir) + reread(x) + my_mkdir(d) + closed(x) + fopen_s;
const char *msg = "open(x) failed; fsync(fd)";
int (*read)(void *f); char ch = '(';
C
    # Violations, one per name, each on its own line of its own file.
    local names=${NAMES//|/ } expect=0
    for name in $names; do
        printf 'static int\nf(void)\n{\n    return %s (x, 1);\n}\n' "$name" \
            >"$tmp/src/common/bad_$name.c"
        expect=$((expect + 1))
    done
    printf 'int x = a+open(p);\n' >"$tmp/src/log/bad_expr.h"
    expect=$((expect + 1))

    out=$(check_tree "$tmp"); rc=$?
    if [ "$rc" -ne 1 ]; then
        echo "self-test: expected exit 1 on planted violations, got $rc"; fail=1
    fi
    if [ "$(printf '%s\n' "$out" | grep -c .)" -ne "$expect" ]; then
        echo "self-test: expected $expect offending lines, got:"; fail=1
        printf '%s\n' "$out"
    fi
    for name in $names; do
        if ! grep -q "^src/common/bad_$name.c:4: return $name (x, 1);" \
            <<<"$out"; then
            echo "self-test: planted call of $name not reported"; fail=1
        fi
    done
    grep -q '^src/log/bad_expr.h:1:' <<<"$out" ||
        { echo "self-test: open after an operator not reported"; fail=1; }
    if grep -qE '^src/(io/|log/ok\.c)' <<<"$out"; then
        echo "self-test: false positives:"; grep -E '^src/(io/|log/ok)' <<<"$out"
        fail=1
    fi
    # And a clean tree passes.
    rm -f "$tmp"/src/common/bad_* "$tmp/src/log/bad_expr.h"
    out=$(check_tree "$tmp"); rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "self-test: clean tree reported (exit $rc):"; echo "$out"; fail=1
    fi
    if [ "$fail" -eq 0 ]; then
        echo "self-test passed: $expect planted violations found, decoys ignored"
        return 0
    fi
    return 1
}

case "${1:-}" in
--self-test) self_test; exit $? ;;
"" | -*) echo "usage: $0 SOURCE_DIR | --self-test" >&2; exit 2 ;;
esac
check_tree "$1"
rc=$?
if [ "$rc" -eq 1 ]; then
    echo "FAIL: file syscalls outside src/io/ (go through the wk_vfs instead)"
elif [ "$rc" -eq 0 ]; then
    echo "ok: no file syscalls outside src/io/"
fi
exit $rc
