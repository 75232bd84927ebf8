/* Matmul family on the GPU (matmul.c has the op contract: attrs i[0] = transpose_a,
 * i[1] = transpose_b; batch dimensions broadcast; inputs dense (MK_OP_CONTIG)).
 *
 * Floats go through cuBLASLt.  Row-major C[m x n] = op(A) op(B) is computed as the
 * column-major product C^T[n x m] = op(B)^T op(A)^T: Lt's "A" is our B buffer and Lt's "B"
 * our A buffer, both read in place with their own leading dimensions, no copies.
 * float32: TF32 tensor cores when tf.config enables TF32 (CUBLAS_COMPUTE_32F_FAST_TF32), else
 * CUBLAS_COMPUTE_32F; float64: CUBLAS_COMPUTE_64F; float16 natively (CUDA_R_16F in and out,
 * float32 accumulation, as TF), the op being flagged MK_OP_F16_GPU.
 * Batches: the output's batch dimensions are split into an outer part (looped on the host)
 * and the longest inner part over which both operands' batch offsets are affine (one Lt
 * call with a batch count and batch strides, 0 for a broadcast operand).  Without
 * broadcasting, or with one operand broadcast whole, that is a single call.
 * Each distinct (shape, dtype, compute type, alignment) keeps its Lt descriptors and the
 * heuristic's algorithm in a small table; if Lt offers no algorithm, cublasGemmStridedBatchedEx
 * does the call.  int32/int64: a tiled kernel that wraps on overflow like the CPU loop. */
#include "cuda_common.cuh"
#include <pthread.h>

/* ---- batch geometry --------------------------------------------------------------- */

typedef struct {
    int nb;                        /* output batch rank */
    int64_t shape[MK_MAXDIM];      /* output batch shape */
    int64_t sa[MK_MAXDIM], sb[MK_MAXDIM];   /* A's / B's batch strides (0: broadcast) */
} mm_batch;

/* A's or B's stride along output batch dimension d, as matmul.c's batch_offset reads it */
static int64_t bstride(const mk_tensor *t, int nbo, int d) {
    int td = d - (nbo - (t->ndim - 2));
    return (td >= 0 && t->shape[td] != 1) ? t->strides[td] : 0;
}

static mm_batch batch_geom(const mk_tensor *A, const mk_tensor *B, const mk_tensor *O) {
    mm_batch g;
    g.nb = O->ndim - 2;
    for (int d = 0; d < g.nb; d++) {
        g.shape[d] = O->shape[d];
        g.sa[d] = bstride(A, g.nb, d);
        g.sb[d] = bstride(B, g.nb, d);
    }
    return g;
}

__host__ __device__ static inline void batch_offsets(const mm_batch &g, int nd, int64_t b, int64_t *oa, int64_t *ob) {
    int64_t a = 0, bb = 0;
    for (int d = nd - 1; d >= 0; d--) {
        int64_t q = b / g.shape[d], i = b - q * g.shape[d];
        a += i * g.sa[d];
        bb += i * g.sb[d];
        b = q;
    }
    *oa = a;
    *ob = bb;
}

/* Split the batch dimensions into [0, p) (outer, looped on the host) and [p, nb) (inner):
 * the longest suffix over which both A's and B's batch offsets are affine in the flat inner
 * index (offset = index * st_a / st_b).  Returns p; *inner = number of inner batches. */
static int split_batches(const mm_batch &g, int64_t *inner, int64_t *st_a, int64_t *st_b) {
    int p = g.nb, have = 0;
    int64_t in = 1, sa = 0, sb = 0;
    for (int d = g.nb - 1; d >= 0; d--) {
        if (g.shape[d] == 1) { p = d; continue; }
        if (!have) { sa = g.sa[d]; sb = g.sb[d]; have = 1; }
        else if (g.sa[d] != sa * in || g.sb[d] != sb * in) break;
        p = d;
        in *= g.shape[d];
    }
    *inner = in;
    *st_a = sa;
    *st_b = sb;
    return p;
}

