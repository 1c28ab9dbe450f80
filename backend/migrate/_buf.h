/* A growable byte buffer shared by the migration's C accelerators (_canon.c, _pgcopy.c).
 * Plain malloc: _canon.c fills buffers without holding the GIL. */
#ifndef STOREROOM_BUF_H
#define STOREROOM_BUF_H

#include <stdlib.h>
#include <string.h>

typedef struct {
    char *data;
    size_t len, cap;
} Buf;

/* Room for ``extra`` more bytes; -1 when out of memory (the caller reports it). */
static inline int buf_reserve(Buf *b, size_t extra) {
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

static inline int buf_put(Buf *b, const char *s, size_t n) {
    if (buf_reserve(b, n))
        return -1;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    return 0;
}

static inline int buf_char(Buf *b, char c) {
    if (buf_reserve(b, 1))
        return -1;
    b->data[b->len++] = c;
    return 0;
}

#endif
