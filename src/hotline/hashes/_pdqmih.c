/*
 * Exact radius search over 256-bit PDQ hashes by multi-index hashing.
 *
 * A hash is split into m chunks of w_i bits. If two hashes differ in at most R bits, then
 * by the pigeonhole principle at least one chunk differs in at most floor(R / m) bits. So
 * each chunk gets an inverted table (chunk value -> ids, a counting sort into one array
 * with an offset per possible value), a query probes, per chunk, every value within
 * floor(R / m) bits of its own chunk, and every candidate is verified on all 256 bits.
 * Nothing within R is ever missed; nothing beyond R is ever returned.
 *
 * A candidate can be found through several chunks; it is reported only through the first
 * chunk whose distance is within the probe radius, which deduplicates without any per-query
 * memory proportional to the index.
 *
 * The Python side (hotline.hashes.pdq_index) owns every array; this file only reads and
 * fills buffers, and releases the GIL while it searches so threads can share the cores.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define WORDS 4
#define MAX_CHUNKS 32

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#define POPCOUNT_CLONES __attribute__((target_clones("popcnt", "default")))
#else
#define POPCOUNT_CLONES
#endif

typedef struct {
    int m;
    int width[MAX_CHUNKS];
    int start[MAX_CHUNKS];           /* first bit of each chunk */
    Py_ssize_t table[MAX_CHUNKS];    /* where each chunk's offsets begin */
    Py_ssize_t total;                /* all offsets: sum of 2^w + 1 */
} Layout;

static int layout_from(const Py_buffer *widths, Layout *out) {
    const uint8_t *w = (const uint8_t *)widths->buf;
    int bit = 0;
    Py_ssize_t table = 0;
    if (widths->len < 1 || widths->len > MAX_CHUNKS) {
        PyErr_SetString(PyExc_ValueError, "between 1 and 32 chunks");
        return -1;
    }
    out->m = (int)widths->len;
    for (int i = 0; i < out->m; i++) {
        if (w[i] < 1 || w[i] > 27) {
            PyErr_SetString(PyExc_ValueError, "chunk widths must be 1..27 bits");
            return -1;
        }
        out->width[i] = w[i];
        out->start[i] = bit;
        out->table[i] = table;
        bit += w[i];
        table += ((Py_ssize_t)1 << w[i]) + 1;
    }
    if (bit != 256) {
        PyErr_SetString(PyExc_ValueError, "chunk widths must add up to 256 bits");
        return -1;
    }
    out->total = table;
    return 0;
}

static inline void load(const uint8_t *p, uint64_t out[WORDS]) { memcpy(out, p, 32); }

static inline uint32_t chunk(const uint64_t h[WORDS], int start, int width) {
    int word = start >> 6, shift = start & 63;
    uint64_t value = h[word] >> shift;
    if (shift + width > 64 && word + 1 < WORDS) value |= h[word + 1] << (64 - shift);
    return (uint32_t)(value & (((uint64_t)1 << width) - 1));
}

/* build(hashes, widths, offsets, ids): counting sort of every chunk. ``offsets`` is a
 * writable uint32 buffer of Layout.total entries, ``ids`` one of m * n uint32. */
static PyObject *build(PyObject *self, PyObject *args) {
    Py_buffer hashes, widths, offsets, ids;
    Layout layout;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*y*w*w*", &hashes, &widths, &offsets, &ids)) return NULL;
    PyObject *result = NULL;
    Py_ssize_t n = hashes.len / 32;
    if (hashes.len % 32 != 0) {
        PyErr_SetString(PyExc_ValueError, "hashes must be 32 bytes each");
        goto done;
    }
    if (layout_from(&widths, &layout) < 0) goto done;
    if (offsets.len != layout.total * 4 || ids.len != (Py_ssize_t)layout.m * n * 4) {
        PyErr_SetString(PyExc_ValueError, "offsets or ids buffer of the wrong size");
        goto done;
    }
    if (n > UINT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "at most 2^32 - 1 hashes per segment");
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    uint32_t *off = (uint32_t *)offsets.buf;
    uint32_t *out = (uint32_t *)ids.buf;
    const uint8_t *base = (const uint8_t *)hashes.buf;
    memset(off, 0, (size_t)layout.total * 4);
    for (int c = 0; c < layout.m; c++) {
        uint32_t *o = off + layout.table[c];
        Py_ssize_t size = ((Py_ssize_t)1 << layout.width[c]);
        uint64_t h[WORDS];
        for (Py_ssize_t i = 0; i < n; i++) {
            load(base + 32 * i, h);
            o[chunk(h, layout.start[c], layout.width[c]) + 1]++;
        }
        for (Py_ssize_t v = 0; v < size; v++) o[v + 1] += o[v];
        /* place ids; o[v] walks forward and is restored afterwards */
        uint32_t *slot = out + (Py_ssize_t)c * n;
        for (Py_ssize_t i = 0; i < n; i++) {
            load(base + 32 * i, h);
            uint32_t v = chunk(h, layout.start[c], layout.width[c]);
            slot[o[v]++] = (uint32_t)i;
        }
        for (Py_ssize_t v = size; v > 0; v--) o[v] = o[v - 1];
        o[0] = 0;
    }
    Py_END_ALLOW_THREADS
    result = Py_None;
    Py_INCREF(result);
done:
    PyBuffer_Release(&hashes);
    PyBuffer_Release(&widths);
    PyBuffer_Release(&offsets);
    PyBuffer_Release(&ids);
    return result;
}

