/* Error names and messages: generated from the one X-macro in errors.h, with
 * errno values described by the C library. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "walkit/errors.h"
#include "walkit/version.h"

const char *
wk_version(void)
{
    return WK_VERSION_STRING;
}

int
wk_version_number(void)
{
    return WK_VERSION_NUMBER;
}

const char *
wk_strerror(int rc)
{
    if (rc == 0)
        return "success";
    switch (rc) {
#define WK__ERR_MSG(name, value, msg)                                          \
    case WK_E##name:                                                           \
        return msg;
        WK_ERRNO_MAP(WK__ERR_MSG)
#undef WK__ERR_MSG
    default:
        break;
    }
    if (rc < 0 && rc > WK_ERR_FIRST) {
        const char *d = strerrordesc_np(-rc);
        if (d != NULL)
            return d;
    }
    return "unknown error";
}

const char *
wk_errname(int rc)
{
    if (rc == 0)
        return "OK";
    switch (rc) {
#define WK__ERR_NAME(name, value, msg)                                         \
    case WK_E##name:                                                           \
        return "WK_E" #name;
        WK_ERRNO_MAP(WK__ERR_NAME)
#undef WK__ERR_NAME
    default:
        break;
    }
    if (rc < 0 && rc > WK_ERR_FIRST) {
        const char *n = strerrorname_np(-rc);
        if (n != NULL)
            return n;
    }
    return "E?";
}
