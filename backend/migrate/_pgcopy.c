/*
 * backend.migrate._pgcopy: SQLite rows -> PostgreSQL binary COPY rows, in C.
 *
 * encode_rows() takes rows as the SQLite source yields them (text as bytes, JSON
 * selected through values.json_select) and encodes every row whose values are all
 * plainly valid: the checks values.row_converter makes, for the common forms only.
 * A row with anything else (NULL in a NOT NULL column, text that is not UTF-8 or holds
 * NUL, a UUID or timestamp in another spelling, a "!"-marked JSON...) is left out and
 * its index returned, so Python converts it (or quarantines it) exactly as before.
 *
 * encode_values() encodes rows already converted by Python (values.row_converter, with
 * timestamps as microseconds since 2000-01-01 UTC).
 *
 * Column kinds, one character each: u uuid, t text, i int4, b int8, f float8, y bytea,
 * s timestamptz, j jsonb. The output holds rows only: the caller adds the signature and
 * the trailer.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#include "_buf.h"

static int reserve(Buf *b, size_t extra) {
    if (buf_reserve(b, extra)) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static void put_u16(Buf *b, uint16_t v) {
    b->data[b->len++] = (char)(v >> 8);
    b->data[b->len++] = (char)v;
}

static void put_u32(Buf *b, uint32_t v) {
    for (int s = 24; s >= 0; s -= 8)
        b->data[b->len++] = (char)(v >> s);
}

static void put_u64(Buf *b, uint64_t v) {
    for (int s = 56; s >= 0; s -= 8)
        b->data[b->len++] = (char)(v >> s);
}

/* A float8 field. */
static int put_float8(Buf *b, double d) {
    uint64_t bits;
    memcpy(&bits, &d, 8);
    if (reserve(b, 12))
        return -1;
    put_u32(b, 8);
    put_u64(b, bits);
    return 0;
}

/* An int4 (kind 'i') or int8 field; the caller checked the range. */
static int put_integer(Buf *b, char kind, long long x) {
    if (reserve(b, 12))
        return -1;
    if (kind == 'i') {
        put_u32(b, 4);
        put_u32(b, (uint32_t)(int32_t)x);
    } else {
        put_u32(b, 8);
        put_u64(b, (uint64_t)x);
    }
    return 0;
}

/* A field: length, then the bytes (with an optional one-byte prefix, jsonb's version). */
static int put_field(Buf *b, const char *prefix, size_t plen, const char *s, size_t n) {
    if (n + plen > INT32_MAX || reserve(b, 4 + plen + n))
        return -1;
    put_u32(b, (uint32_t)(n + plen));
    if (plen) {
        memcpy(b->data + b->len, prefix, plen);
        b->len += plen;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    return 0;
}

static int valid_utf8(const unsigned char *p, size_t n) {
    const unsigned char *end = p + n;
    while (p < end) {
        unsigned char c = *p;
        if (c < 0x80) {
            p++;
            continue;
        }
        size_t need;
        if (c >= 0xC2 && c < 0xE0) need = 2;
        else if (c >= 0xE0 && c < 0xF0) need = 3;
        else if (c >= 0xF0 && c < 0xF5) need = 4;
        else return 0;
        if ((size_t)(end - p) < need)
            return 0;
        for (size_t i = 1; i < need; i++)
            if ((p[i] & 0xC0) != 0x80)
                return 0;
        if (c == 0xE0 && p[1] < 0xA0) return 0;
        if (c == 0xED && p[1] >= 0xA0) return 0; /* surrogates */
        if (c == 0xF0 && p[1] < 0x90) return 0;
        if (c == 0xF4 && p[1] >= 0x90) return 0;
        p += need;
    }
    return 1;
}

static int hexval(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* 8-4-4-4-12 hex text -> 16 bytes; 0 if not that spelling. */
static int uuid_from_text(const unsigned char *s, size_t n, unsigned char out[16]) {
    if (n != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-')
        return 0;
    int k = 0;
    for (size_t i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            continue;
        int hi = hexval(s[i]), lo = hexval(s[i + 1]);
        if (hi < 0 || lo < 0)
            return 0;
        out[k++] = (unsigned char)(hi * 16 + lo);
        i++;
    }
    return 1;
}

static int digits(const unsigned char *s, int n, int *out) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 1;
}

static int64_t days_from_civil(int y, int m, int d) {
    /* days since 1970-01-01 (proleptic Gregorian), Howard Hinnant's algorithm */
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* "YYYY-MM-DDTHH:MM:SS.ffffff+00:00" (SQLite's storage form) -> microseconds since
 * 2000-01-01 UTC; 0 if not exactly that form or not a real date. */
static int ts_from_text(const unsigned char *s, size_t n, int64_t *out) {
    if (n != 32 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
        s[19] != '.' || memcmp(s + 26, "+00:00", 6))
        return 0;
    int y, mo, d, h, mi, sec, us;
    if (!digits(s, 4, &y) || !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) ||
        !digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &sec) ||
        !digits(s + 20, 6, &us))
        return 0;
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59)
        return 0;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[mo - 1] + (mo == 2 && leap))
        return 0;
    int64_t days = days_from_civil(y, mo, d) - 10957; /* 2000-01-01 */
    *out = ((days * 24 + h) * 60 + mi) * 60 * INT64_C(1000000) + (int64_t)sec * 1000000 + us;
    return 1;
}