/* ---- integer matmul: 16x16 tiles, unsigned accumulation (wraps like the CPU loop) ---- */
#define ITILE 16

template <typename T, typename U>
__global__ void int_matmul_kernel(const T *A, const T *B, T *O, mm_batch g, int64_t batches, int64_t m,
                                  int64_t n, int64_t k, int ta, int tb, int64_t lda, int64_t ldb) {
    __shared__ U As[ITILE][ITILE + 1], Bs[ITILE][ITILE + 1];
    int tx = threadIdx.x, ty = threadIdx.y;
    int64_t mt = (m + ITILE - 1) / ITILE, nt = (n + ITILE - 1) / ITILE;
    for (int64_t bz = blockIdx.z; bz < batches; bz += gridDim.z) {
        int64_t oa, ob;
        batch_offsets(g, g.nb, bz, &oa, &ob);
        const T *a = A + oa, *b = B + ob;
        T *o = O + bz * m * n;
        for (int64_t ti = blockIdx.y; ti < mt; ti += gridDim.y)
            for (int64_t tj = blockIdx.x; tj < nt; tj += gridDim.x) {
                int64_t row = ti * ITILE + ty, col = tj * ITILE + tx;
                U acc = 0;
                for (int64_t p0 = 0; p0 < k; p0 += ITILE) {
                    int64_t pa = p0 + tx, pb = p0 + ty;
                    As[ty][tx] = (row < m && pa < k) ? (U)a[ta ? pa * lda + row : row * lda + pa] : (U)0;
                    Bs[ty][tx] = (pb < k && col < n) ? (U)b[tb ? col * ldb + pb : pb * ldb + col] : (U)0;
                    __syncthreads();
                    for (int q = 0; q < ITILE; q++) acc += As[ty][q] * Bs[q][tx];
                    __syncthreads();
                }
                if (row < m && col < n) o[row * n + col] = (T)acc;
            }
    }
}

/* ---- cuBLASLt plans ---------------------------------------------------------------- */

typedef struct {
    int dt, compute, ta, tb;
    int64_t m, n, k, batch, stride_a, stride_b;   /* our A and B (row-major view) */
    uint32_t align_a, align_b, align_c;
    uint64_t ws;
} plan_key;

typedef struct {
    plan_key key;
    int used, ok;                  /* ok: Lt found an algorithm */
    cublasLtMatmulDesc_t op;
    cublasLtMatrixLayout_t la, lb, lc;   /* Lt's A (= our B), Lt's B (= our A), C/D */
    cublasLtMatmulAlgo_t algo;
} plan_t;

#define NPLANS 64
static plan_t g_plans[NPLANS];
static int g_next_victim = 0;
static pthread_mutex_t g_plan_lock = PTHREAD_MUTEX_INITIALIZER;

static uint32_t ptr_align(const void *p) {
    uintptr_t a = (uintptr_t)p;
    uint32_t al = 256;
    while (al > 1 && (a % al) != 0) al >>= 1;
    return al;
}

static void plan_release(plan_t *p) {
    if (!p->used) return;
    if (p->op) cublasLtMatmulDescDestroy(p->op);
    if (p->la) cublasLtMatrixLayoutDestroy(p->la);
    if (p->lb) cublasLtMatrixLayoutDestroy(p->lb);
    if (p->lc) cublasLtMatrixLayoutDestroy(p->lc);
    memset(p, 0, sizeof *p);
}

static cudaDataType_t cuda_type(int dt) {
    return dt == MK_F64 ? CUDA_R_64F : dt == MK_F16 ? CUDA_R_16F : CUDA_R_32F;
}

