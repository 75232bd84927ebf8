/* Random family: one global counter-based generator (Philox-4x32-10).
 *
 * State: a 64-bit seed (the Philox key) and a 64-bit counter.  An op that
 * needs B blocks of 4 random 32-bit words reserves the counter range
 * [base, base + B) atomically, then element i is computed from block
 * (base + i / per_block) alone, so results never depend on the thread count
 * and `random_state` (set seed) followed by the same calls reproduces them.
 * The reservation happens in the kernel (graph replays call kernels only), so
 * a replayed graph draws fresh numbers every run, like TF's stateful ops.
 *
 * Op-level seeds (tf.random.uniform(..., seed=s)): such a call draws from a
 * stream of its own, keyed by (global seed, s), whose counter lives in a
 * small table here; setting the global seed resets every stream.  Without a
 * global seed TF uses a fixed default (87654321) in that key, so a call with
 * an op seed is repeatable across runs; the global stream alone is seeded
 * from /dev/urandom at import (TF is non-deterministic without a seed).
 *
 * Generator attrs (nin = 0):
 *   i[0] = output dtype id, i[1] = 1 when an op seed is given, i[2] = op seed,
 *   i[3] = rank, i[4 .. 4+rank) = shape;   f[0], f[1] = the parameters:
 *   random_uniform (minval, maxval): floats in [minval, maxval), ints in
 *     [minval, maxval) (bounds passed as doubles: exact to 2^53);
 *   random_normal (mean, stddev), truncated_normal (mean, stddev: |z| <= 2,
 *     redrawn beyond);  dropout_mask (rate): 1/(1-rate) where u >= rate else 0.
 * categorical (logits [batch, classes] float): i[0] = out dtype (int32/int64),
 *   i[1], i[2] as above, i[3] = num_samples -> [batch, num_samples].
 * random_shuffle (value, any dtype): i[1], i[2] as above; permutes axis 0.
 * random_state: i[0] = 0 get, 1 set seed i[1] (counter and streams reset),
 *   2 restore (seed i[1], counter i[2], seeded flag i[3]); returns the state
 *   before the call as int64 [3] = (seed, counter, seeded). */
#include "loops.h"
#include "dense_in.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <pthread.h>

/* ---- state ------------------------------------------------------------- */

static uint64_t g_seed = 0x853c49e6748fea9bULL;
static uint64_t g_counter = 0;
static int g_seeded = 0;              /* tf.random.set_seed was called */
#define DEFAULT_GLOBAL_SEED 87654321ULL

#define NSTREAMS 1024
typedef struct { uint64_t key; uint64_t counter; int used; } stream_t;
static stream_t g_streams[NSTREAMS];
static int g_nstreams = 0;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

static inline uint64_t splitmix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

/* exported for module.c: tf.random.set_seed and state save/restore */
void mk_random_set_seed(uint64_t seed) {
    pthread_mutex_lock(&g_lock);
    g_seed = seed;
    __atomic_store_n(&g_counter, 0, __ATOMIC_SEQ_CST);
    g_seeded = 1;
    memset(g_streams, 0, sizeof g_streams);
    g_nstreams = 0;
    pthread_mutex_unlock(&g_lock);
}

void mk_random_get_state(uint64_t *seed, uint64_t *counter) {
    pthread_mutex_lock(&g_lock);
    *seed = g_seed;
    *counter = __atomic_load_n(&g_counter, __ATOMIC_SEQ_CST);
    pthread_mutex_unlock(&g_lock);
}

/* Reserve `nblocks` Philox blocks; returns the key and first counter.  Exported (through the
 * core API) for the GPU kernels, which draw from the same streams. */
void mk_random_reserve(const mk_call *c, uint64_t nblocks, uint64_t *key, uint64_t *base) {
    if (!c->a.i[1]) {
        pthread_mutex_lock(&g_lock);
        *key = g_seed;
        *base = g_counter;
        g_counter += nblocks;
        pthread_mutex_unlock(&g_lock);
        return;
    }
    pthread_mutex_lock(&g_lock);
    uint64_t gs = g_seeded ? g_seed : DEFAULT_GLOBAL_SEED;
    uint64_t k = splitmix64(splitmix64(gs) ^ (uint64_t)c->a.i[2] * 0xD1B54A32D192ED03ULL);
    uint64_t h = k % NSTREAMS;
    stream_t *s = NULL;
    for (int probe = 0; probe < NSTREAMS; probe++) {
        stream_t *t = &g_streams[(h + probe) % NSTREAMS];
        if (!t->used) {
            if (g_nstreams >= NSTREAMS * 3 / 4) {   /* table full: forget the streams */
                memset(g_streams, 0, sizeof g_streams);
                g_nstreams = 0;
                t = &g_streams[h];
            }
            t->used = 1; t->key = k; t->counter = 0;
            g_nstreams++;
            s = t;
            break;
        }
        if (t->key == k) { s = t; break; }
    }
    *key = k;
    *base = s ? s->counter : 0;
    if (s) s->counter += nblocks;
    pthread_mutex_unlock(&g_lock);
}