static int bytes_of(PyObject *v, const unsigned char **s, size_t *n) {
    if (!PyBytes_CheckExact(v))
        return 0;
    *s = (const unsigned char *)PyBytes_AS_STRING(v);
    *n = (size_t)PyBytes_GET_SIZE(v);
    return 1;
}

static int is_ascii(const unsigned char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (s[i] & 0x80)
            return 0;
    return 1;
}

/* 1 if the JSON text needs Python's attention (values.json_bytes' slow checks). */
static int json_suspect(const unsigned char *s, size_t n) {
    if (n == 0 || s[0] == '!')
        return 1;
    const unsigned char *p = s, *end = s + n;
    while ((p = memchr(p, '\\', (size_t)(end - p))) != NULL) {
        if (end - p >= 6 && p[1] == 'u') {
            if (!memcmp(p + 2, "0000", 4) || p[2] == 'd' || p[2] == 'D')
                return 1;
        }
        p++;
    }
    return !is_ascii(s, n) && !valid_utf8(s, n);
}

/* One raw SQLite value: encode it, or return 0 ("Python decides"); -1 on error. */
static int encode_raw(Buf *b, char kind, int not_null, PyObject *v) {
    const unsigned char *s;
    size_t n;
    if (v == Py_None) {
        if (not_null)
            return 0;
        if (reserve(b, 4))
            return -1;
        put_u32(b, 0xFFFFFFFFu);
        return 1;
    }
    switch (kind) {
    case 'u': {
        unsigned char raw[16];
        if (!bytes_of(v, &s, &n) || !uuid_from_text(s, n, raw))
            return 0;
        return put_field(b, NULL, 0, (const char *)raw, 16) ? -1 : 1;
    }
    case 't':
        if (!bytes_of(v, &s, &n) || memchr(s, 0, n) || (!is_ascii(s, n) && !valid_utf8(s, n)))
            return 0;
        return put_field(b, NULL, 0, (const char *)s, n) ? -1 : 1;
    case 'y':
        if (!bytes_of(v, &s, &n))
            return 0;
        return put_field(b, NULL, 0, (const char *)s, n) ? -1 : 1;
    case 'j':
        if (!bytes_of(v, &s, &n) || json_suspect(s, n))
            return 0;
        return put_field(b, "\x01", 1, (const char *)s, n) ? -1 : 1;
    case 's': {
        int64_t us;
        if (!bytes_of(v, &s, &n) || !ts_from_text(s, n, &us))
            return 0;
        return put_integer(b, 'b', us) ? -1 : 1;
    }
    case 'i':
    case 'b': {
        if (!PyLong_CheckExact(v))
            return 0;
        int overflow;
        long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
        if (overflow || (x == -1 && PyErr_Occurred())) {
            PyErr_Clear();
            return 0;
        }
        if (kind == 'i' && (x < INT32_MIN || x > INT32_MAX))
            return 0;
        return put_integer(b, kind, x) ? -1 : 1;
    }
    case 'f':
        if (!PyFloat_CheckExact(v))
            return 0; /* ints and the rest: Python converts */
        return put_float8(b, PyFloat_AS_DOUBLE(v)) ? -1 : 1;
    }
    return 0;
}

/* One converted value (values.row_converter's output; timestamps as int microseconds). */
static int encode_converted(Buf *b, char kind, PyObject *v) {
    const unsigned char *s;
    size_t n;
    if (v == Py_None) {
        if (reserve(b, 4))
            return -1;
        put_u32(b, 0xFFFFFFFFu);
        return 0;
    }
    switch (kind) {
    case 'u':
    case 't':
    case 'y':
    case 'j':
        if (!bytes_of(v, &s, &n)) {
            PyErr_Format(PyExc_TypeError, "column kind %c needs bytes, got %s", kind,
                         Py_TYPE(v)->tp_name);
            return -1;
        }
        if (kind == 'u' && n != 16) {
            PyErr_SetString(PyExc_ValueError, "a UUID needs 16 bytes");
            return -1;
        }
        return put_field(b, kind == 'j' ? "\x01" : NULL, kind == 'j', (const char *)s, n);
    case 'f': {
        double d = PyFloat_AsDouble(v);
        if (d == -1.0 && PyErr_Occurred())
            return -1;
        return put_float8(b, d);
    }
    case 'i':
    case 'b':
    case 's': {
        long long x = PyLong_AsLongLong(v);
        if (x == -1 && PyErr_Occurred())
            return -1;
        if (kind == 'i' && (x < INT32_MIN || x > INT32_MAX)) {
            PyErr_SetString(PyExc_OverflowError, "int4 out of range");
            return -1;
        }
        return put_integer(b, kind == 's' ? 'b' : kind, x);
    }
    }
    PyErr_Format(PyExc_ValueError, "unknown column kind %c", kind);
    return -1;
}