static cublasLtMatrixLayout_t make_layout(cudaDataType_t ty, uint64_t rows, uint64_t cols, int64_t ld,
                                          int32_t batch, int64_t stride, cublasStatus_t *st) {
    cublasLtMatrixLayout_t l = NULL;
    *st = cublasLtMatrixLayoutCreate(&l, ty, rows, cols, ld);
    if (*st != CUBLAS_STATUS_SUCCESS) return NULL;
    if (batch > 1) {
        *st = cublasLtMatrixLayoutSetAttribute(l, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &batch, sizeof batch);
        if (*st == CUBLAS_STATUS_SUCCESS)
            *st = cublasLtMatrixLayoutSetAttribute(l, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, &stride,
                                                   sizeof stride);
    }
    return l;
}

/* build descriptors and ask the heuristic; -1 only on a cuBLASLt error (no algorithm is ok=0) */
static int plan_build(mk_call *c, plan_t *p, const plan_key *k) {
    memset(p, 0, sizeof *p);
    p->key = *k;
    p->used = 1;
    cudaDataType_t ty = cuda_type(k->dt);
    cudaDataType_t scale = k->dt == MK_F64 ? CUDA_R_64F : CUDA_R_32F;
    cublasStatus_t st = cublasLtMatmulDescCreate(&p->op, (cublasComputeType_t)k->compute, scale);
    if (mkg_check_cublas(c, st, "cublasLtMatmulDescCreate") < 0) return -1;
    int32_t opa = k->tb ? CUBLAS_OP_T : CUBLAS_OP_N, opb = k->ta ? CUBLAS_OP_T : CUBLAS_OP_N;
    st = cublasLtMatmulDescSetAttribute(p->op, CUBLASLT_MATMUL_DESC_TRANSA, &opa, sizeof opa);
    if (st == CUBLAS_STATUS_SUCCESS)
        st = cublasLtMatmulDescSetAttribute(p->op, CUBLASLT_MATMUL_DESC_TRANSB, &opb, sizeof opb);
    if (mkg_check_cublas(c, st, "cublasLtMatmulDescSetAttribute") < 0) return -1;
    int64_t m = k->m, n = k->n, kk = k->k;
    int32_t batch = (int32_t)k->batch;
    /* Lt's A = our B: stored (k x n, ld n) when not transposed, else (n x k, ld k) -> column-major
     * rows/cols swap: n x k (ld n) or k x n (ld k) */
    p->la = k->tb ? make_layout(ty, kk, n, kk, batch, k->stride_b, &st) : make_layout(ty, n, kk, n, batch, k->stride_b, &st);
    if (mkg_check_cublas(c, st, "cublasLtMatrixLayoutCreate") < 0) return -1;
    /* Lt's B = our A: k x m (ld k) when not transposed, else m x k (ld m) */
    p->lb = k->ta ? make_layout(ty, m, kk, m, batch, k->stride_a, &st) : make_layout(ty, kk, m, kk, batch, k->stride_a, &st);
    if (mkg_check_cublas(c, st, "cublasLtMatrixLayoutCreate") < 0) return -1;
    p->lc = make_layout(ty, n, m, n, batch, m * n, &st);
    if (mkg_check_cublas(c, st, "cublasLtMatrixLayoutCreate") < 0) return -1;

    cublasLtMatmulPreference_t pref = NULL;
    st = cublasLtMatmulPreferenceCreate(&pref);
    if (mkg_check_cublas(c, st, "cublasLtMatmulPreferenceCreate") < 0) return -1;
    uint64_t ws = k->ws;
    uint32_t al_a = k->align_b, al_b = k->align_a, al_c = k->align_c;   /* Lt's A is our B */
    cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof ws);
    cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, &al_a, sizeof al_a);
    cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, &al_b, sizeof al_b);
    cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, &al_c, sizeof al_c);
    cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, &al_c, sizeof al_c);
    cublasLtMatmulHeuristicResult_t res;
    memset(&res, 0, sizeof res);
    int found = 0;
    st = cublasLtMatmulAlgoGetHeuristic(mkg_cublaslt(), p->op, p->la, p->lb, p->lc, p->lc, pref, 1, &res, &found);
    cublasLtMatmulPreferenceDestroy(pref);
    p->ok = st == CUBLAS_STATUS_SUCCESS && found > 0 && res.state == CUBLAS_STATUS_SUCCESS;
    if (p->ok) p->algo = res.algo;
    return 0;
}