/* ---- Philox-4x32-10 and the transforms: philox.h (shared with random.cu) ---- */
#include "philox.h"

/* ---- infer --------------------------------------------------------------- */

static int gen_shape(mk_call *c, int *ndim, int64_t *shape) {
    if (c->a.ni < 4) return mk_err(c, "expects attrs (dtype, has_seed, seed, rank, shape...)");
    int64_t r = c->a.i[3];
    if (r < 0 || r > MK_MAXDIM || 4 + r > c->a.ni)
        return mk_err(c, "bad rank %lld (at most %d)", (long long)r, MK_MAXDIM);
    for (int d = 0; d < r; d++) {
        if (c->a.i[4 + d] < 0)
            return mk_err(c, "shape dimension %d is negative (%lld)", d, (long long)c->a.i[4 + d]);
        shape[d] = c->a.i[4 + d];
    }
    *ndim = (int)r;
    return 0;
}

static int gen_dtype(mk_call *c, int floats_only) {
    int64_t dt = c->a.i[0];
    if (dt == MK_F32 || dt == MK_F64) return (int)dt;
    if (!floats_only && (dt == MK_I32 || dt == MK_I64)) return (int)dt;
    return mk_err(c, "unsupported dtype %s: expected %s", (dt >= 0 && dt < MK_NDTYPE) ? mk_dtypes[dt].name : "?",
                  floats_only ? "float32 or float64" : "float32, float64, int32 or int64");
}

static int infer_gen(mk_call *c, int floats_only) {
    int ndim = 0;
    int64_t shape[MK_MAXDIM];
    if (gen_shape(c, &ndim, shape) < 0) return -1;
    int dt = gen_dtype(c, floats_only);
    if (dt < 0) return -1;
    mk_meta_set(&c->meta[0], dt, ndim, shape);
    return 0;
}

static int infer_uniform(mk_call *c) {
    if (infer_gen(c, 0) < 0) return -1;
    int dt = c->meta[0].dtype;
    double lo = c->a.f[0], hi = c->a.f[1];
    if (!mk_dtypes[dt].is_float) {
        if (!(lo < hi)) return mk_err(c, "Need minval < maxval: %g >= %g", lo, hi);
        if (dt == MK_I32 && (lo < INT32_MIN || hi > (double)INT32_MAX + 1))
            return mk_err(c, "minval/maxval out of range for int32");
        if (lo < -9.2e18 || hi > 9.2e18) return mk_err(c, "minval/maxval out of range for int64");
    }
    return 0;
}
static int infer_float_gen(mk_call *c) { return infer_gen(c, 1); }
static int infer_dropout_mask(mk_call *c) {
    if (infer_gen(c, 1) < 0) return -1;
    if (!(c->a.f[0] >= 0 && c->a.f[0] < 1))
        return mk_err(c, "rate must be a scalar tensor or a float in the range [0, 1), got %g", c->a.f[0]);
    return 0;
}

static int infer_categorical(mk_call *c) {
    mk_tensor *L = c->in[0];
    char s[128];
    if (L->ndim != 2) {
        mk_shape_str(s, sizeof s, L->ndim, L->shape);
        return mk_err(c, "logits should be a matrix, got shape %s", s);
    }
    if (!mk_dtypes[L->dtype].is_float) return mk_err(c, "logits must be floating point, got %s", mk_dtypes[L->dtype].name);
    if (c->a.ni < 4) return mk_err(c, "expects attrs (dtype, has_seed, seed, num_samples)");
    int64_t ns = c->a.i[3];
    if (ns < 0) return mk_err(c, "num_samples should be nonnegative, got %lld", (long long)ns);
    int64_t dt = c->a.i[0];
    if (dt != MK_I32 && dt != MK_I64) return mk_err(c, "output dtype must be int32 or int64");
    if (L->shape[1] == 0 && L->shape[0] > 0 && ns > 0) return mk_err(c, "num_classes should be positive, got 0");
    if (L->shape[1] > INT32_MAX) return mk_err(c, "num_classes should fit in int32");
    int64_t shape[2] = {L->shape[0], ns};
    mk_meta_set(&c->meta[0], (int)dt, 2, shape);
    return 0;
}

