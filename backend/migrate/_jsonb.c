/*
 * backend.migrate._jsonb: JSON text -> the text PostgreSQL prints for it as jsonb
 * (`text::jsonb::text`), in C, for the source side of a migration's verification.
 *
 * The pure-Python canon.pg_json_text is the reference; this module only speeds up the
 * common case. Anything unusual (invalid JSON or UTF-8, NaN, \u0000, surrogate escapes,
 * huge numbers, deep nesting) returns None and the caller falls back to Python, so both
 * paths give the same answer by construction.
 *
 * jsonb's printed form: objects with keys ordered by byte length, then bytes; the last of
 * duplicate keys kept; ", " and ": " separators; strings escaped as escape_json does;
 * numbers as numeric prints them (no exponent; the scale of the input).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 256
#define MAX_DIGITS 1000
#define MAX_EXPONENT 1000

typedef struct {
    char *data;
    size_t len, cap;
} Buf;

static int buf_reserve(Buf *b, size_t extra) {
    if (b->len + extra <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra)
        cap *= 2;
    char *data = realloc(b->data, cap);
    if (!data)
        return -1;
    b->data = data;
    b->cap = cap;
    return 0;
}

static int buf_put(Buf *b, const char *s, size_t n) {
    if (buf_reserve(b, n))
        return -1;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    return 0;
}

static int buf_char(Buf *b, char c) {
    if (buf_reserve(b, 1))
        return -1;
    b->data[b->len++] = c;
    return 0;
}

typedef struct {
    const unsigned char *p, *end;
    Buf out;  /* the canonical text being built */
    Buf keys; /* decoded object keys (a stack: each object truncates back) */
    Buf tmp;  /* scratch for one object's reordered members */
    Buf str;  /* scratch for one decoded string */
    int depth;
} Parser;

static void skip_ws(Parser *ps) {
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static int hexval(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Length of a valid UTF-8 sequence starting at p (strict: no overlongs or surrogates), 0 if invalid. */
static int utf8_len(const unsigned char *p, const unsigned char *end) {
    unsigned char c = p[0];
    if (c < 0x80) return 1;
    if (c < 0xC2) return 0;
    if (c < 0xE0) {
        if (end - p < 2 || (p[1] & 0xC0) != 0x80) return 0;
        return 2;
    }
    if (c < 0xF0) {
        if (end - p < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80) return 0;
        if (c == 0xE0 && p[1] < 0xA0) return 0;
        if (c == 0xED && p[1] >= 0xA0) return 0;
        return 3;
    }
    if (c < 0xF5) {
        if (end - p < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80) return 0;
        if (c == 0xF0 && p[1] < 0x90) return 0;
        if (c == 0xF4 && p[1] >= 0x90) return 0;
        return 4;
    }
    return 0;
}

/* Decode a JSON string (at the opening quote) into ps->str. */
static int decode_string(Parser *ps) {
    ps->str.len = 0;
    ps->p++; /* the quote */
    for (;;) {
        const unsigned char *run = ps->p;
        while (ps->p < ps->end && *ps->p != '"' && *ps->p != '\\' && *ps->p >= 0x20 && *ps->p < 0x80)
            ps->p++;
        if (ps->p > run && buf_put(&ps->str, (const char *)run, ps->p - run))
            return -1;
        if (ps->p >= ps->end)
            return -1;
        unsigned char c = *ps->p;
        if (c == '"') {
            ps->p++;
            return 0;
        }
        if (c < 0x20)
            return -1; /* raw control character: not JSON */
        if (c >= 0x80) {
            int n = utf8_len(ps->p, ps->end);
            if (!n || buf_put(&ps->str, (const char *)ps->p, n))
                return -1;
            ps->p += n;
            continue;
        }
        /* a backslash escape */
        if (ps->end - ps->p < 2)
            return -1;
        char e = ps->p[1];
        char plain;
        switch (e) {
        case '"': plain = '"'; break;
        case '\\': plain = '\\'; break;
        case '/': plain = '/'; break;
        case 'b': plain = '\b'; break;
        case 'f': plain = '\f'; break;
        case 'n': plain = '\n'; break;
        case 'r': plain = '\r'; break;
        case 't': plain = '\t'; break;
        case 'u': {
            if (ps->end - ps->p < 6)
                return -1;
            int cp = 0;
            for (int i = 2; i < 6; i++) {
                int h = hexval(ps->p[i]);
                if (h < 0)
                    return -1;
                cp = cp * 16 + h;
            }
            /* \u0000 and surrogates: rare, left to the Python reference. */
            if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF))
                return -1;
            char enc[3];
            size_t n;
            if (cp < 0x80) {
                enc[0] = (char)cp;
                n = 1;
            } else if (cp < 0x800) {
                enc[0] = (char)(0xC0 | (cp >> 6));
                enc[1] = (char)(0x80 | (cp & 0x3F));
                n = 2;
            } else {
                enc[0] = (char)(0xE0 | (cp >> 12));
                enc[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
                enc[2] = (char)(0x80 | (cp & 0x3F));
                n = 3;
            }
            if (buf_put(&ps->str, enc, n))
                return -1;
            ps->p += 6;
            continue;
        }
        default:
            return -1;
        }
        if (buf_char(&ps->str, plain))
            return -1;
        ps->p += 2;
    }
}

/* Append a decoded string as escape_json prints it. */
static int emit_string(Buf *b, const char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    if (buf_reserve(b, n + 2))
        return -1;
    b->data[b->len++] = '"';
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        if (i > start && buf_put(b, s + start, i - start))
            return -1;
        start = i + 1;
        char esc[6] = {'\\', 0, 0, 0, 0, 0};
        size_t m = 2;
        switch (c) {
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        default:
            esc[1] = 'u'; esc[2] = '0'; esc[3] = '0';
            esc[4] = hex[c >> 4]; esc[5] = hex[c & 15];
            m = 6;
        }
        if (buf_put(b, esc, m))
            return -1;
    }
    if (n > start && buf_put(b, s + start, n - start))
        return -1;
    return buf_char(b, '"');
}

