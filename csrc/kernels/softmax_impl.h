/* softmax family kernels for one float type: included by softmax.c with
 * T (float/double), SUF (f32/f64), EXP (a vectorisable exp for x <= 0) and LOG. */
#define CAT_(a, b) a##_##b
#define CAT(a, b) CAT_(a, b)
#define FN(name) CAT(name, SUF)
#define COLW 64

/* ---- one contiguous row --------------------------------------------------- */

#ifndef EXPSUM_SPECIAL
/* y[i] = exp(x[i] - mx) (y may be NULL); returns the sum */
static inline T FN(expsum)(const T *x, T mx, T *y, int64_t n) {
    T s = 0;
    for (int64_t i = 0; i < n; i++) {
        T e = EXP(x[i] - mx);
        if (y) y[i] = e;
        s += e;
    }
    return s;
}
#endif

static inline T FN(row_max)(const T *x, int64_t n) {
    T mx = -INFINITY;
    #pragma omp simd reduction(max:mx)
    for (int64_t i = 0; i < n; i++) mx = x[i] > mx ? x[i] : mx;
    return mx;
}

static void FN(sm_row)(const T *x, T *y, int64_t n, int log_mode) {
    T mx = FN(row_max)(x, n), s = 0;
    if (log_mode) {
        s = FN(expsum)(x, mx, NULL, n);
        T l = LOG(s);
        #pragma omp simd
        for (int64_t i = 0; i < n; i++) y[i] = (x[i] - mx) - l;
    } else {
        s = FN(expsum)(x, mx, y, n);
        T r = (T)1 / s;
        #pragma omp simd
        for (int64_t i = 0; i < n; i++) y[i] *= r;
    }
}

/* dx = y * (dy - sum(dy * y))   or (log) dx = dy - exp(y) * sum(dy) */
static void FN(smg_row)(const T *dy, const T *y, T *dx, int64_t n, int log_mode) {
    T s = 0;
    if (log_mode) {
        #pragma omp simd reduction(+:s)
        for (int64_t i = 0; i < n; i++) s += dy[i];
        for (int64_t i = 0; i < n; i++) dx[i] = dy[i] - EXPFULL(y[i]) * s;
    } else {
        #pragma omp simd reduction(+:s)
        for (int64_t i = 0; i < n; i++) s += dy[i] * y[i];
        #pragma omp simd
        for (int64_t i = 0; i < n; i++) dx[i] = y[i] * (dy[i] - s);
    }
}

/* ---- w (<= COLW) columns of a [n, ld] block: the reduced axis is not last ---- */

static void FN(sm_cols)(const T *x, T *y, int64_t n, int64_t ld, int w, int log_mode) {
    T mx[COLW], s[COLW];
    for (int j = 0; j < w; j++) { mx[j] = -INFINITY; s[j] = 0; }
    for (int64_t k = 0; k < n; k++) {
        const T *r = x + k * ld;
        for (int j = 0; j < w; j++) mx[j] = r[j] > mx[j] ? r[j] : mx[j];
    }
    if (log_mode) {
        for (int64_t k = 0; k < n; k++) {
            const T *r = x + k * ld;
            for (int j = 0; j < w; j++) s[j] += EXP(r[j] - mx[j]);
        }
        for (int j = 0; j < w; j++) s[j] = LOG(s[j]);
        for (int64_t k = 0; k < n; k++) {
            const T *r = x + k * ld;
            T *o = y + k * ld;
            for (int j = 0; j < w; j++) o[j] = (r[j] - mx[j]) - s[j];
        }
    } else {
        for (int64_t k = 0; k < n; k++) {
            const T *r = x + k * ld;
            T *o = y + k * ld;
            for (int j = 0; j < w; j++) { T e = EXP(r[j] - mx[j]); o[j] = e; s[j] += e; }
        }
        for (int j = 0; j < w; j++) s[j] = (T)1 / s[j];
        for (int64_t k = 0; k < n; k++) {
            T *o = y + k * ld;
            for (int j = 0; j < w; j++) o[j] *= s[j];
        }
    }
}

static void FN(smg_cols)(const T *dy, const T *y, T *dx, int64_t n, int64_t ld, int w, int log_mode) {
    T s[COLW];
    for (int j = 0; j < w; j++) s[j] = 0;
    for (int64_t k = 0; k < n; k++) {
        const T *a = dy + k * ld, *b = y + k * ld;
        if (log_mode) for (int j = 0; j < w; j++) s[j] += a[j];
        else for (int j = 0; j < w; j++) s[j] += a[j] * b[j];
    }
    for (int64_t k = 0; k < n; k++) {
        const T *a = dy + k * ld, *b = y + k * ld;
        T *o = dx + k * ld;
        if (log_mode) for (int j = 0; j < w; j++) o[j] = a[j] - EXPFULL(b[j]) * s[j];
        else for (int j = 0; j < w; j++) o[j] = b[j] * (a[j] - s[j]);
    }
}