static int infer_shuffle(mk_call *c) {
    mk_meta_set(&c->meta[0], c->in[0]->dtype, c->in[0]->ndim, c->in[0]->shape);
    return 0;
}

static int infer_state(mk_call *c) {
    int64_t shape[1] = {3};
    if (c->a.ni < 1 || c->a.i[0] < 0 || c->a.i[0] > 2) return mk_err(c, "action must be 0 (get), 1 (seed) or 2 (restore)");
    if (c->a.i[0] == 1 && c->a.ni < 2) return mk_err(c, "set needs a seed");
    if (c->a.i[0] == 2 && c->a.ni < 4) return mk_err(c, "restore needs (seed, counter, seeded)");
    mk_meta_set(&c->meta[0], MK_I64, 1, shape);
    return 0;
}

/* ---- kernels ------------------------------------------------------------- */

static int k_state(mk_call *c) {
    int64_t *o = mk_data(c->out[0]);
    pthread_mutex_lock(&g_lock);
    o[0] = (int64_t)g_seed;
    o[1] = (int64_t)g_counter;
    o[2] = g_seeded;
    pthread_mutex_unlock(&g_lock);
    if (c->a.i[0] == 1) mk_random_set_seed((uint64_t)c->a.i[1]);
    else if (c->a.i[0] == 2) {
        mk_random_set_seed((uint64_t)c->a.i[1]);
        pthread_mutex_lock(&g_lock);
        g_counter = (uint64_t)c->a.i[2];
        g_seeded = c->a.i[3] != 0;
        pthread_mutex_unlock(&g_lock);
    }
    return 0;
}

/* loop over blocks, PER elements per block; BODY sees b (block4), i0 (first element) */
#define BLOCK_LOOP(n, PER, BODY)                                                         \
    do {                                                                                 \
        int64_t nb_ = ((n) + (PER) - 1) / (PER);                                         \
        uint64_t key_, base_;                                                            \
        mk_random_reserve(c, (uint64_t)nb_, &key_, &base_);                                        \
        _Pragma("omp parallel for schedule(static) if ((n) >= MK_PAR_MIN)")              \
        for (int64_t blk = 0; blk < nb_; blk++) {                                        \
            block4 b = philox(key_, base_ + (uint64_t)blk, 0);                          \
            int64_t i0 = blk * (PER);                                                    \
            int64_t cnt = (n) - i0 < (PER) ? (n) - i0 : (PER);                           \
            (void)cnt;                                                                   \
            BODY                                                                         \
        }                                                                                \
    } while (0)

static int k_uniform(mk_call *c) {
    mk_tensor *O = c->out[0];
    int64_t n = mk_numel(O);
    double lo = c->a.f[0], hi = c->a.f[1];
    switch (O->dtype) {
    case MK_F32: {
        float *o = mk_data(O);
        float flo = (float)lo, frange = (float)(hi - lo);
        BLOCK_LOOP(n, 4, for (int j = 0; j < cnt; j++) o[i0 + j] = flo + frange * u01f(b.v[j]););
        break;
    }
    case MK_F64: {
        double *o = mk_data(O);
        double range = hi - lo;
        BLOCK_LOOP(n, 2, for (int j = 0; j < cnt; j++) o[i0 + j] = lo + range * u01d(b.v[2 * j], b.v[2 * j + 1]););
        break;
    }
    case MK_I32: {
        int32_t *o = mk_data(O);
        int64_t ilo = (int64_t)lo;
        uint64_t range = (uint64_t)((int64_t)hi - ilo);   /* up to 2^32 */
        BLOCK_LOOP(n, 4, for (int j = 0; j < cnt; j++) o[i0 + j] = (int32_t)(ilo + (int64_t)(b.v[j] % range)););
        break;
    }
    case MK_I64: {
        int64_t *o = mk_data(O);
        int64_t ilo = (int64_t)lo;
        uint64_t range = (uint64_t)((int64_t)hi - ilo);
        BLOCK_LOOP(n, 2, for (int j = 0; j < cnt; j++) {
            uint64_t w = ((uint64_t)b.v[2 * j] << 32) | b.v[2 * j + 1];
            o[i0 + j] = (int64_t)((uint64_t)ilo + w % range);
        });
        break;
    }
    default: return mk_err(c, "unsupported dtype %s", mk_dtypes[O->dtype].name);
    }
    return 0;
}

