/* Dense input for kernels that want contiguous data, without MK_OP_CONTIG
 * (the dispatcher's copy path replaces c->in[i], which its callers then
 * release: see the randsoft report).  Returns a pointer to t's elements in
 * row-major order: t's own data when already dense, else a malloc'd copy
 * stored in *tmp (free it after use).  NULL only when out of memory. */
#ifndef MK_DENSE_IN_H
#define MK_DENSE_IN_H
#include "../mk.h"
#include <stdlib.h>

static inline int mk_dense_ok(const mk_tensor *t) {
    int64_t st = 1;
    if (mk_numel(t) == 0) return 1;
    for (int i = t->ndim - 1; i >= 0; i--) {
        if (t->shape[i] != 1 && t->strides[i] != st) return 0;
        st *= t->shape[i];
    }
    return 1;
}

static inline const void *mk_dense_in(const mk_tensor *t, void **tmp) {
    *tmp = NULL;
    if (mk_dense_ok(t)) return mk_data(t);
    int isz = mk_dtypes[t->dtype].itemsize;
    int64_t n = mk_numel(t);
    char *dst = malloc((size_t)(n * isz));
    if (!dst) return NULL;
    int nd = t->ndim;
    int64_t inner = t->shape[nd - 1], is = t->strides[nd - 1];
    int64_t rows = n / inner;
    const char *src = mk_data(t);
    #pragma omp parallel for schedule(static) if (n >= MK_PAR_MIN)
    for (int64_t r = 0; r < rows; r++) {
        int64_t off = 0, q = r;
        for (int d = nd - 2; d >= 0; d--) {
            off += (q % t->shape[d]) * t->strides[d];
            q /= t->shape[d];
        }
        char *o = dst + r * inner * isz;
        const char *s = src + off * isz;
        switch (isz) {
        case 8: for (int64_t i = 0; i < inner; i++) ((int64_t *)o)[i] = ((const int64_t *)s)[i * is]; break;
        case 4: for (int64_t i = 0; i < inner; i++) ((int32_t *)o)[i] = ((const int32_t *)s)[i * is]; break;
        case 2: for (int64_t i = 0; i < inner; i++) ((int16_t *)o)[i] = ((const int16_t *)s)[i * is]; break;
        default: for (int64_t i = 0; i < inner; i++) o[i] = s[i * is]; break;
        }
    }
    *tmp = dst;
    return dst;
}
#endif