/* ---- drivers: [outer, n, inner] ------------------------------------------- */

static void FN(softmax_run)(const T *x, T *y, int64_t outer, int64_t n, int64_t inner, int log_mode) {
    int64_t total = outer * n * inner;
    if (total == 0) return;
    if (inner == 1) {
        #pragma omp parallel for schedule(static) if (total >= MK_PAR_MIN && outer > 1)
        for (int64_t o = 0; o < outer; o++) FN(sm_row)(x + o * n, y + o * n, n, log_mode);
    } else {
        int64_t nch = (inner + COLW - 1) / COLW, tasks = outer * nch;
        #pragma omp parallel for schedule(static) if (total >= MK_PAR_MIN && tasks > 1)
        for (int64_t t = 0; t < tasks; t++) {
            int64_t o = t / nch, c0 = (t % nch) * COLW;
            int w = (int)(inner - c0 < COLW ? inner - c0 : COLW);
            int64_t off = o * n * inner + c0;
            FN(sm_cols)(x + off, y + off, n, inner, w, log_mode);
        }
    }
}

static void FN(softmax_grad_run)(const T *dy, const T *y, T *dx, int64_t outer, int64_t n,
                                 int64_t inner, int log_mode) {
    int64_t total = outer * n * inner;
    if (total == 0) return;
    if (inner == 1) {
        #pragma omp parallel for schedule(static) if (total >= MK_PAR_MIN && outer > 1)
        for (int64_t o = 0; o < outer; o++) FN(smg_row)(dy + o * n, y + o * n, dx + o * n, n, log_mode);
    } else {
        int64_t nch = (inner + COLW - 1) / COLW, tasks = outer * nch;
        #pragma omp parallel for schedule(static) if (total >= MK_PAR_MIN && tasks > 1)
        for (int64_t t = 0; t < tasks; t++) {
            int64_t o = t / nch, c0 = (t % nch) * COLW;
            int w = (int)(inner - c0 < COLW ? inner - c0 : COLW);
            int64_t off = o * n * inner + c0;
            FN(smg_cols)(dy + off, y + off, dx + off, n, inner, w, log_mode);
        }
    }
}

/* loss[r] = sum(labels * (lse - (x - max))), backprop = softmax - labels */
static void FN(xent_run)(const T *lab, const T *x, T *loss, T *bp, int64_t N, int64_t C) {
    if (N == 0) return;
    #pragma omp parallel for schedule(static) if (N * C >= MK_PAR_MIN && N > 1)
    for (int64_t r = 0; r < N; r++) {
        const T *xr = x + r * C, *lr = lab + r * C;
        T *br = bp + r * C;
        T mx = FN(row_max)(xr, C), s = FN(expsum)(xr, mx, br, C);
        T lse = LOG(s), inv = (T)1 / s, l = 0;
        #pragma omp simd reduction(+:l)
        for (int64_t i = 0; i < C; i++) {
            l += lr[i] * (lse - (xr[i] - mx));
            br[i] = br[i] * inv - lr[i];
        }
        loss[r] = l;
    }
}

/* labels already validated: 0 <= label < C */
#define SPARSE_XENT(LT)                                                                  \
    static void CAT(FN(sparse_xent_run), LT)(const LT *lab, const T *x, T *loss, T *bp,   \
                                             int64_t N, int64_t C) {                     \
        if (N == 0) return;                                                              \
        _Pragma("omp parallel for schedule(static) if (N * C >= MK_PAR_MIN && N > 1)")   \
        for (int64_t r = 0; r < N; r++) {                                                \
            const T *xr = x + r * C;                                                     \
            T *br = bp + r * C;                                                          \
            T mx = FN(row_max)(xr, C), s = FN(expsum)(xr, mx, br, C);                   \
            T inv = (T)1 / s;                                                            \
            _Pragma("omp simd")                                                          \
            for (int64_t i = 0; i < C; i++) br[i] *= inv;                                \
            int64_t k = (int64_t)lab[r];                                                 \
            br[k] -= 1;                                                                  \
            loss[r] = LOG(s) - (xr[k] - mx);                                             \
        }                                                                                \
    }
SPARSE_XENT(int32_t)
SPARSE_XENT(int64_t)
#undef SPARSE_XENT

#undef FN
#undef CAT
#undef CAT_
#undef COLW
