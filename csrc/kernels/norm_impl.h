/* norm family kernels for one float type: included by norm.c with T and SUF.
 * x is dense [M, C] (every axis but the last flattened). */
#define CAT_(a, b) a##_##b
#define CAT(a, b) CAT_(a, b)
#define FN(name) CAT(name, SUF)
#define BLK 64   /* rows summed in T before they are added to the double accumulators */

/* b == NULL: s1[c] = sum_m (a[m,c] - sh[c]), s2[c] = sum_m (a[m,c] - sh[c])^2 (s2 NULL: skipped);
 * b given:   s1[c] = sum_m b[m,c],          s2[c] = sum_m (a[m,c] - sh[c]) * b[m,c].
 * Each thread sums its row range (blocks of BLK rows in T, then in double), then they add up. */
static int FN(colsums)(const T *a, const T *b, const double *shd, int64_t M, int64_t C,
                       double *s1, double *s2) {
    for (int64_t c = 0; c < C; c++) { s1[c] = 0; if (s2) s2[c] = 0; }
    int fail = 0;
    #pragma omp parallel if (M * C >= MK_PAR_MIN && M > 1)
    {
        T *buf = malloc(3 * C * sizeof(T));
        double *acc = calloc(2 * C, sizeof(double));
        if (!buf || !acc) {
            #pragma omp atomic write
            fail = 1;
        } else {
            T *sh = buf, *b1 = buf + C, *b2 = buf + 2 * C;
            double *a1 = acc, *a2 = acc + C;
            for (int64_t c = 0; c < C; c++) sh[c] = (T)shd[c];
            int nt = omp_get_num_threads(), tid = omp_get_thread_num();
            int64_t per = (M + nt - 1) / nt, m0 = tid * per, m1 = m0 + per;
            if (m1 > M) m1 = M;
            for (int64_t mb = m0; mb < m1; mb += BLK) {
                int64_t me = mb + BLK < m1 ? mb + BLK : m1;
                for (int64_t c = 0; c < C; c++) { b1[c] = 0; b2[c] = 0; }
                for (int64_t m = mb; m < me; m++) {
                    const T *ar = a + m * C;
                    if (!s2) {
                        #pragma omp simd
                        for (int64_t c = 0; c < C; c++) b1[c] += ar[c] - sh[c];
                    } else if (b) {
                        const T *br = b + m * C;
                        #pragma omp simd
                        for (int64_t c = 0; c < C; c++) {
                            b1[c] += br[c];
                            b2[c] += (ar[c] - sh[c]) * br[c];
                        }
                    } else {
                        #pragma omp simd
                        for (int64_t c = 0; c < C; c++) {
                            T d = ar[c] - sh[c];
                            b1[c] += d;
                            b2[c] += d * d;
                        }
                    }
                }
                for (int64_t c = 0; c < C; c++) { a1[c] += b1[c]; a2[c] += b2[c]; }
            }
            #pragma omp critical
            {
                for (int64_t c = 0; c < C; c++) { s1[c] += a1[c]; if (s2) s2[c] += a2[c]; }
            }
        }
        free(buf);
        free(acc);
    }
    return fail ? -1 : 0;
}

/* y = x * A + B per channel (or x * A + dy * D + B when dy is given) */
static int FN(affine)(const T *x, const double *Ad, const double *Bd, T *y, int64_t M, int64_t C,
                      const T *dy, const double *Dd) {
    T *A = malloc(3 * (C ? C : 1) * sizeof(T)), *B = A + C, *D = A + 2 * C;
    if (!A) return -1;
    for (int64_t c = 0; c < C; c++) { A[c] = (T)Ad[c]; B[c] = (T)Bd[c]; D[c] = Dd ? (T)Dd[c] : 0; }
    #pragma omp parallel for schedule(static) if (M * C >= MK_PAR_MIN && M > 1)
    for (int64_t m = 0; m < M; m++) {
        const T *xr = x + m * C;
        T *yr = y + m * C;
        if (dy) {   /* y = x * A + dy * D + B */
            const T *dr = dy + m * C;
            #pragma omp simd
            for (int64_t c = 0; c < C; c++) yr[c] = xr[c] * A[c] + dr[c] * D[c] + B[c];
        } else {
            #pragma omp simd
            for (int64_t c = 0; c < C; c++) yr[c] = xr[c] * A[c] + B[c];
        }
    }
    free(A);
    return 0;
}

#undef BLK
#undef FN
#undef CAT
#undef CAT_
