/*
 * backend.migrate._canon: the source side of a migration's verification, in C.
 *
 * pg_json_text: JSON text -> the text PostgreSQL prints for it as jsonb
 * (`text::jsonb::text`). hash_rows: canon.row_text + canon.row_hash over a batch of
 * stored SQLite rows, leaving any row with an unusual value to Python.
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
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define MAX_DEPTH 256
#define MAX_DIGITS 1000
#define MAX_EXPONENT 1000

#include "_buf.h"

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

/* qsort has no context argument. Thread-local: hash_rows parses without the GIL, so two
 * threads may sort objects at once. */
static _Thread_local const char *g_keys;

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

/* Canonicalise data[0:size] into ps->out (buffers kept for reuse); 0 if taken. */
static int canon_into(Parser *ps, const char *data, size_t size) {
    ps->p = (const unsigned char *)data;
    ps->end = ps->p + size;
    ps->out.len = ps->keys.len = ps->tmp.len = ps->str.len = 0;
    ps->depth = 0;
    if (buf_reserve(&ps->out, size + 64))
        return -1;
    skip_ws(ps);
    if (parse_value(ps))
        return -1;
    skip_ws(ps);
    return ps->p == ps->end ? 0 : -1;
}

static void parser_free(Parser *ps) {
    free(ps->out.data);
    free(ps->keys.data);
    free(ps->tmp.data);
    free(ps->str.data);
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
    Parser ps = {0};
    PyObject *result = NULL;
    if (canon_into(&ps, data, (size_t)size) == 0)
        result = PyUnicode_DecodeUTF8(ps.out.data, (Py_ssize_t)ps.out.len, "strict");
    parser_free(&ps);
    if (!result) {
        if (PyErr_Occurred() && PyErr_ExceptionMatches(PyExc_MemoryError))
            return NULL;
        PyErr_Clear();
        Py_RETURN_NONE;
    }
    return result;
}

/* ---- MD5 (RFC 1321), for the per-row hash ------------------------------------------ */

typedef struct {
    uint32_t a, b, c, d;
    uint64_t bytes;
    unsigned char block[64];
    size_t fill;
} Md5;

static const uint32_t MD5_K[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391};
static const unsigned char MD5_R[64] = {7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
                                        5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20,
                                        4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                                        6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21};

static void md5_init(Md5 *m) {
    m->a = 0x67452301;
    m->b = 0xefcdab89;
    m->c = 0x98badcfe;
    m->d = 0x10325476;
    m->bytes = 0;
    m->fill = 0;
}

static void md5_block(Md5 *m, const unsigned char *p) {
    uint32_t w[16];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[i * 4] | (uint32_t)p[i * 4 + 1] << 8 | (uint32_t)p[i * 4 + 2] << 16 |
               (uint32_t)p[i * 4 + 3] << 24;
    uint32_t a = m->a, b = m->b, c = m->c, d = m->d;
    for (int i = 0; i < 64; i++) {
        uint32_t f;
        int g;
        if (i < 16) {
            f = (b & c) | (~b & d);
            g = i;
        } else if (i < 32) {
            f = (d & b) | (~d & c);
            g = (5 * i + 1) & 15;
        } else if (i < 48) {
            f = b ^ c ^ d;
            g = (3 * i + 5) & 15;
        } else {
            f = c ^ (b | ~d);
            g = (7 * i) & 15;
        }
        uint32_t t = d;
        d = c;
        c = b;
        uint32_t x = a + f + MD5_K[i] + w[g];
        b = b + ((x << MD5_R[i]) | (x >> (32 - MD5_R[i])));
        a = t;
    }
    m->a += a;
    m->b += b;
    m->c += c;
    m->d += d;
}

static void md5_update(Md5 *m, const unsigned char *p, size_t n) {
    m->bytes += n;
    if (m->fill) {
        size_t take = 64 - m->fill < n ? 64 - m->fill : n;
        memcpy(m->block + m->fill, p, take);
        m->fill += take;
        p += take;
        n -= take;
        if (m->fill < 64)
            return;
        md5_block(m, m->block);
        m->fill = 0;
    }
    for (; n >= 64; p += 64, n -= 64)
        md5_block(m, p);
    memcpy(m->block, p, n);
    m->fill = n;
}

