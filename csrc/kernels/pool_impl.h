/* pool family kernels for one float type: included by pool.c with T (float/double)
 * and SUF (f32/f64).  Every kernel works on dense NHWC tensors (MK_OP_CONTIG);
 * the geometry is in a pool_geom (see pool.c). */
#define CAT_(a, b) a##_##b
#define CAT(a, b) CAT_(a, b)
#define FN(name) CAT(name, SUF)

/* max over one window for every channel; also the window-relative offset of the
 * first maximum (TF: first max in row-major window order) when idx != NULL */
static inline void FN(win_max)(const T *xi, const pool_geom *g, int64_t oy, int64_t ox, T *best,
                               int32_t *idx, int64_t *wstart) {
    int64_t C = g->C, W = g->W;
    int64_t y0 = oy * g->sh - g->ph, x0 = ox * g->sw - g->pw;
    int64_t y1 = y0 + g->kh, x1 = x0 + g->kw;
    if (y0 < 0) y0 = 0;
    if (x0 < 0) x0 = 0;
    if (y1 > g->H) y1 = g->H;
    if (x1 > W) x1 = W;
    const T *base = xi + (y0 * W + x0) * C;
    if (wstart) *wstart = (y0 * W + x0) * C;
    memcpy(best, base, C * sizeof(T));
    if (idx) memset(idx, 0, C * sizeof(int32_t));
    for (int64_t iy = y0; iy < y1; iy++)
        for (int64_t ix = (iy == y0 ? x0 + 1 : x0); ix < x1; ix++) {
            int32_t off = (int32_t)(((iy - y0) * W + (ix - x0)) * C);
            const T *xp = base + off;
            if (idx) {
                #pragma omp simd
                for (int64_t c = 0; c < C; c++) {
                    T v = xp[c];
                    int gt = v > best[c];
                    best[c] = gt ? v : best[c];
                    idx[c] = gt ? off : idx[c];
                }
            } else {
                #pragma omp simd
                for (int64_t c = 0; c < C; c++) best[c] = xp[c] > best[c] ? xp[c] : best[c];
            }
        }
}

static void FN(max_fwd)(const pool_geom *g, const T *x, T *y) {
    int64_t N = g->N, OH = g->OH, OW = g->OW, C = g->C, H = g->H, W = g->W;
    int64_t rows = N * OH;
    #pragma omp parallel for schedule(static) if (rows > 1 && N * H * W * C >= MK_PAR_MIN)
    for (int64_t r = 0; r < rows; r++) {
        int64_t n = r / OH, oy = r % OH;
        const T *xi = x + n * H * W * C;
        for (int64_t ox = 0; ox < OW; ox++)
            FN(win_max)(xi, g, oy, ox, y + (r * OW + ox) * C, NULL, NULL);
    }
}

static void FN(avg_fwd)(const pool_geom *g, const T *x, T *y) {
    int64_t N = g->N, OH = g->OH, OW = g->OW, C = g->C, H = g->H, W = g->W;
    int64_t rows = N * OH;
    #pragma omp parallel for schedule(static) if (rows > 1 && N * H * W * C >= MK_PAR_MIN)
    for (int64_t r = 0; r < rows; r++) {
        int64_t n = r / OH, oy = r % OH;
        const T *xi = x + n * H * W * C;
        int64_t y0 = oy * g->sh - g->ph, y1 = y0 + g->kh;
        if (y0 < 0) y0 = 0;
        if (y1 > H) y1 = H;
        for (int64_t ox = 0; ox < OW; ox++) {
            int64_t x0 = ox * g->sw - g->pw, x1 = x0 + g->kw;
            if (x0 < 0) x0 = 0;
            if (x1 > W) x1 = W;
            T *yo = y + (r * OW + ox) * C;
            for (int64_t c = 0; c < C; c++) yo[c] = 0;
            for (int64_t iy = y0; iy < y1; iy++)
                for (int64_t ix = x0; ix < x1; ix++) {
                    const T *xp = xi + (iy * W + ix) * C;
                    #pragma omp simd
                    for (int64_t c = 0; c < C; c++) yo[c] += xp[c];
                }
            T inv = (T)1 / (T)((y1 - y0) * (x1 - x0));
            #pragma omp simd
            for (int64_t c = 0; c < C; c++) yo[c] *= inv;
        }
    }
}

