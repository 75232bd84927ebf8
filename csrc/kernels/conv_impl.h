/* Type-generic pieces of the conv family, included by conv.c once per float type
 * with T (float / double) and F(name) (name##_s / name##_d) defined.
 * All loops use the geometry in cgeom (conv.c). Rows r are flattened (n, oy) pairs. */

static inline void F(copy_ch)(T *dst, const T *src, int64_t n) {
    if (n == 1) dst[0] = src[0];
    else if (n >= 32) memcpy(dst, src, (size_t)n * sizeof(T));
    else for (int64_t i = 0; i < n; i++) dst[i] = src[i];
}

/* col[(r - r0) * OW + ox][(ky * KW + kx) * CIg + ci] = x[n, iy, ix, c0 + ci] (0 in the padding).
 * Loops go (ky, kx) outside and ox inside, over the ox range whose ix is in bounds (found once),
 * so the inner loop is a plain strided copy. */
static void F(im2col)(const cgeom *g, const T *x, int64_t r0, int64_t r1, int64_t c0, T *col) {
    const int64_t CIg = g->CIg, K = g->KH * g->KW * CIg, OW = g->OW, CI = g->CI, sw = g->sw;
    for (int64_t r = r0; r < r1; r++) {
        int64_t n = r / g->OH, oy = r % g->OH;
        const T *xn = x + n * g->H * g->W * CI + c0;
        T *crow = col + (r - r0) * OW * K;
        for (int64_t ky = 0; ky < g->KH; ky++) {
            int64_t iy = oy * g->sh - g->ph + ky * g->dh;
            int yin = iy >= 0 && iy < g->H;
            const T *xr = xn + iy * g->W * CI;
            for (int64_t kx = 0; kx < g->KW; kx++) {
                int64_t off = kx * g->dw - g->pw;           /* ix = ox * sw + off */
                int64_t lo = 0, hi = 0;
                if (yin) {
                    lo = off < 0 ? (-off + sw - 1) / sw : 0;
                    hi = g->W - off > 0 ? (g->W - off + sw - 1) / sw : 0;
                    if (hi > OW) hi = OW;
                    if (lo > hi) lo = hi;
                }
                T *dst = crow + (ky * g->KW + kx) * CIg;
                for (int64_t ox = 0; ox < lo; ox++) memset(dst + ox * K, 0, (size_t)CIg * sizeof(T));
                for (int64_t ox = hi; ox < OW; ox++) memset(dst + ox * K, 0, (size_t)CIg * sizeof(T));
                if (lo >= hi) continue;
                const T *src = xr + (lo * sw + off) * CI;
                T *d = dst + lo * K;
                if (CIg == 1) {
                    for (int64_t ox = lo; ox < hi; ox++, d += K, src += sw * CI) d[0] = src[0];
                } else {
                    for (int64_t ox = lo; ox < hi; ox++, d += K, src += sw * CI) F(copy_ch)(d, src, CIg);
                }
            }
        }
    }
}

/* dx[n, iy, ix, c0 + ci] += col[...]: the adjoint of im2col */
static void F(col2im)(const cgeom *g, const T *col, int64_t r0, int64_t r1, int64_t c0, T *dx) {
    const int64_t CIg = g->CIg, K = g->KH * g->KW * CIg, KWC = g->KW * CIg;
    for (int64_t r = r0; r < r1; r++) {
        int64_t n = r / g->OH, oy = r % g->OH;
        T *xn = dx + n * g->H * g->W * g->CI + c0;
        for (int64_t ox = 0; ox < g->OW; ox++) {
            const T *row = col + ((r - r0) * g->OW + ox) * K;
            for (int64_t ky = 0; ky < g->KH; ky++) {
                int64_t iy = oy * g->sh - g->ph + ky * g->dh;
                if (iy < 0 || iy >= g->H) continue;
                T *xr = xn + iy * g->W * g->CI;
                const T *sk = row + ky * KWC;
                for (int64_t kx = 0; kx < g->KW; kx++) {
                    int64_t ix = ox * g->sw - g->pw + kx * g->dw;
                    if (ix < 0 || ix >= g->W) continue;
                    T *d = xr + ix * g->CI;
                    const T *s = sk + kx * CIg;
                    if (CIg == 1) d[0] += s[0];
                    else for (int64_t c = 0; c < CIg; c++) d[c] += s[c];
                }
            }
        }
    }
}

/* ---- depthwise (direct) -------------------------------------------------
 * x [N,H,W,C], w [KH,KW,C,DM], y [N,OH,OW,C*DM]; g->CI = C, g->CO = C*DM, g->CIg = DM */