typedef struct {
    uint32_t *query;
    uint32_t *id;
    uint8_t *distance;
    Py_ssize_t count, capacity;
    int failed;
} Results;

static void push(Results *r, uint32_t query, uint32_t id, int distance) {
    if (r->failed) return;
    if (r->count == r->capacity) {
        Py_ssize_t grown = r->capacity ? r->capacity * 2 : 1024;
        uint32_t *q = realloc(r->query, (size_t)grown * 4);
        if (q) r->query = q;
        uint32_t *i = realloc(r->id, (size_t)grown * 4);
        if (i) r->id = i;
        uint8_t *d = realloc(r->distance, (size_t)grown);
        if (d) r->distance = d;
        if (!q || !i || !d) {
            r->failed = 1;
            return;
        }
        r->capacity = grown;
    }
    r->query[r->count] = query;
    r->id[r->count] = id;
    r->distance[r->count] = (uint8_t)distance;
    r->count++;
}

/* Growable scratch arrays of one search call (one query at a time reuses them). */
typedef struct {
    uint32_t *data;
    Py_ssize_t count, capacity;
    int failed;
} Buffer;

static inline void put(Buffer *b, uint32_t value) {
    if (b->count == b->capacity) {
        Py_ssize_t grown = b->capacity ? b->capacity * 2 : 4096;
        uint32_t *d = realloc(b->data, (size_t)grown * 4);
        if (!d) {
            b->failed = 1;
            return;
        }
        b->data = d;
        b->capacity = grown;
    }
    b->data[b->count++] = value;
}

typedef struct {
    const Layout *layout;
    const uint8_t *base;
    const uint32_t *off;
    const uint32_t *ids;
    Py_ssize_t n;
    uint64_t q[WORDS];
    uint32_t qchunk[MAX_CHUNKS];
    int radius, probe;
    Buffer probes;     /* (chunk << 28 | value) of every probe */
    Buffer ranges;     /* (chunk, first, end) triples of non-empty buckets */
    Buffer candidates; /* (chunk, id) pairs */
} Search;

/* every value within ``left`` more flipped bits of ``value``, flipping bits >= ``from`` */
static void enumerate(Search *s, int c, uint32_t value, int from, int left) {
    put(&s->probes, ((uint32_t)c << 27) | value);
    __builtin_prefetch(s->off + s->layout->table[c] + value);
    if (left == 0) return;
    for (int b = from; b < s->layout->width[c]; b++)
        enumerate(s, c, value ^ (1u << b), b + 1, left - 1);
}

/* One query in four passes, each prefetching what the next will read: the probes' offsets,
 * the buckets' id runs, the candidates' hashes. The lookups are random reads into tables
 * far larger than the caches, so overlapping them is what makes the search fast. */