/* dx: the gradient of each output goes to its window's first maximum.  Windows
 * that do not overlap in rows (sh >= kh) run row by row in parallel (each task
 * zeroes and fills its own input rows); otherwise image by image. */
static int FN(max_bwd)(const pool_geom *g, const T *x, const T *dy, T *dx) {
    int64_t N = g->N, OH = g->OH, OW = g->OW, C = g->C, H = g->H, W = g->W;
    int64_t img = H * W * C;
    if (OH == 0 || OW == 0 || C == 0) {
        memset(dx, 0, N * img * sizeof(T));
        return 0;
    }
    int by_row = g->sh >= g->kh;
    /* non-overlapping windows without padding, every one inside the input */
    int tiling = g->sh == g->kh && g->sw == g->kw && g->ph == 0 && g->pw == 0 &&
                 OH * g->sh <= H && OW * g->sw <= W;
    int64_t tasks = by_row ? N * OH : N;
    int fail = 0;
    #pragma omp parallel if (tasks > 1 && N * img >= MK_PAR_MIN)
    {
        T *best = malloc(C * sizeof(T));
        int32_t *idx = malloc(C * sizeof(int32_t));
        if (!best || !idx) {
            #pragma omp atomic write
            fail = 1;
        }
        #pragma omp for schedule(static)
        for (int64_t t = 0; t < tasks; t++) {
            if (!best || !idx) continue;
            int64_t n = by_row ? t / OH : t;
            int64_t oa = by_row ? t % OH : 0, ob = by_row ? oa + 1 : OH;
            const T *xi = x + n * img;
            T *dxi = dx + n * img;
            if (tiling) {
                /* windows tile the input: every window element is written below; zero only
                 * the rows/cols no window covers */
                int64_t wy0 = oa * g->sh, wy1 = wy0 + g->kh, r1 = oa == OH - 1 ? H : wy1;
                if (r1 > wy1) memset(dxi + wy1 * W * C, 0, (r1 - wy1) * W * C * sizeof(T));
                int64_t cx = OW * g->sw;
                if (cx < W)
                    for (int64_t iy = wy0; iy < wy1; iy++)
                        memset(dxi + (iy * W + cx) * C, 0, (W - cx) * C * sizeof(T));
                for (int64_t ox = 0; ox < OW; ox++) {
                    int64_t ws;
                    FN(win_max)(xi, g, oa, ox, best, idx, &ws);
                    const T *d = dy + ((n * OH + oa) * OW + ox) * C;
                    for (int64_t ky = 0; ky < g->kh; ky++)
                        for (int64_t kx = 0; kx < g->kw; kx++) {
                            int32_t off = (int32_t)((ky * W + kx) * C);
                            T *o = dxi + ws + off;
                            #pragma omp simd
                            for (int64_t c = 0; c < C; c++) o[c] = idx[c] == off ? d[c] : (T)0;
                        }
                }
                continue;
            }
            if (by_row) {
                int64_t r0 = oa == 0 ? 0 : oa * g->sh - g->ph;
                int64_t r1 = oa == OH - 1 ? H : (oa + 1) * g->sh - g->ph;
                if (r0 < 0) r0 = 0;
                if (r1 > H) r1 = H;
                if (r1 > r0) memset(dxi + r0 * W * C, 0, (r1 - r0) * W * C * sizeof(T));
            } else memset(dxi, 0, img * sizeof(T));
            for (int64_t oy = oa; oy < ob; oy++)
                for (int64_t ox = 0; ox < OW; ox++) {
                    int64_t ws;
                    FN(win_max)(xi, g, oy, ox, best, idx, &ws);
                    const T *d = dy + ((n * OH + oy) * OW + ox) * C;
                    T *o = dxi + ws;
                    for (int64_t c = 0; c < C; c++) o[idx[c] + c] += d[c];
                }
        }
        free(best);
        free(idx);
    }
    return fail ? -1 : 0;
}

