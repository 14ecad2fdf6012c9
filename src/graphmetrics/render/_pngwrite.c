/* Faster PNG writing for rrdtool's graphs: see graphmetrics/render/pngwrite.py.
 *
 * rrdtool draws with cairo, and cairo writes PNGs with libpng's defaults: zlib level 6
 * and all five row filters tried on every row.  For graphs (flat colours, thin lines) that
 * is half of a 600x200 graph's time.  This library defines png_write_info, which cairo
 * calls once per image: it sets zlib level 3 and no row filter, then calls libpng's
 * own.  The PNG is as exact and usually smaller (18.8 KB against 20.6 KB for the
 * benchmark's graph), at 60% of the time.
 *
 * It takes effect only where it is in the process's global symbol scope before
 * libcairo is loaded (libcairo binds its symbols at load: BIND_NOW), which
 * pngwrite.install() arranges.  libpng is looked up by name at run time, so building
 * needs neither its headers nor its library.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <dlfcn.h>

#define ZLIB_LEVEL 3
#define PNG_FILTER_NONE 0x08 /* png.h's PNG_FILTER_NONE: rows as they are */

typedef void (*write_info_fn)(void *png, const void *info);
typedef void (*set_int_fn)(void *png, int value);
typedef void (*set_filter_fn)(void *png, int method, int filters);

static write_info_fn real_write_info;
static set_int_fn set_compression_level;
static set_filter_fn set_filter;
static int calls;

static int load_libpng(void) {
    void *lib = dlopen("libpng16.so.16", RTLD_LAZY | RTLD_NOLOAD);
    if (lib == NULL)
        lib = dlopen("libpng16.so.16", RTLD_LAZY);
    if (lib == NULL)
        return 0;
    set_compression_level = (set_int_fn)dlsym(lib, "png_set_compression_level");
    set_filter = (set_filter_fn)dlsym(lib, "png_set_filter");
    real_write_info = (write_info_fn)dlsym(lib, "png_write_info");
    return real_write_info != NULL;
}

__attribute__((visibility("default"))) void png_write_info(void *png, const void *info) {
    if (real_write_info == NULL && !load_libpng())
        return; /* unreachable in practice: cairo calling this has loaded libpng */
    if (set_compression_level != NULL && set_filter != NULL) {
        set_compression_level(png, ZLIB_LEVEL);
        set_filter(png, 0, PNG_FILTER_NONE);
        __atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED);
    }
    real_write_info(png, info);
}

static PyObject *tuned(PyObject *self, PyObject *args) {
    return PyLong_FromLong(__atomic_load_n(&calls, __ATOMIC_RELAXED));
}

static PyMethodDef methods[] = {
    {"tuned", tuned, METH_NOARGS, "How many PNGs were written with the faster settings."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_pngwrite", "libpng settings for rrdtool's PNGs", -1, methods,
};

PyMODINIT_FUNC PyInit__pngwrite(void) { return PyModule_Create(&module); }
