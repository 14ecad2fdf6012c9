/* The tracelog parser's fast path in C: graphmetrics.tracelog.parser.Parser.scan.
 *
 * scan(sources, minutes, last_minute, line, cache) takes a syslog-ng line apart as
 * Parser._scan_py does (parser.py: the reference, and the code that runs where this
 * module is not built) and returns the same 9-tuple (instance, code, rid_at, rid_end,
 * minute, sec_at, sec_end, rest_at, seconds), or None whenever it is not sure: a line
 * of wider characters than Latin-1, an unknown source or minute, anything unusual.
 * Parser.scan then asks _scan_py, so a None costs time, never a different answer.
 * tests/unit/test_tracelog_scan.py compares the two over generated lines.
 *
 * What the Python code pays per line in calls into the interpreter (five str.find,
 * two slices, a dozen one-character reads) is here a few memchr and byte reads.  The
 * source is found in ``cache`` (the parser's list of source-as-written, instance pairs:
 * a direct-mapped cache of its ``sources`` dict, slot by an FNV-1a hash of the line's
 * prefix, checked by comparing the prefix), else in ``sources`` by a slice of the line,
 * then cached; the mapping never changes, so an old entry is never a wrong one.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* One of the record codes (records.CODES): A-E I S T X - */
static int
is_code(Py_UCS1 c)
{
    return (c >= 'A' && c <= 'E') || c == 'I' || c == 'S' || c == 'T' || c == 'X' || c == '-';
}

/* White space for str.split (parser.no_space_at): control characters count too. */
static int
space_like(Py_UCS1 c)
{
    return c <= 32 || (c >= 127 && Py_UNICODE_ISSPACE(c));
}

/* parser.seconds_at: SS or SS.f up to microseconds, else -1.0 */
static double
seconds_at(const Py_UCS1 *text, Py_ssize_t start, Py_ssize_t end)
{
    Py_ssize_t n = end - start, dot = start + 2, i;
    long long digits = 0, scale = 1;

    if (n != 2 && !(3 < n && n <= 9 && text[dot] == '.'))
        return -1.0;
    for (i = start; i < end; i++) {
        if (i != dot) {
            int c = (int)text[i] - '0';
            if (c < 0 || c > 9)
                return -1.0;
            digits = digits * 10 + c;
            if (i > dot)
                scale *= 10;
        }
    }
    return (double)digits / (double)scale;
}

static const Py_UCS1 *
space_from(const Py_UCS1 *data, Py_ssize_t from, Py_ssize_t n)
{
    return from < n ? memchr(data + from, ' ', (size_t)(n - from)) : NULL;
}