POPCOUNT_CLONES
static void one_query(Search *s, uint32_t query, Results *results) {
    const Layout *layout = s->layout;
    s->probes.count = s->ranges.count = s->candidates.count = 0;
    for (int c = 0; c < layout->m; c++) enumerate(s, c, s->qchunk[c], 0, s->probe);
    for (Py_ssize_t k = 0; k < s->probes.count; k++) {
        uint32_t c = s->probes.data[k] >> 27, value = s->probes.data[k] & 0x7FFFFFFu;
        const uint32_t *o = s->off + layout->table[c];
        uint32_t first = o[value], end = o[value + 1];
        if (first == end) continue;
        __builtin_prefetch(s->ids + (Py_ssize_t)c * s->n + first);
        put(&s->ranges, c);
        put(&s->ranges, first);
        put(&s->ranges, end);
    }
    for (Py_ssize_t k = 0; k + 2 < s->ranges.count; k += 3) {
        uint32_t c = s->ranges.data[k];
        const uint32_t *slot = s->ids + (Py_ssize_t)c * s->n;
        for (uint32_t j = s->ranges.data[k + 1]; j < s->ranges.data[k + 2]; j++) {
            __builtin_prefetch(s->base + 32 * (Py_ssize_t)slot[j]);
            put(&s->candidates, c);
            put(&s->candidates, slot[j]);
        }
    }
    for (Py_ssize_t k = 0; k + 1 < s->candidates.count; k += 2) {
        int c = (int)s->candidates.data[k];
        uint32_t id = s->candidates.data[k + 1];
        uint64_t h[WORDS];
        load(s->base + 32 * (Py_ssize_t)id, h);
        int d = 0;
        for (int w = 0; w < WORDS; w++) d += __builtin_popcountll(h[w] ^ s->q[w]);
        if (d > s->radius) continue;
        /* found through an earlier chunk as well? then it was reported there */
        int earlier = 0;
        for (int e = 0; e < c && !earlier; e++) {
            uint32_t mine = chunk(h, layout->start[e], layout->width[e]);
            earlier = __builtin_popcount(mine ^ s->qchunk[e]) <= s->probe;
        }
        if (!earlier) push(results, query, id, d);
    }
}

/* search(hashes, widths, offsets, ids, queries, radius) -> (query idx, id, distance) bytes */
static PyObject *search(PyObject *self, PyObject *args) {
    Py_buffer hashes, widths, offsets, ids, queries;
    int radius;
    Layout layout;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*y*y*y*y*i", &hashes, &widths, &offsets, &ids, &queries,
                          &radius))
        return NULL;
    PyObject *result = NULL;
    Results r = {0};
    Py_ssize_t n = hashes.len / 32, nq = queries.len / 32;
    if (hashes.len % 32 != 0 || queries.len % 32 != 0) {
        PyErr_SetString(PyExc_ValueError, "hashes and queries must be 32 bytes each");
        goto done;
    }
    if (radius < 0 || radius > 256) {
        PyErr_SetString(PyExc_ValueError, "radius must be 0..256");
        goto done;
    }
    if (layout_from(&widths, &layout) < 0) goto done;
    if (offsets.len != layout.total * 4 || ids.len != (Py_ssize_t)layout.m * n * 4) {
        PyErr_SetString(PyExc_ValueError, "offsets or ids buffer of the wrong size");
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    Search s;
    memset(&s, 0, sizeof s);
    s.layout = &layout;
    s.base = (const uint8_t *)hashes.buf;
    s.off = (const uint32_t *)offsets.buf;
    s.ids = (const uint32_t *)ids.buf;
    s.n = n;
    s.radius = radius;
    s.probe = radius / layout.m;
    for (Py_ssize_t i = 0; i < nq && n > 0; i++) {
        load((const uint8_t *)queries.buf + 32 * i, s.q);
        for (int c = 0; c < layout.m; c++) s.qchunk[c] = chunk(s.q, layout.start[c], layout.width[c]);
        one_query(&s, (uint32_t)i, &r);
        if (r.failed || s.probes.failed || s.ranges.failed || s.candidates.failed) {
            r.failed = 1;
            break;
        }
    }
    free(s.probes.data);
    free(s.ranges.data);
    free(s.candidates.data);
    Py_END_ALLOW_THREADS
    if (r.failed) {
        PyErr_NoMemory();
        goto done;
    }
    result = Py_BuildValue("(y#y#y#)", (const char *)r.query, r.count * 4, (const char *)r.id,
                           r.count * 4, (const char *)r.distance, r.count);
done:
    free(r.query);
    free(r.id);
    free(r.distance);
    PyBuffer_Release(&hashes);
    PyBuffer_Release(&widths);
    PyBuffer_Release(&offsets);
    PyBuffer_Release(&ids);
    PyBuffer_Release(&queries);
    return result;
}

static PyMethodDef methods[] = {
    {"build", build, METH_VARARGS, "Fill a segment's chunk tables (counting sort)."},
    {"search", search, METH_VARARGS, "Every (query, id, distance) within radius."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_pdqmih", "Multi-index hashing over 256-bit PDQ hashes.", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__pdqmih(void) { return PyModule_Create(&module); }
