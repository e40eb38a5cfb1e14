/* Error model: codes are in the reserved range, names and messages come from
 * the one X-macro, errno values pass through, the allocator hook is used. */
#include <errno.h>
#include <string.h>

#include "common/alloc.h"
#include "common/errmsg.h"
#include "wkt.h"

/* Every library code lies in the reserved range and has a name and message. */
static void
test_codes_in_range_with_names(void **state)
{
    (void)state;
    static const int codes[] = {
#define X(name, value, msg) WK_E##name,
        WK_ERRNO_MAP(X)
#undef X
    };
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        assert_true(codes[i] <= WK_ERR_FIRST && codes[i] >= WK_ERR_LAST);
        assert_string_equal(wk_errname(codes[i]) + 0, wk_errname(codes[i]));
        assert_true(strncmp(wk_errname(codes[i]), "WK_E", 4) == 0);
        assert_string_not_equal(wk_strerror(codes[i]), "unknown error");
    }
    assert_string_equal(wk_errname(WK_ECORRUPT), "WK_ECORRUPT");
}

/* errno values are described like strerror and named like EIO. */
static void
test_errno_pass_through(void **state)
{
    (void)state;
    assert_string_equal(wk_strerror(-EIO), strerror(EIO));
    assert_string_equal(wk_errname(-EIO), "EIO");
    assert_string_equal(wk_errname(-ENOSPC), "ENOSPC");
    assert_string_equal(wk_errname(0), "OK");
    assert_string_equal(wk_strerror(0), "success");
    assert_string_equal(wk_strerror(-29999), "unknown error");
    assert_string_equal(wk_errname(-30998), "E?");
}

/* The per-handle message names the action, the file and the reason. */
static void
test_errmsg_formats_action_and_reason(void **state)
{
    (void)state;
    wk__errmsg m;
    wk__errmsg_init(&m);
    assert_string_equal(wk__errmsg_get(&m), "");
    int rc = wk__errmsg_set(&m, -EIO, "fsync segment '%s'", "00000017.wal");
    assert_int_equal(rc, -EIO);
    assert_string_equal(wk__errmsg_get(&m),
                        "fsync segment '00000017.wal': Input/output error");
    wk__errmsg_destroy(&m);
}

/* Internal allocations go through the installed allocator, which can fail. */
static void
test_allocator_hook(void **state)
{
    (void)state;
    wkt_alloc_install();
    uint64_t before = wkt_alloc_count();
    void *p = wk__malloc(10);
    assert_non_null(p);
    assert_true(wkt_alloc_count() == before + 1);
    wk__free(p);
    wkt_alloc_fail_after(1);
    assert_null(wk__malloc(10));
    assert_null(wk__calloc(2, 8));
    wkt_alloc_reset();
    assert_null(wk__calloc((size_t)-1, 16)); /* overflow is refused */
    char *j = wk__path_join("a/b//", "c");
    assert_string_equal(j, "a/b/c");
    wk__free(j);
    assert_int_equal(wkt_alloc_live(), 0);
    wk_set_allocator(NULL);
}

/* The version functions agree with the header. */
static void
test_version(void **state)
{
    (void)state;
    assert_string_equal(wk_version(), WK_VERSION_STRING);
    assert_int_equal(wk_version_number(), WK_VERSION_NUMBER);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codes_in_range_with_names),
        cmocka_unit_test(test_errno_pass_through),
        cmocka_unit_test(test_errmsg_formats_action_and_reason),
        cmocka_unit_test(test_allocator_hook),
        cmocka_unit_test(test_version),
    };
    return cmocka_run_group_tests_name("errors", tests, NULL, NULL);
}