static int k_normal(mk_call *c) {
    mk_tensor *O = c->out[0];
    int64_t n = mk_numel(O);
    double mean = c->a.f[0], sd = c->a.f[1];
    if (O->dtype == MK_F32) {
        float *o = mk_data(O);
        float fm = (float)mean, fs = (float)sd;
        /* Box-Muller: 4 words -> 4 normals */
        BLOCK_LOOP(n, 4, {
            float z[4];
            box_muller_f(b.v[0], b.v[1], &z[0], &z[1]);
            box_muller_f(b.v[2], b.v[3], &z[2], &z[3]);
            for (int j = 0; j < cnt; j++) o[i0 + j] = fm + fs * z[j];
        });
    } else {
        double *o = mk_data(O);
        BLOCK_LOOP(n, 2, {
            double r;
            double th;
            box_muller_d(b, &r, &th);
            o[i0] = mean + sd * r * cos(th);
            if (cnt > 1) o[i0 + 1] = mean + sd * r * sin(th);
        });
    }
    return 0;
}

/* one element per block; redraws use the same counter with variant 1, 2, ... */
static int k_truncated(mk_call *c) {
    mk_tensor *O = c->out[0];
    int64_t n = mk_numel(O);
    double mean = c->a.f[0], sd = c->a.f[1];
    uint64_t key, base;
    int f32 = O->dtype == MK_F32;
    /* float32: elements 2k and 2k+1 share block k (one word pair each); float64:
     * one block per element.  Redraws use the same block with variant 1, 2, ... */
    mk_random_reserve(c, f32 ? (uint64_t)((n + 1) / 2) : (uint64_t)n, &key, &base);
    float *of = mk_data(O);
    double *od = mk_data(O);
    if (f32) {
        float fm = (float)mean, fs = (float)sd;
        #pragma omp parallel for schedule(static) if (n >= MK_PAR_MIN)
        for (int64_t i = 0; i < n; i++) of[i] = fm + fs * truncated_f(key, base, i);
    } else {
        #pragma omp parallel for schedule(static) if (n >= MK_PAR_MIN)
        for (int64_t i = 0; i < n; i++) od[i] = mean + sd * truncated_d(key, base, i);
    }
    return 0;
}

static int k_dropout_mask(mk_call *c) {
    mk_tensor *O = c->out[0];
    int64_t n = mk_numel(O);
    double rate = c->a.f[0], scale = 1.0 / (1.0 - rate);
    if (O->dtype == MK_F32) {
        float *o = mk_data(O);
        float fr = (float)rate, fsc = (float)scale;
        BLOCK_LOOP(n, 4, for (int j = 0; j < cnt; j++) o[i0 + j] = u01f(b.v[j]) >= fr ? fsc : 0.0f;);
    } else {
        double *o = mk_data(O);
        BLOCK_LOOP(n, 2, for (int j = 0; j < cnt; j++) o[i0 + j] = u01d(b.v[2 * j], b.v[2 * j + 1]) >= rate ? scale : 0.0;);
    }
    return 0;
}

/* inverse CDF per row over exp(logit - max); non-finite logits have probability 0 */
static int k_categorical(mk_call *c) {
    mk_tensor *L = c->in[0], *O = c->out[0];
    int64_t B = L->shape[0], C = L->shape[1], ns = O->shape[1];
    int64_t n = B * ns;
    uint64_t key, base;
    mk_random_reserve(c, (uint64_t)n, &key, &base);
    if (n == 0) return 0;
    void *tmp;
    const void *lp = mk_dense_in(L, &tmp);
    double *cdf = lp ? malloc(sizeof(double) * (size_t)(B * C)) : NULL;
    if (!cdf) { free(tmp); return mk_err(c, "out of memory for %lld x %lld probabilities", (long long)B, (long long)C); }
    const float *lf = lp;
    const double *ld = lp;
    int f32 = L->dtype == MK_F32, o32 = O->dtype == MK_I32;
    int32_t *o4 = mk_data(O);
    int64_t *o8 = mk_data(O);
    #pragma omp parallel for schedule(static) if (B * (C + ns) >= MK_PAR_MIN)
    for (int64_t r = 0; r < B; r++) {
        double *cd = cdf + r * C;
        double mx = -INFINITY;
        for (int64_t j = 0; j < C; j++) {
            double x = f32 ? lf[r * C + j] : ld[r * C + j];
            if (isfinite(x) && x > mx) mx = x;
        }
        double tot = 0;
        for (int64_t j = 0; j < C; j++) {
            double x = f32 ? lf[r * C + j] : ld[r * C + j];
            if (isfinite(x)) tot += exp(x - mx);
            cd[j] = tot;
        }
        for (int64_t s = 0; s < ns; s++) {
            block4 b = philox(key, base + (uint64_t)(r * ns + s), 0);
            double t = u01d(b.v[0], b.v[1]) * tot;
            /* first j with cdf[j] > t */
            int64_t lo = 0, hi = C - 1;
            while (lo < hi) {
                int64_t mid = (lo + hi) / 2;
                if (cd[mid] > t) hi = mid; else lo = mid + 1;
            }
            if (o32) o4[r * ns + s] = (int32_t)lo; else o8[r * ns + s] = lo;
        }
    }
    free(cdf);
    free(tmp);
    return 0;
}