/* A JSON number printed as numeric_out prints numeric_in's value. */
static int parse_number(Parser *ps) {
    const unsigned char *p = ps->p, *end = ps->end;
    int negative = 0;
    char digits[MAX_DIGITS + 2];
    int nd = 0, int_digits = 0, frac_digits = 0, nonzero = 0;
    if (p < end && *p == '-') {
        negative = 1;
        p++;
    }
    if (p >= end || *p < '0' || *p > '9')
        return -1;
    if (*p == '0') {
        digits[nd++] = '0';
        int_digits = 1;
        p++;
    } else {
        while (p < end && *p >= '0' && *p <= '9') {
            if (nd >= MAX_DIGITS) return -1;
            nonzero |= *p != '0';
            digits[nd++] = (char)*p++;
            int_digits++;
        }
    }
    if (p < end && *p == '.') {
        p++;
        if (p >= end || *p < '0' || *p > '9')
            return -1;
        while (p < end && *p >= '0' && *p <= '9') {
            if (nd >= MAX_DIGITS) return -1;
            nonzero |= *p != '0';
            digits[nd++] = (char)*p++;
            frac_digits++;
        }
    }
    long exponent = 0;
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        int eneg = 0;
        if (p < end && (*p == '+' || *p == '-')) {
            eneg = *p == '-';
            p++;
        }
        if (p >= end || *p < '0' || *p > '9')
            return -1;
        while (p < end && *p >= '0' && *p <= '9') {
            exponent = exponent * 10 + (*p++ - '0');
            if (exponent > MAX_EXPONENT) return -1;
        }
        if (eneg) exponent = -exponent;
    }
    ps->p = p;
    Buf *b = &ps->out;
    long point = int_digits + exponent; /* digits before the decimal point */
    long scale = frac_digits - exponent;
    if (scale < 0) scale = 0;
    if (buf_reserve(b, (size_t)(nd + labs(exponent) + 4)))
        return -1;
    if (negative && nonzero)
        b->data[b->len++] = '-';
    /* integer part without leading zeros ("0" if none) */
    size_t before = b->len;
    for (long i = 0; i < point; i++) {
        char d = i < nd ? digits[i] : '0';
        if (b->len == before && d == '0')
            continue;
        b->data[b->len++] = d;
    }
    if (b->len == before)
        b->data[b->len++] = '0';
    if (scale > 0) {
        b->data[b->len++] = '.';
        for (long i = point; i < point + scale; i++)
            b->data[b->len++] = (i >= 0 && i < nd) ? digits[i] : '0';
    }
    return 0;
}

typedef struct {
    size_t key_off, key_len; /* in ps->keys */
    size_t val_off, val_len; /* in ps->out */
    size_t order;
} Member;

static const char *g_keys; /* qsort has no context argument; parsing is under the GIL */

static int member_cmp(const void *a, const void *b) {
    const Member *x = a, *y = b;
    if (x->key_len != y->key_len)
        return x->key_len < y->key_len ? -1 : 1;
    int c = memcmp(g_keys + x->key_off, g_keys + y->key_off, x->key_len);
    if (c)
        return c;
    return x->order < y->order ? -1 : (x->order > y->order ? 1 : 0);
}

static int parse_value(Parser *ps);

