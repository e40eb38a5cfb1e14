/* A shared library that leaks non-wk_ symbols, for the self-test of
 * check_symbols.sh (test exported_symbols_selftest). Not part of walkit. */
#define EXPORT __attribute__((visibility("default")))

EXPORT int leaked_text(void);
EXPORT int wk_ok_function(void);
EXPORT int wk__leaked_internal(void);
EXPORT __attribute__((weak)) int leaked_weak(void);

EXPORT int leaked_data = 1;
EXPORT int leaked_bss;
EXPORT const int leaked_rodata = 3;
EXPORT int wk_ok_data = 4;
__attribute__((visibility("hidden"))) int hidden_data = 5;

int
leaked_text(void)
{
    return leaked_data + leaked_bss + leaked_rodata + hidden_data;
}

int
wk_ok_function(void)
{
    return wk_ok_data;
}

int
wk__leaked_internal(void)
{
    return 0;
}

int
leaked_weak(void)
{
    return 1;
}