/* The first 8 bytes of the digest, big-endian, as a signed integer (canon.row_hash). */
static int64_t md5_head(Md5 *m) {
    uint64_t bits = m->bytes * 8;
    unsigned char pad = 0x80, zero = 0;
    md5_update(m, &pad, 1);
    while (m->fill != 56)
        md5_update(m, &zero, 1);
    unsigned char len[8];
    for (int i = 0; i < 8; i++)
        len[i] = (unsigned char)(bits >> (8 * i));
    md5_update(m, len, 8);
    uint32_t words[2] = {m->a, m->b};
    uint64_t head = 0;
    for (int w = 0; w < 2; w++)
        for (int i = 0; i < 4; i++)
            head = head << 8 | ((words[w] >> (8 * i)) & 0xFF);
    return (int64_t)head;
}

/* ---- the canonical text of a stored SQLite row, hashed ----------------------------- */

static int is_lower_uuid(const unsigned char *s, size_t n) {
    if (n != 36)
        return 0;
    for (size_t i = 0; i < 36; i++) {
        unsigned char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return 0;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return 0;
        }
    }
    return 1;
}

/* One column value, taken from its Python object while the GIL is held. */
typedef struct {
    const unsigned char *s; /* bytes (NULL for NULL) */
    size_t n;
    long long i; /* integer columns */
} Val;

/* Take a value; 0 if its type is for Python to decide. */
static int take_value(Val *out, char kind, PyObject *v) {
    out->s = NULL;
    out->n = 0;
    if (v == Py_None)
        return 1;
    if (kind == 'i' || kind == 'b') {
        if (!PyLong_CheckExact(v))
            return 0;
        int overflow;
        out->i = PyLong_AsLongLongAndOverflow(v, &overflow);
        if (overflow || (out->i == -1 && PyErr_Occurred())) {
            PyErr_Clear();
            return 0;
        }
        out->n = 1; /* not NULL */
        return 1;
    }
    if (kind == 'f' || !PyBytes_CheckExact(v))
        return 0; /* floats (repr rules) and non-bytes values: Python */
    out->s = (const unsigned char *)PyBytes_AS_STRING(v);
    out->n = (size_t)PyBytes_GET_SIZE(v);
    if (!out->n)
        out->s = (const unsigned char *)""; /* empty, not NULL */
    return 1;
}

/* Feed one column's canonical text ("v" + text, or "n"); 0 if Python must decide.
 * Runs without the GIL: touches only the taken bytes and our own buffers. */
static int feed_value(Md5 *m, Parser *ps, char kind, const Val *v) {
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = v->s;
    size_t n = v->n;
    if (kind == 'i' || kind == 'b') {
        if (!n) {
            md5_update(m, (const unsigned char *)"n", 1);
            return 1;
        }
        char text[24];
        int len = snprintf(text, sizeof text, "%lld", v->i);
        md5_update(m, (const unsigned char *)"v", 1);
        md5_update(m, (const unsigned char *)text, (size_t)len);
        return 1;
    }
    if (!s) {
        md5_update(m, (const unsigned char *)"n", 1);
        return 1;
    }
    switch (kind) {
    case 'u':
        if (!is_lower_uuid(s, n))
            return 0;
        break;
    case 't':
        break;
    case 's':
        if (n != 32 || s[10] != 'T' || memcmp(s + 26, "+00:00", 6))
            return 0;
        break;
    case 'j':
        if (canon_into(ps, (const char *)s, n))
            return 0;
        s = (const unsigned char *)ps->out.data;
        n = ps->out.len;
        break;
    case 'y':
        md5_update(m, (const unsigned char *)"v", 1);
        for (size_t i = 0; i < n; i++) {
            unsigned char pair[2] = {(unsigned char)hex[s[i] >> 4], (unsigned char)hex[s[i] & 15]};
            md5_update(m, pair, 2);
        }
        return 1;
    default:
        return 0;
    }
    md5_update(m, (const unsigned char *)"v", 1);
    md5_update(m, s, n);
    return 1;
}

