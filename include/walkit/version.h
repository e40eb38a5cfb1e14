/* walkit library version. Each on-disk format carries its own version in
 * its file header; this number is the library's API/ABI version only. */
#ifndef WALKIT_VERSION_H
#define WALKIT_VERSION_H

#if defined(WK_BUILDING) || defined(WK_SHARED_BUILD)
#define WK_API __attribute__((visibility("default")))
#else
#define WK_API
#endif

#define WK_VERSION_MAJOR 0
#define WK_VERSION_MINOR 1
#define WK_VERSION_PATCH 0
#define WK_VERSION_STRING "0.1.0"
/* MAJOR * 10000 + MINOR * 100 + PATCH */
#define WK_VERSION_NUMBER                                                      \
    (WK_VERSION_MAJOR * 10000 + WK_VERSION_MINOR * 100 + WK_VERSION_PATCH)

#ifdef __cplusplus
extern "C" {
#endif

/* The library's version string, "MAJOR.MINOR.PATCH". Static storage. */
WK_API const char *wk_version(void);
/* WK_VERSION_NUMBER of the library actually linked. */
WK_API int wk_version_number(void);

#ifdef __cplusplus
}
#endif
#endif
