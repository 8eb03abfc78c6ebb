/*
 * dyn-dlopen.c — dlopen() of libm.so.6 at run time from a dynamic program:
 * the library is found through the sysroot, its symbols resolve (dlsym),
 * dladdr() names the file, a missing library gives dlerror(), and
 * dlclose() works.
 *
 * The one thing to know: the libm functions are looked up, never called
 * (they need F/D arithmetic); only file names, never addresses, are
 * printed.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

int main(void)
{
    void *m = dlopen("libm.so.6", RTLD_NOW);
    if (!m) {
        printf("dlopen libm failed: %s\n", dlerror());
        return 1;
    }
    const char *names[] = { "cos", "sqrt", "exp", "no_such_function" };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        void *f = dlsym(m, names[i]);
        printf("dlsym(%s): %s", names[i], f ? "found" : "not found");
        Dl_info info;
        if (f && dladdr(f, &info) && info.dli_fname) {
            printf(" in %s, symbol %s", base_name(info.dli_fname), info.dli_sname);
        }
        printf("\n");
    }
    void *again = dlopen("libm.so.6", RTLD_NOW | RTLD_NOLOAD);
    printf("RTLD_NOLOAD finds it loaded: %d, same handle: %d\n", again != NULL, again == m);
    dlclose(again);
    printf("dlclose: %d\n", dlclose(m));
    void *bad = dlopen("libdoes-not-exist.so.9", RTLD_NOW);
    const char *err = dlerror();
    printf("missing library: handle %s, dlerror mentions it: %d\n", bad ? "non-NULL" : "NULL",
           err && strstr(err, "libdoes-not-exist.so.9") != NULL);
    return 0;
}