static PyObject *hash_rows(PyObject *self, PyObject *args) {
    PyObject *rows;
    const char *kinds;
    Py_ssize_t ncols;
    if (!PyArg_ParseTuple(args, "O!y#", &PyList_Type, &rows, &kinds, &ncols))
        return NULL;
    Py_ssize_t nrows = PyList_GET_SIZE(rows);
    if (ncols <= 0)
        return Py_BuildValue("(niN)", (Py_ssize_t)0, 0, PyList_New(0));
    Val *vals = malloc(sizeof(Val) * (size_t)(nrows ? nrows : 1) * (size_t)ncols);
    char *state = malloc((size_t)(nrows ? nrows : 1)); /* 1 taken, 0 for Python */
    int64_t *heads = malloc(sizeof(int64_t) * (size_t)(nrows ? nrows : 1));
    if (!vals || !state || !heads) {
        free(vals);
        free(state);
        free(heads);
        return PyErr_NoMemory();
    }
    /* 1. take the values (GIL held); the list keeps every object alive meanwhile */
    for (Py_ssize_t r = 0; r < nrows; r++) {
        PyObject *row = PyList_GET_ITEM(rows, r);
        if (!PyTuple_Check(row) || PyTuple_GET_SIZE(row) != ncols) {
            free(vals);
            free(state);
            free(heads);
            PyErr_SetString(PyExc_ValueError, "each row must be a tuple with one value per column");
            return NULL;
        }
        state[r] = 1;
        for (Py_ssize_t c = 0; c < ncols && state[r]; c++)
            state[r] = (char)take_value(&vals[r * ncols + c], kinds[c], PyTuple_GET_ITEM(row, c));
    }
    /* 2. canonical text and MD5 without the GIL: the copy's writer thread runs meanwhile */
    Parser ps = {0};
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t r = 0; r < nrows; r++) {
        if (!state[r])
            continue;
        Md5 m;
        md5_init(&m);
        for (Py_ssize_t c = 0; c < ncols && state[r]; c++) {
            if (c)
                md5_update(&m, (const unsigned char *)"\x1f", 1);
            state[r] = (char)feed_value(&m, &ps, kinds[c], &vals[r * ncols + c]);
        }
        if (state[r])
            heads[r] = md5_head(&m);
    }
    Py_END_ALLOW_THREADS
    parser_free(&ps);
    /* 3. the sum (exact, 128 bits) and the rows left to Python */
    __int128 total = 0;
    Py_ssize_t count = 0;
    PyObject *slow = PyList_New(0);
    for (Py_ssize_t r = 0; slow && r < nrows; r++) {
        if (state[r]) {
            total += heads[r];
            count++;
            continue;
        }
        PyObject *index = PyLong_FromSsize_t(r);
        if (!index || PyList_Append(slow, index))
            Py_CLEAR(slow);
        Py_XDECREF(index);
    }
    free(vals);
    free(state);
    free(heads);
    if (!slow)
        return NULL;
    unsigned char raw[16];
    for (int i = 0; i < 16; i++)
        raw[i] = (unsigned char)((unsigned __int128)total >> (8 * i));
    PyObject *sum = _PyLong_FromByteArray(raw, 16, 1, 1);
    if (!sum) {
        Py_DECREF(slow);
        return NULL;
    }
    return Py_BuildValue("(nNN)", count, sum, slow);
}

static PyMethodDef methods[] = {
    {"pg_json_text", pg_json_text, METH_O,
     "JSON text (str or bytes) -> str as PostgreSQL prints it as jsonb; None when the "
     "Python reference must decide (invalid or unusual input)."},
    {"hash_rows", hash_rows, METH_VARARGS,
     "hash_rows(rows, kinds) -> (rows hashed, sum of their canon.row_hash values, indexes of "
     "the rows left to Python). kinds: one byte per column (u t i b f y s j)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_canon",
                                    "Canonical row text and hashes for verification, in C.", -1,
                                    methods};

PyMODINIT_FUNC PyInit__canon(void) { return PyModule_Create(&module); }
