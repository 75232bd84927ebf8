/* Matmul family: batched matrix products through OpenBLAS (cblas_?gemm).
 * attrs: i[0] = transpose_a, i[1] = transpose_b.  Batch dimensions broadcast.
 * Backward (composed in Python): dA = dC @ B^T, dB = A^T @ dC, via the
 * transpose attributes, so no transposed copies are made. */
#include "../mk.h"
#include "blas.h"

static int infer_matmul(mk_call *c) {
    if (mk_same_dtype(c) < 0) return -1;
    mk_tensor *A = c->in[0], *B = c->in[1];
    int dt = A->dtype;
    if (dt != MK_F32 && dt != MK_F64 && dt != MK_I32 && dt != MK_I64)
        return mk_err(c, "unsupported dtype %s", mk_dtypes[dt].name);
    if (A->ndim < 2 || B->ndim < 2) {
        char sa[128], sb[128];
        mk_shape_str(sa, sizeof sa, A->ndim, A->shape);
        mk_shape_str(sb, sizeof sb, B->ndim, B->shape);
        return mk_err(c, "In[0] and In[1] must be at least rank 2: %s vs. %s", sa, sb);
    }
    int ta = (int)c->a.i[0], tb = (int)c->a.i[1];
    int64_t m = ta ? A->shape[A->ndim - 1] : A->shape[A->ndim - 2];
    int64_t ka = ta ? A->shape[A->ndim - 2] : A->shape[A->ndim - 1];
    int64_t kb = tb ? B->shape[B->ndim - 1] : B->shape[B->ndim - 2];
    int64_t n = tb ? B->shape[B->ndim - 2] : B->shape[B->ndim - 1];
    if (ka != kb) {
        char sa[128], sb[128];
        mk_shape_str(sa, sizeof sa, A->ndim, A->shape);
        mk_shape_str(sb, sizeof sb, B->ndim, B->shape);
        return mk_err(c, "Matrix size-incompatible: In[0]: %s, In[1]: %s (transpose_a=%d, transpose_b=%d)",
                      sa, sb, ta, tb);
    }
    mk_meta *mt = &c->meta[0];
    int nb;
    if (mk_broadcast_shapes(c, A->ndim - 2, A->shape, B->ndim - 2, B->shape, &nb, mt->shape) < 0)
        return -1;
    mt->shape[nb] = m;
    mt->shape[nb + 1] = n;
    mt->ndim = nb + 2;
    mt->dtype = dt;
    mt->view = 0;
    return 0;
}

/* offset (elements) of batch b of tensor t broadcast into the output's batch shape */
static int64_t batch_offset(const mk_tensor *t, const mk_tensor *O, int64_t b) {
    int nbo = O->ndim - 2, nbt = t->ndim - 2;
    int64_t off = 0;
    for (int d = nbo - 1; d >= 0; d--) {
        int64_t i = b % O->shape[d];
        b /= O->shape[d];
        int td = d - (nbo - nbt);
        if (td >= 0 && t->shape[td] != 1) off += i * t->strides[td];
    }
    return off;
}

#define INT_GEMM(T)                                                                      \
    for (int64_t i = 0; i < m; i++)                                                      \
        for (int64_t j = 0; j < n; j++) {                                                \
            T s = 0;                                                                     \
            for (int64_t p = 0; p < k; p++)                                              \
                s += a[ta ? p * lda + i : i * lda + p] * b[tb ? j * ldb + p : p * ldb + j]; \
            o[i * n + j] = s;                                                            \
        }

static int k_matmul(mk_call *c) {
    mk_tensor *A = c->in[0], *B = c->in[1], *O = c->out[0];
    int ta = (int)c->a.i[0], tb = (int)c->a.i[1];
    int64_t m = O->shape[O->ndim - 2], n = O->shape[O->ndim - 1];
    int64_t k = ta ? A->shape[A->ndim - 2] : A->shape[A->ndim - 1];
    int64_t lda = A->shape[A->ndim - 1], ldb = B->shape[B->ndim - 1];
    int64_t batches = (m > 0 && n > 0) ? mk_numel(O) / (m * n) : 0;
    if (batches == 0) return 0;
    int isz = mk_dtypes[O->dtype].itemsize;
    for (int64_t bi = 0; bi < batches; bi++) {
        char *a0 = (char *)mk_data(A) + batch_offset(A, O, bi) * isz;
        char *b0 = (char *)mk_data(B) + batch_offset(B, O, bi) * isz;
        char *o0 = (char *)mk_data(O) + bi * m * n * isz;
        if (k == 0) { memset(o0, 0, m * n * isz); continue; }
        switch (O->dtype) {
        case MK_F32:
            MK_CBLAS(sgemm)(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                            (blasint)m, (blasint)n, (blasint)k, 1.0f, (float *)a0, (blasint)lda,
                            (float *)b0, (blasint)ldb, 0.0f, (float *)o0, (blasint)n);
            break;
        case MK_F64:
            MK_CBLAS(dgemm)(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                            (blasint)m, (blasint)n, (blasint)k, 1.0, (double *)a0, (blasint)lda,
                            (double *)b0, (blasint)ldb, 0.0, (double *)o0, (blasint)n);
            break;
        case MK_I32: { const int32_t *a = (void *)a0, *b = (void *)b0; int32_t *o = (void *)o0; INT_GEMM(int32_t) break; }
        case MK_I64: { const int64_t *a = (void *)a0, *b = (void *)b0; int64_t *o = (void *)o0; INT_GEMM(int64_t) break; }
        }
    }
    return 0;
}

void mk_register_matmul(void) {
    /* BLAS wants each matrix dense: a contiguous copy is made (and recorded) if not */
    mk_ops[MK_OP_MATMUL] = (mk_opdef){NULL, 2, 1, MK_OP_CONTIG, infer_matmul, {k_matmul}};
}