static int parse_object(Parser *ps) {
    size_t obj_start = ps->out.len, keys_start = ps->keys.len;
    Member *members = NULL;
    size_t n = 0, cap = 0;
    int rc = -1;
    ps->p++; /* { */
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == '}') {
        ps->p++;
        return buf_put(&ps->out, "{}", 2);
    }
    for (;;) {
        skip_ws(ps);
        if (ps->p >= ps->end || *ps->p != '"' || decode_string(ps))
            goto done;
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            Member *grown = realloc(members, cap * sizeof(Member));
            if (!grown)
                goto done;
            members = grown;
        }
        Member *m = &members[n];
        m->key_off = ps->keys.len;
        m->key_len = ps->str.len;
        m->order = n;
        if (buf_put(&ps->keys, ps->str.data ? ps->str.data : "", ps->str.len))
            goto done;
        skip_ws(ps);
        if (ps->p >= ps->end || *ps->p != ':')
            goto done;
        ps->p++;
        skip_ws(ps);
        m->val_off = ps->out.len;
        if (parse_value(ps))
            goto done;
        m->val_len = ps->out.len - m->val_off;
        n++;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == '}') {
            ps->p++;
            break;
        }
        goto done;
    }
    g_keys = ps->keys.data;
    qsort(members, n, sizeof(Member), member_cmp);
    /* Rebuild this object's text in key order, keeping the last of duplicate keys. */
    Buf *t = &ps->tmp;
    size_t tmp_start = t->len;
    if (buf_char(t, '{'))
        goto done;
    int first = 1;
    for (size_t i = 0; i < n; i++) {
        Member *m = &members[i];
        if (i + 1 < n && members[i + 1].key_len == m->key_len &&
            !memcmp(ps->keys.data + members[i + 1].key_off, ps->keys.data + m->key_off, m->key_len))
            continue; /* a later duplicate wins */
        if (!first && buf_put(t, ", ", 2))
            goto done;
        first = 0;
        if (emit_string(t, ps->keys.data + m->key_off, m->key_len) || buf_put(t, ": ", 2) ||
            buf_put(t, ps->out.data + m->val_off, m->val_len))
            goto done;
    }
    if (buf_char(t, '}'))
        goto done;
    ps->out.len = obj_start;
    if (buf_put(&ps->out, t->data + tmp_start, t->len - tmp_start))
        goto done;
    t->len = tmp_start;
    rc = 0;
done:
    ps->keys.len = keys_start;
    free(members);
    return rc;
}

static int parse_array(Parser *ps) {
    ps->p++; /* [ */
    if (buf_char(&ps->out, '['))
        return -1;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == ']') {
        ps->p++;
        return buf_char(&ps->out, ']');
    }
    for (;;) {
        skip_ws(ps);
        if (parse_value(ps))
            return -1;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            if (buf_put(&ps->out, ", ", 2))
                return -1;
            continue;
        }
        if (ps->p < ps->end && *ps->p == ']') {
            ps->p++;
            return buf_char(&ps->out, ']');
        }
        return -1;
    }
}

static int literal(Parser *ps, const char *word, size_t n) {
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n))
        return -1;
    ps->p += n;
    return buf_put(&ps->out, word, n);
}

static int parse_value(Parser *ps) {
    if (ps->p >= ps->end)
        return -1;
    if (++ps->depth > MAX_DEPTH)
        return -1;
    int rc;
    switch (*ps->p) {
    case '{': rc = parse_object(ps); break;
    case '[': rc = parse_array(ps); break;
    case '"':
        rc = decode_string(ps);
        if (!rc)
            rc = emit_string(&ps->out, ps->str.data ? ps->str.data : "", ps->str.len);
        break;
    case 't': rc = literal(ps, "true", 4); break;
    case 'f': rc = literal(ps, "false", 5); break;
    case 'n': rc = literal(ps, "null", 4); break;
    default: rc = parse_number(ps);
    }
    ps->depth--;
    return rc;
}

static PyObject *pg_json_text(PyObject *self, PyObject *arg) {
    const char *data;
    Py_ssize_t size;
    if (PyUnicode_Check(arg)) {
        data = PyUnicode_AsUTF8AndSize(arg, &size);
        if (!data) {
            PyErr_Clear(); /* lone surrogates: the Python reference decides */
            Py_RETURN_NONE;
        }
    } else if (PyBytes_Check(arg)) {
        data = PyBytes_AS_STRING(arg);
        size = PyBytes_GET_SIZE(arg);
    } else {
        PyErr_SetString(PyExc_TypeError, "pg_json_text() takes str or bytes");
        return NULL;
    }
    Parser ps = {(const unsigned char *)data, (const unsigned char *)data + size};
    PyObject *result = NULL;
    if (buf_reserve(&ps.out, (size_t)size + 64) == 0) {
        skip_ws(&ps);
        int rc = parse_value(&ps);
        skip_ws(&ps);
        if (rc == 0 && ps.p == ps.end)
            result = PyUnicode_DecodeUTF8(ps.out.data, (Py_ssize_t)ps.out.len, "strict");
    }
    free(ps.out.data);
    free(ps.keys.data);
    free(ps.tmp.data);
    free(ps.str.data);
    if (!result) {
        if (PyErr_Occurred() && PyErr_ExceptionMatches(PyExc_MemoryError))
            return NULL;
        PyErr_Clear();
        Py_RETURN_NONE;
    }
    return result;
}

static PyMethodDef methods[] = {
    {"pg_json_text", pg_json_text, METH_O,
     "JSON text (str or bytes) -> str as PostgreSQL prints it as jsonb; None when the "
     "Python reference must decide (invalid or unusual input)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_jsonb",
                                    "jsonb's printed form of JSON text, in C.", -1, methods};

PyMODINIT_FUNC PyInit__jsonb(void) { return PyModule_Create(&module); }