static int k_shuffle(mk_call *c) {
    mk_tensor *I = c->in[0], *O = c->out[0];
    int isz = mk_dtypes[I->dtype].itemsize;
    if (I->ndim == 0) { memcpy(mk_data(O), mk_data(I), isz); return 0; }
    int64_t n = I->shape[0];
    uint64_t key, base;
    mk_random_reserve(c, (uint64_t)n, &key, &base);
    if (mk_numel(O) == 0) return 0;
    int64_t rowb = mk_numel(I) / n * isz;
    void *tmp;
    const char *src = mk_dense_in(I, &tmp);
    int64_t *perm = src ? malloc(sizeof(int64_t) * (size_t)n) : NULL;
    if (!perm) { free(tmp); return mk_err(c, "out of memory for a permutation of %lld", (long long)n); }
    for (int64_t i = 0; i < n; i++) perm[i] = i;
    for (int64_t i = n - 1; i > 0; i--) {
        block4 b = philox(key, base + (uint64_t)i, 0);
        uint64_t w = ((uint64_t)b.v[0] << 32) | b.v[1];
        int64_t j = (int64_t)(w % (uint64_t)(i + 1));
        int64_t t = perm[i]; perm[i] = perm[j]; perm[j] = t;
    }
    char *dst = mk_data(O);
    #pragma omp parallel for schedule(static) if (n * rowb >= 4 * MK_PAR_MIN)
    for (int64_t i = 0; i < n; i++) memcpy(dst + i * rowb, src + perm[i] * rowb, rowb);
    free(perm);
    free(tmp);
    return 0;
}

/* ---- registration ---------------------------------------------------------- */

static void seed_from_os(void) {
    uint64_t s = 0;
    FILE *f = fopen("/dev/urandom", "rb");
    if (f) {
        if (fread(&s, sizeof s, 1, f) != 1) s = 0;
        fclose(f);
    }
    if (!s) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        s = splitmix64((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec);
    }
    g_seed = s;
    g_counter = 0;
    g_seeded = 0;
}

#define GEN (MK_OP_STATEFUL | MK_OP_NONDIFF)

void mk_register_random(void) {
    seed_from_os();
    mk_ops[MK_OP_RANDOM_STATE] = (mk_opdef){NULL, 0, 1, GEN, infer_state, {k_state}};
    mk_ops[MK_OP_RANDOM_UNIFORM] = (mk_opdef){NULL, 0, 1, GEN, infer_uniform, {k_uniform}};
    mk_ops[MK_OP_RANDOM_NORMAL] = (mk_opdef){NULL, 0, 1, GEN, infer_float_gen, {k_normal}};
    mk_ops[MK_OP_TRUNCATED_NORMAL] = (mk_opdef){NULL, 0, 1, GEN, infer_float_gen, {k_truncated}};
    mk_ops[MK_OP_DROPOUT_MASK] = (mk_opdef){NULL, 0, 1, GEN, infer_dropout_mask, {k_dropout_mask}};
    mk_ops[MK_OP_CATEGORICAL] = (mk_opdef){NULL, 1, 1, GEN, infer_categorical, {k_categorical}};
    mk_ops[MK_OP_RANDOM_SHUFFLE] = (mk_opdef){NULL, 1, 1, GEN | MK_OP_F16_NATIVE,
                                              infer_shuffle, {k_shuffle}};
}