/* the cached plan for k (built on a miss); call with g_plan_lock held */
static plan_t *plan_get(mk_call *c, const plan_key *k) {
    for (int i = 0; i < NPLANS; i++)
        if (g_plans[i].used && memcmp(&g_plans[i].key, k, sizeof *k) == 0) return &g_plans[i];
    plan_t *p = NULL;
    for (int i = 0; i < NPLANS && !p; i++)
        if (!g_plans[i].used) p = &g_plans[i];
    if (!p) {
        p = &g_plans[g_next_victim];
        g_next_victim = (g_next_victim + 1) % NPLANS;
        plan_release(p);
    }
    if (plan_build(c, p, k) < 0) {
        plan_release(p);
        return NULL;
    }
    return p;
}

/* One strided-batched product: `batch` matrices, our A / B at a / b with batch strides
 * sa / sb (elements), C dense at o.  Lt with the cached algorithm, else cublasGemmStridedBatchedEx. */
static int gemm_batched(mk_call *c, int dt, int compute, int ta, int tb, int64_t m, int64_t n, int64_t k,
                        const void *a, int64_t lda, int64_t sa, const void *b, int64_t ldb, int64_t sb,
                        void *o, int64_t batch) {
    size_t wsz = 0;
    void *ws = mkg_cublaslt_workspace(&wsz);
    if (!ws) wsz = 0;
    plan_key key;
    memset(&key, 0, sizeof key);   /* padding too: the key is compared with memcmp */
    key.dt = dt; key.compute = compute; key.ta = ta; key.tb = tb;
    key.m = m; key.n = n; key.k = k; key.batch = batch;
    key.stride_a = batch > 1 ? sa : 0;
    key.stride_b = batch > 1 ? sb : 0;
    key.align_a = ptr_align(a); key.align_b = ptr_align(b); key.align_c = ptr_align(o);
    key.ws = wsz;
    float one_f = 1.0f, zero_f = 0.0f;
    double one_d = 1.0, zero_d = 0.0;
    const void *alpha = dt == MK_F64 ? (const void *)&one_d : (const void *)&one_f;
    const void *beta = dt == MK_F64 ? (const void *)&zero_d : (const void *)&zero_f;

    pthread_mutex_lock(&g_plan_lock);
    plan_t *p = plan_get(c, &key);
    int rc = -1, done = 0;
    if (p && p->ok) {
        cublasStatus_t st = cublasLtMatmul(mkg_cublaslt(), p->op, alpha, b, p->la, a, p->lb, beta, o, p->lc, o, p->lc,
                                           &p->algo, ws, wsz, mkg_stream);
        if (st != CUBLAS_STATUS_NOT_SUPPORTED) {
            rc = mkg_check_cublas(c, st, "cublasLtMatmul");
            done = 1;
        }
    }
    pthread_mutex_unlock(&g_plan_lock);
    if (done || !p) return rc;
    cudaDataType_t ty = cuda_type(dt);
    cublasStatus_t st = cublasGemmStridedBatchedEx_64(
        mkg_cublas(), tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N, n, m, k, alpha, b, ty, ldb,
        sb, a, ty, lda, sa, beta, o, ty, n, m * n, batch, (cublasComputeType_t)compute, CUBLAS_GEMM_DEFAULT);
    return mkg_check_cublas(c, st, "cublasGemmStridedBatchedEx");
}