/* out[n,oy,ox,c] = gg[argmax of the window] (the gradient of max_pool2d_grad wrt dy) */
static int FN(max_gg)(const pool_geom *g, const T *x, const T *gg, T *out) {
    int64_t N = g->N, OH = g->OH, OW = g->OW, C = g->C, H = g->H, W = g->W;
    int64_t img = H * W * C, rows = N * OH;
    if (C == 0 || OW == 0) return 0;
    int fail = 0;
    #pragma omp parallel if (rows > 1 && N * img >= MK_PAR_MIN)
    {
        T *best = malloc(C * sizeof(T));
        int32_t *idx = malloc(C * sizeof(int32_t));
        if (!best || !idx) {
            #pragma omp atomic write
            fail = 1;
        }
        #pragma omp for schedule(static)
        for (int64_t r = 0; r < rows; r++) {
            if (!best || !idx) continue;
            int64_t n = r / OH, oy = r % OH;
            for (int64_t ox = 0; ox < OW; ox++) {
                int64_t ws;
                FN(win_max)(x + n * img, g, oy, ox, best, idx, &ws);
                const T *s = gg + n * img + ws;
                T *o = out + (r * OW + ox) * C;
                for (int64_t c = 0; c < C; c++) o[c] = s[idx[c] + c];
            }
        }
        free(best);
        free(idx);
    }
    return fail ? -1 : 0;
}

/* dx[n,iy,ix,c] = sum over the windows holding (iy,ix) of dy / (valid count of the window) */
static void FN(avg_bwd)(const pool_geom *g, const T *dy, T *dx) {
    int64_t N = g->N, OH = g->OH, OW = g->OW, C = g->C, H = g->H, W = g->W;
    int64_t rows = N * H;
    #pragma omp parallel for schedule(static) if (rows > 1 && N * H * W * C >= MK_PAR_MIN)
    for (int64_t r = 0; r < rows; r++) {
        int64_t n = r / H, iy = r % H;
        T *o = dx + r * W * C;
        /* output rows whose window holds iy: oy*sh - ph <= iy < oy*sh - ph + kh */
        int64_t a = iy + g->ph - g->kh + 1;
        int64_t oy0 = a <= 0 ? 0 : (a + g->sh - 1) / g->sh;
        int64_t oy1 = (iy + g->ph) / g->sh;
        if (oy1 > OH - 1) oy1 = OH - 1;
        for (int64_t ix = 0; ix < W; ix++) {
            T *oc = o + ix * C;
            for (int64_t c = 0; c < C; c++) oc[c] = 0;
            int64_t b = ix + g->pw - g->kw + 1;
            int64_t ox0 = b <= 0 ? 0 : (b + g->sw - 1) / g->sw;
            int64_t ox1 = (ix + g->pw) / g->sw;
            if (ox1 > OW - 1) ox1 = OW - 1;
            for (int64_t oy = oy0; oy <= oy1; oy++) {
                int64_t y0 = oy * g->sh - g->ph, y1 = y0 + g->kh;
                if (y0 < 0) y0 = 0;
                if (y1 > H) y1 = H;
                for (int64_t ox = ox0; ox <= ox1; ox++) {
                    int64_t x0 = ox * g->sw - g->pw, x1 = x0 + g->kw;
                    if (x0 < 0) x0 = 0;
                    if (x1 > W) x1 = W;
                    T inv = (T)1 / (T)((y1 - y0) * (x1 - x0));
                    const T *d = dy + ((n * OH + oy) * OW + ox) * C;
                    #pragma omp simd
                    for (int64_t c = 0; c < C; c++) oc[c] += d[c] * inv;
                }
            }
        }
    }
}

#undef FN
#undef CAT
#undef CAT_