static PyObject *
scan(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *sources, *minutes, *last, *line, *cache, *raw, *instance, *minute, *result;
    const Py_UCS1 *data, *found;
    Py_ssize_t n, space, at, rid_at, end_rid, time_colon, start_sec, end_sec, rest_at, i;
    Py_UCS1 code;
    double seconds;
    int known;

    (void)module;
    if (nargs != 5) {
        PyErr_SetString(PyExc_TypeError, "scan(sources, minutes, last_minute, line, cache)");
        return NULL;
    }
    sources = args[0];
    minutes = args[1];
    last = args[2];
    line = args[3];
    cache = args[4];
    if (!PyDict_Check(sources) || !PyAnySet_Check(minutes) || !PyUnicode_Check(last) ||
        !PyUnicode_Check(line) || !PyList_CheckExact(cache) || PyList_GET_SIZE(cache) < 2) {
        PyErr_SetString(PyExc_TypeError, "scan(dict, set, str, str, list of 2 or more)");
        return NULL;
    }
    if (PyUnicode_KIND(line) != PyUnicode_1BYTE_KIND)
        Py_RETURN_NONE;
    data = PyUnicode_1BYTE_DATA(line);
    n = PyUnicode_GET_LENGTH(line);

    /* host customer instance: the third space */
    found = space_from(data, 0, n);
    if (found != NULL)
        found = space_from(data, found - data + 1, n);
    if (found != NULL)
        found = space_from(data, found - data + 1, n);
    if (found == NULL)
        Py_RETURN_NONE;
    space = found - data;

    /* the record code, unless a lone ":" word comes first */
    at = space + 1;
    if (at + 1 < n && data[at] == ':') {
        if (data[at + 1] != ' ')
            Py_RETURN_NONE;
        at += 2;
    }
    if (at + 1 >= n || data[at + 1] != ' ')
        Py_RETURN_NONE;
    code = data[at];
    if (!is_code(code))
        Py_RETURN_NONE;

    /* the source: from the parser's cache (slot by a hash of the prefix, checked by
     * comparing it), else from its dict by a slice of the line (then cached) */
    {
        uint32_t hash = 2166136261u; /* FNV-1a */
        Py_ssize_t slot, k;
        PyObject *cached;

        for (k = 0; k < space; k++)
            hash = (hash ^ data[k]) * 16777619u;
        slot = (Py_ssize_t)(hash % (uint32_t)(PyList_GET_SIZE(cache) / 2)) * 2;
        cached = PyList_GET_ITEM(cache, slot);
        if (PyUnicode_Check(cached) && PyUnicode_KIND(cached) == PyUnicode_1BYTE_KIND &&
            PyUnicode_GET_LENGTH(cached) == space &&
            memcmp(PyUnicode_1BYTE_DATA(cached), data, (size_t)space) == 0) {
            instance = PyList_GET_ITEM(cache, slot + 1); /* borrowed */
        }
        else {
            raw = PyUnicode_Substring(line, 0, space);
            if (raw == NULL)
                return NULL;
            instance = PyDict_GetItemWithError(sources, raw); /* borrowed */
            if (instance == NULL) {
                Py_DECREF(raw);
                if (PyErr_Occurred())
                    return NULL;
                Py_RETURN_NONE;
            }
            PyList_SetItem(cache, slot, raw); /* steals raw */
            PyList_SetItem(cache, slot + 1, Py_NewRef(instance));
            instance = PyList_GET_ITEM(cache, slot + 1);
        }
    }

    /* the request id, then the date and time: "YYYY-MM-DD HH:MM:" */
    rid_at = at + 2;
    found = space_from(data, rid_at, n);
    if (found == NULL)
        Py_RETURN_NONE;
    end_rid = found - data;
    time_colon = end_rid + 17;
    if (end_rid <= rid_at || time_colon >= n || data[time_colon] != ':')
        Py_RETURN_NONE;
    for (i = rid_at; i < end_rid; i++)
        if (space_like(data[i]))
            Py_RETURN_NONE;

    /* the minute: the last one seen (compared in place), or one the parser knows */
    if (PyUnicode_KIND(last) == PyUnicode_1BYTE_KIND && PyUnicode_GET_LENGTH(last) == 16 &&
        memcmp(PyUnicode_1BYTE_DATA(last), data + end_rid + 1, 16) == 0) {
        minute = Py_NewRef(last);
    }
    else {
        minute = PyUnicode_Substring(line, end_rid + 1, time_colon);
        if (minute == NULL)
            return NULL;
        known = PySet_Contains(minutes, minute);
        if (known <= 0) {
            Py_DECREF(minute);
            if (known < 0)
                return NULL;
            Py_RETURN_NONE;
        }
    }

    /* the seconds, then the arguments (no white space around them) */
    start_sec = time_colon + 1;
    found = space_from(data, start_sec, n);
    if (found == NULL) {
        end_sec = rest_at = n;
    }
    else {
        end_sec = found - data;
        rest_at = end_sec + 1;
        if (rest_at >= n || space_like(data[rest_at]) || space_like(data[n - 1])) {
            Py_DECREF(minute);
            Py_RETURN_NONE;
        }
    }
    seconds = seconds_at(data, start_sec, end_sec);
    if (seconds < 0.0) {
        Py_DECREF(minute);
        Py_RETURN_NONE;
    }

    result = PyTuple_New(9);
    if (result == NULL) {
        Py_DECREF(minute);
        return NULL;
    }
    PyTuple_SET_ITEM(result, 0, Py_NewRef(instance));
    PyTuple_SET_ITEM(result, 4, minute);
    {
        PyObject *items[7] = {
            PyLong_FromLong(code),      PyLong_FromSsize_t(rid_at),  PyLong_FromSsize_t(end_rid),
            PyLong_FromSsize_t(start_sec), PyLong_FromSsize_t(end_sec), PyLong_FromSsize_t(rest_at),
            PyFloat_FromDouble(seconds),
        };
        static const int where[7] = {1, 2, 3, 5, 6, 7, 8};
        int k, failed = 0;
        for (k = 0; k < 7; k++) {
            if (items[k] == NULL)
                failed = 1;
            else
                PyTuple_SET_ITEM(result, where[k], items[k]);
        }
        if (failed) {
            Py_DECREF(result); /* the items set are released with it */
            return NULL;
        }
    }
    return result;
}

static PyMethodDef methods[] = {
    {"scan", (PyCFunction)(void (*)(void))scan, METH_FASTCALL,
     "scan(sources, minutes, last_minute, line, cache): Parser.scan's tuple, or None (ask "
     "the Python code)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "graphmetrics.tracelog._scan",
    "The tracelog parser's fast path in C (graphmetrics.tracelog.parser).", -1, methods,
};

PyMODINIT_FUNC
PyInit__scan(void)
{
    return PyModule_Create(&module);
}