static int check_kinds(PyObject *kinds, PyObject *not_null, const char **k, const char **nn,
                       Py_ssize_t *ncols) {
    if (!PyBytes_Check(kinds) || (not_null && !PyBytes_Check(not_null))) {
        PyErr_SetString(PyExc_TypeError, "kinds and not_null must be bytes");
        return -1;
    }
    *ncols = PyBytes_GET_SIZE(kinds);
    *k = PyBytes_AS_STRING(kinds);
    if (not_null) {
        if (PyBytes_GET_SIZE(not_null) != *ncols) {
            PyErr_SetString(PyExc_ValueError, "not_null must have one byte per column");
            return -1;
        }
        *nn = PyBytes_AS_STRING(not_null);
    }
    return 0;
}

static PyObject *encode_rows(PyObject *self, PyObject *args) {
    PyObject *rows, *kinds, *not_null;
    if (!PyArg_ParseTuple(args, "O!SS", &PyList_Type, &rows, &kinds, &not_null))
        return NULL;
    const char *k, *nn = NULL;
    Py_ssize_t ncols;
    if (check_kinds(kinds, not_null, &k, &nn, &ncols))
        return NULL;
    Buf b = {0};
    PyObject *slow = PyList_New(0);
    if (!slow)
        return NULL;
    Py_ssize_t nrows = PyList_GET_SIZE(rows);
    for (Py_ssize_t r = 0; r < nrows; r++) {
        PyObject *row = PyList_GET_ITEM(rows, r);
        if (!PyTuple_Check(row) || PyTuple_GET_SIZE(row) != ncols) {
            PyErr_SetString(PyExc_ValueError, "each row must be a tuple with one value per column");
            goto fail;
        }
        size_t start = b.len;
        if (reserve(&b, 2))
            goto fail;
        put_u16(&b, (uint16_t)ncols);
        int ok = 1;
        for (Py_ssize_t c = 0; c < ncols && ok; c++) {
            int rc = encode_raw(&b, k[c], nn[c] == '1', PyTuple_GET_ITEM(row, c));
            if (rc < 0)
                goto fail;
            ok = rc;
        }
        if (!ok) {
            b.len = start;
            PyObject *index = PyLong_FromSsize_t(r);
            if (!index || PyList_Append(slow, index)) {
                Py_XDECREF(index);
                goto fail;
            }
            Py_DECREF(index);
        }
    }
    PyObject *data = PyBytes_FromStringAndSize(b.data ? b.data : "", (Py_ssize_t)b.len);
    free(b.data);
    if (!data) {
        Py_DECREF(slow);
        return NULL;
    }
    PyObject *result = PyTuple_Pack(2, data, slow);
    Py_DECREF(data);
    Py_DECREF(slow);
    return result;
fail:
    free(b.data);
    Py_DECREF(slow);
    return NULL;
}

static PyObject *encode_values(PyObject *self, PyObject *args) {
    PyObject *rows, *kinds;
    if (!PyArg_ParseTuple(args, "O!S", &PyList_Type, &rows, &kinds))
        return NULL;
    const char *k, *nn = NULL;
    Py_ssize_t ncols;
    if (check_kinds(kinds, NULL, &k, &nn, &ncols))
        return NULL;
    Buf b = {0};
    Py_ssize_t nrows = PyList_GET_SIZE(rows);
    for (Py_ssize_t r = 0; r < nrows; r++) {
        PyObject *row = PySequence_Fast(PyList_GET_ITEM(rows, r), "each row must be a sequence");
        if (!row)
            goto fail;
        if (PySequence_Fast_GET_SIZE(row) != ncols) {
            Py_DECREF(row);
            PyErr_SetString(PyExc_ValueError, "each row needs one value per column");
            goto fail;
        }
        if (reserve(&b, 2)) {
            Py_DECREF(row);
            goto fail;
        }
        put_u16(&b, (uint16_t)ncols);
        for (Py_ssize_t c = 0; c < ncols; c++) {
            if (encode_converted(&b, k[c], PySequence_Fast_GET_ITEM(row, c))) {
                Py_DECREF(row);
                goto fail;
            }
        }
        Py_DECREF(row);
    }
    PyObject *data = PyBytes_FromStringAndSize(b.data ? b.data : "", (Py_ssize_t)b.len);
    free(b.data);
    return data;
fail:
    free(b.data);
    return NULL;
}

static PyMethodDef methods[] = {
    {"encode_rows", encode_rows, METH_VARARGS,
     "encode_rows(rows, kinds, not_null) -> (binary COPY rows, indexes of rows left to Python)"},
    {"encode_values", encode_values, METH_VARARGS,
     "encode_values(rows, kinds) -> binary COPY rows of already converted values"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_pgcopy",
                                    "PostgreSQL binary COPY rows from SQLite rows, in C.", -1,
                                    methods};

PyMODINIT_FUNC PyInit__pgcopy(void) { return PyModule_Create(&module); }