static void F(dw_fwd)(const cgeom *g, const T *x, const T *w, T *y, int64_t r0, int64_t r1) {
    const int64_t C = g->CI, DM = g->CIg, CO = g->CO;
    for (int64_t r = r0; r < r1; r++) {
        int64_t n = r / g->OH, oy = r % g->OH;
        const T *xn = x + n * g->H * g->W * C;
        for (int64_t ox = 0; ox < g->OW; ox++) {
            T *acc = y + (r * g->OW + ox) * CO;
            for (int64_t k = 0; k < CO; k++) acc[k] = 0;
            for (int64_t ky = 0; ky < g->KH; ky++) {
                int64_t iy = oy * g->sh - g->ph + ky * g->dh;
                if (iy < 0 || iy >= g->H) continue;
                for (int64_t kx = 0; kx < g->KW; kx++) {
                    int64_t ix = ox * g->sw - g->pw + kx * g->dw;
                    if (ix < 0 || ix >= g->W) continue;
                    const T *xp = xn + (iy * g->W + ix) * C;
                    const T *wp = w + (ky * g->KW + kx) * CO;
                    if (DM == 1) {
                        for (int64_t c = 0; c < C; c++) acc[c] += xp[c] * wp[c];
                    } else {
                        for (int64_t c = 0; c < C; c++) {
                            T xv = xp[c];
                            for (int64_t m = 0; m < DM; m++) acc[c * DM + m] += xv * wp[c * DM + m];
                        }
                    }
                }
            }
        }
    }
}

/* dx rows r over flattened (n, iy) in [r0, r1): gather form, so rows are independent */
static void F(dw_bin)(const cgeom *g, const T *dy, const T *w, T *dx, int64_t r0, int64_t r1) {
    const int64_t C = g->CI, DM = g->CIg, CO = g->CO;
    for (int64_t r = r0; r < r1; r++) {
        int64_t n = r / g->H, iy = r % g->H;
        const T *dyn = dy + n * g->OH * g->OW * CO;
        for (int64_t ix = 0; ix < g->W; ix++) {
            T *acc = dx + (r * g->W + ix) * C;
            for (int64_t c = 0; c < C; c++) acc[c] = 0;
            for (int64_t ky = 0; ky < g->KH; ky++) {
                int64_t ty = iy + g->ph - ky * g->dh;
                if (ty < 0 || ty % g->sh) continue;
                int64_t oy = ty / g->sh;
                if (oy >= g->OH) continue;
                for (int64_t kx = 0; kx < g->KW; kx++) {
                    int64_t tx = ix + g->pw - kx * g->dw;
                    if (tx < 0 || tx % g->sw) continue;
                    int64_t ox = tx / g->sw;
                    if (ox >= g->OW) continue;
                    const T *dp = dyn + (oy * g->OW + ox) * CO;
                    const T *wp = w + (ky * g->KW + kx) * CO;
                    if (DM == 1) {
                        for (int64_t c = 0; c < C; c++) acc[c] += dp[c] * wp[c];
                    } else {
                        for (int64_t c = 0; c < C; c++) {
                            T s = 0;
                            for (int64_t m = 0; m < DM; m++) s += dp[c * DM + m] * wp[c * DM + m];
                            acc[c] += s;
                        }
                    }
                }
            }
        }
    }
}

/* dw (this thread's accumulator, [KH,KW,C,DM]) += over output rows r in [r0, r1) */
static void F(dw_bfil)(const cgeom *g, const T *x, const T *dy, T *dw, int64_t r0, int64_t r1) {
    const int64_t C = g->CI, DM = g->CIg, CO = g->CO;
    for (int64_t r = r0; r < r1; r++) {
        int64_t n = r / g->OH, oy = r % g->OH;
        const T *xn = x + n * g->H * g->W * C;
        for (int64_t ky = 0; ky < g->KH; ky++) {
            int64_t iy = oy * g->sh - g->ph + ky * g->dh;
            if (iy < 0 || iy >= g->H) continue;
            for (int64_t kx = 0; kx < g->KW; kx++) {
                T *wp = dw + (ky * g->KW + kx) * CO;
                for (int64_t ox = 0; ox < g->OW; ox++) {
                    int64_t ix = ox * g->sw - g->pw + kx * g->dw;
                    if (ix < 0 || ix >= g->W) continue;
                    const T *xp = xn + (iy * g->W + ix) * C;
                    const T *dp = dy + (r * g->OW + ox) * CO;
                    if (DM == 1) {
                        for (int64_t c = 0; c < C; c++) wp[c] += xp[c] * dp[c];
                    } else {
                        for (int64_t c = 0; c < C; c++) {
                            T xv = xp[c];
                            for (int64_t m = 0; m < DM; m++) wp[c * DM + m] += xv * dp[c * DM + m];
                        }
                    }
                }
            }
        }
    }
}
