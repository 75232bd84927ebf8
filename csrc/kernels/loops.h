/* Strided, broadcasting loops shared by the elementwise kernels.
 * Every loop walks the (contiguous) output in row-major order; operands are
 * read through broadcast strides (0 on broadcast axes).  The innermost axis
 * is a plain loop the compiler vectorises; outer rows are split over threads. */
#ifndef MK_LOOPS_H
#define MK_LOOPS_H
#include "../mk.h"

/* Collapse the output shape + up to 3 operand strides into as few axes as possible. */
typedef struct {
    int ndim;
    int64_t shape[MK_MAXDIM];
    int64_t st[3][MK_MAXDIM];
    int nops;
} mk_loop;

static inline void mk_loop_init(mk_loop *L, int ndim, const int64_t *shape, int nops,
                                int64_t st[][MK_MAXDIM]) {
    L->nops = nops;
    L->ndim = 0;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] == 1) continue;
        int merge = L->ndim > 0;
        if (merge) {
            int k = L->ndim - 1;
            for (int o = 0; o < nops; o++)
                if (L->st[o][k] != st[o][i] * shape[i]) { merge = 0; break; }
        }
        if (merge) {
            int k = L->ndim - 1;
            L->shape[k] *= shape[i];
            for (int o = 0; o < nops; o++) L->st[o][k] = st[o][i];
        } else {
            L->shape[L->ndim] = shape[i];
            for (int o = 0; o < nops; o++) L->st[o][L->ndim] = st[o][i];
            L->ndim++;
        }
    }
    if (L->ndim == 0) {
        L->ndim = 1;
        L->shape[0] = 1;
        for (int o = 0; o < nops; o++) L->st[o][0] = 0;
    }
}

/* offsets (in elements) of row `r` (all axes but the last) for each operand */
static inline void mk_loop_row(const mk_loop *L, int64_t r, int64_t *off) {
    for (int o = 0; o < L->nops; o++) off[o] = 0;
    for (int d = L->ndim - 2; d >= 0; d--) {
        int64_t i = r % L->shape[d];
        r /= L->shape[d];
        for (int o = 0; o < L->nops; o++) off[o] += i * L->st[o][d];
    }
}

static inline int64_t mk_loop_rows(const mk_loop *L) {
    int64_t r = 1;
    for (int d = 0; d < L->ndim - 1; d++) r *= L->shape[d];
    return r;
}

#define MK_OMP_IF(n) if ((n) >= MK_PAR_MIN)

/* dispatch on dtype: CASE(ctype, dtype_enum) for each non-f16 dtype */
#define MK_FOR_ALL_DTYPES(CASE) \
    CASE(float, MK_F32) CASE(double, MK_F64) CASE(int32_t, MK_I32) CASE(int64_t, MK_I64) \
    CASE(uint8_t, MK_U8) CASE(uint8_t, MK_BOOL)
#define MK_FOR_FLOAT_DTYPES(CASE) CASE(float, MK_F32) CASE(double, MK_F64)
#define MK_FOR_NUM_DTYPES(CASE) \
    CASE(float, MK_F32) CASE(double, MK_F64) CASE(int32_t, MK_I32) CASE(int64_t, MK_I64) \
    CASE(uint8_t, MK_U8)

#endif