static int k_matmul_gpu(mk_call *c) {
    mk_tensor *A = c->in[0], *B = c->in[1], *O = c->out[0];
    int ta = (int)c->a.i[0], tb = (int)c->a.i[1];
    int64_t m = O->shape[O->ndim - 2], n = O->shape[O->ndim - 1];
    int64_t k = ta ? A->shape[A->ndim - 2] : A->shape[A->ndim - 1];
    int64_t lda = A->shape[A->ndim - 1], ldb = B->shape[B->ndim - 1];
    int64_t batches = (m > 0 && n > 0) ? mk_numel(O) / (m * n) : 0;
    if (batches == 0) return 0;
    int dt = O->dtype, isz = mk_dtypes[dt].itemsize;
    if (k == 0)   /* empty sums: zeros, as the CPU */
        return mkg_check_cuda(c, cudaMemsetAsync(mk_data(O), 0, (size_t)mk_numel(O) * isz, mkg_stream),
                              "cudaMemsetAsync");
    mm_batch g = batch_geom(A, B, O);

    if (dt == MK_I32 || dt == MK_I64) {
        int64_t mt = (m + ITILE - 1) / ITILE, nt = (n + ITILE - 1) / ITILE;
        dim3 grid((unsigned)(nt < 65535 ? nt : 65535), (unsigned)(mt < 65535 ? mt : 65535),
                  (unsigned)(batches < 65535 ? batches : 65535));
        dim3 block(ITILE, ITILE);
        if (dt == MK_I32)
            int_matmul_kernel<int32_t, uint32_t><<<grid, block, 0, mkg_stream>>>(
                mkg_ptr<int32_t>(A), mkg_ptr<int32_t>(B), mkg_ptr<int32_t>(O), g, batches, m, n, k, ta, tb, lda, ldb);
        else
            int_matmul_kernel<int64_t, uint64_t><<<grid, block, 0, mkg_stream>>>(
                mkg_ptr<int64_t>(A), mkg_ptr<int64_t>(B), mkg_ptr<int64_t>(O), g, batches, m, n, k, ta, tb, lda, ldb);
        return mkg_check_launch(c);
    }
    if (dt != MK_F32 && dt != MK_F64 && dt != MK_F16)
        return mkg_err(c, "unsupported dtype %s", mk_dtypes[dt].name);   /* infer refuses these */
    int compute = dt == MK_F64 ? CUBLAS_COMPUTE_64F
                  : (dt == MK_F32 && mkg_tf32_enabled()) ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;

    int64_t inner, st_a, st_b;
    int p = split_batches(g, &inner, &st_a, &st_b);
    int64_t outer = batches / inner;
    const char *ab = (const char *)mk_data(A), *bb = (const char *)mk_data(B);
    char *ob = (char *)mk_data(O);
    const int64_t CHUNK = (int64_t)1 << 30;   /* Lt's batch count is an int32 */
    for (int64_t o = 0; o < outer; o++) {
        int64_t oa, obo;
        batch_offsets(g, p, o, &oa, &obo);
        for (int64_t b0 = 0; b0 < inner; b0 += CHUNK) {
            int64_t cnt = inner - b0 < CHUNK ? inner - b0 : CHUNK;
            int64_t off_a = oa + b0 * st_a, off_b = obo + b0 * st_b, off_o = (o * inner + b0) * m * n;
            /* B shared by the whole batch and A's matrices stacked row after row (x @ W of a
             * Dense layer): one GEMM of cnt*m rows instead of a batch of cnt */
            int fold = cnt > 1 && st_b == 0 && !ta && st_a == m * lda;
            if (gemm_batched(c, dt, compute, ta, tb, fold ? cnt * m : m, n, k, ab + off_a * isz, lda, st_a,
                             bb + off_b * isz, ldb, st_b, ob + off_o * isz, fold ? 1 : cnt) < 0)
                return -1;
        }
    }
    return 0;
}

void mkg_register_matmul(mk_opdef *ops) {
    ops[MK_OP_MATMUL].kernel[MK_GPU] = k_matmul_gpu;
    /* float16 on tensor cores with float32 accumulation (TF's GPU matmul), not via float32 copies */
    ops[MK_OP_MATMUL].flags |= MK_OP_F16_GPU;
}
