/* Random family on the GPU: the same Philox-4x32-10 streams as the CPU (random.c).  Each
 * kernel reserves its counter range on the host with mkg_core->random_reserve (same block
 * count as the CPU kernel), then computes the blocks on the device with philox.h, the code
 * the CPU runs: for a given seed both devices draw the same numbers.  Integer and uniform
 * results are bit-identical; normal / truncated-normal floats go through CUDA's logf /
 * sinf / cosf (and log / sin / cos), which may differ from glibc's in the last ulp or two,
 * so they agree to ~1e-6 relative (float32) / ~1e-15 (float64); a truncated-normal redraw
 * decided exactly at |z| = 2 could in principle differ (never seen at these error sizes).
 * random_state stays CPU-only (it is the host state).
 *
 * CUDA Graphs: the counter range is reserved when the kernel function runs, so a captured
 * launch would replay the same numbers: cuda_device.cu flags these ops MK_OP_NOCAPTURE and a
 * traced graph runs them as plain launches (fresh draws every run, as TF). */
#include "cuda_common.cuh"
#include "philox.h"
#include <cub/cub.cuh>

/* ---- uniform / normal / dropout: one block of 4 words per thread iteration ------------ */

/* Block k covers elements [k*PER, k*PER + PER) of the flat output */
template <typename T, int KIND>
__global__ void gen_kernel(T *o, int64_t n, int64_t nb, uint64_t key, uint64_t base, double p0,
                           double p1) {
    MKG_GRID_STRIDE(blk, nb) {
        block4 b = philox(key, base + (uint64_t)blk, 0);
        const int PER = sizeof(T) == 4 ? 4 : 2;   /* float32/int32: 4, float64/int64: 2 */
        int64_t i0 = blk * PER;
        int cnt = (int)(n - i0 < PER ? n - i0 : PER);
        if (KIND == 0) {                           /* uniform float */
            if (sizeof(T) == 4) {
                float flo = (float)p0, frange = (float)(p1 - p0);
                for (int j = 0; j < cnt; j++) o[i0 + j] = (T)(flo + frange * u01f(b.v[j]));
            } else {
                double range = p1 - p0;
                for (int j = 0; j < cnt; j++) o[i0 + j] = (T)(p0 + range * u01d(b.v[2 * j], b.v[2 * j + 1]));
            }
        } else if (KIND == 1) {                    /* normal(mean p0, stddev p1) */
            if (sizeof(T) == 4) {
                float fm = (float)p0, fs = (float)p1;
                float z[4];
                box_muller_f(b.v[0], b.v[1], &z[0], &z[1]);
                box_muller_f(b.v[2], b.v[3], &z[2], &z[3]);
                for (int j = 0; j < cnt; j++) o[i0 + j] = (T)(fm + fs * z[j]);
            } else {
                double r, th;
                box_muller_d(b, &r, &th);
                o[i0] = (T)(p0 + p1 * r * cos(th));
                if (cnt > 1) o[i0 + 1] = (T)(p0 + p1 * r * sin(th));
            }
        } else {                                   /* dropout mask (rate p0, scale p1) */
            if (sizeof(T) == 4) {
                float fr = (float)p0, fsc = (float)p1;
                for (int j = 0; j < cnt; j++) o[i0 + j] = (T)(u01f(b.v[j]) >= fr ? fsc : 0.0f);
            } else {
                for (int j = 0; j < cnt; j++)
                    o[i0 + j] = (T)(u01d(b.v[2 * j], b.v[2 * j + 1]) >= p0 ? p1 : 0.0);
            }
        }
    }
}

__global__ void uniform_i32_kernel(int32_t *o, int64_t n, int64_t nb, uint64_t key, uint64_t base,
                                   int64_t ilo, uint64_t range) {
    MKG_GRID_STRIDE(blk, nb) {
        block4 b = philox(key, base + (uint64_t)blk, 0);
        int64_t i0 = blk * 4;
        int cnt = (int)(n - i0 < 4 ? n - i0 : 4);
        for (int j = 0; j < cnt; j++) o[i0 + j] = (int32_t)(ilo + (int64_t)(b.v[j] % range));
    }
}

__global__ void uniform_i64_kernel(int64_t *o, int64_t n, int64_t nb, uint64_t key, uint64_t base,
                                   int64_t ilo, uint64_t range) {
    MKG_GRID_STRIDE(blk, nb) {
        block4 b = philox(key, base + (uint64_t)blk, 0);
        int64_t i0 = blk * 2;
        int cnt = (int)(n - i0 < 2 ? n - i0 : 2);
        for (int j = 0; j < cnt; j++) o[i0 + j] = (int64_t)((uint64_t)ilo + word64(b, j) % range);
    }
}

/* reserve the CPU kernel's block count, launch a KIND generator */
template <typename T, int KIND>
static int launch_gen(mk_call *c, double p0, double p1) {
    mk_tensor *O = c->out[0];
    int64_t n = mk_numel(O);
    const int PER = sizeof(T) == 4 ? 4 : 2;
    int64_t nb = (n + PER - 1) / PER;
    uint64_t key, base;
    mkg_core->random_reserve(c, (uint64_t)nb, &key, &base);
    if (n == 0) return 0;
    gen_kernel<T, KIND><<<mkg_blocks(nb), MKG_THREADS, 0, mkg_stream>>>(mkg_ptr<T>(O), n, nb, key, base, p0, p1);
    return mkg_check_launch(c);
}

static int k_uniform_gpu(mk_call *c) {
    mk_tensor *O = c->out[0];
    double lo = c->a.f[0], hi = c->a.f[1];
    switch (O->dtype) {
    case MK_F32: return launch_gen<float, 0>(c, lo, hi);
    case MK_F64: return launch_gen<double, 0>(c, lo, hi);
    case MK_I32:
    case MK_I64: {
        int i32 = O->dtype == MK_I32;
        int64_t n = mk_numel(O), nb = i32 ? (n + 3) / 4 : (n + 1) / 2;
        int64_t ilo = (int64_t)lo;
        uint64_t range = (uint64_t)((int64_t)hi - ilo);
        uint64_t key, base;
        mkg_core->random_reserve(c, (uint64_t)nb, &key, &base);
        if (n == 0) return 0;
        if (i32)
            uniform_i32_kernel<<<mkg_blocks(nb), MKG_THREADS, 0, mkg_stream>>>(mkg_ptr<int32_t>(O), n, nb, key,
                                                                                base, ilo, range);
        else
            uniform_i64_kernel<<<mkg_blocks(nb), MKG_THREADS, 0, mkg_stream>>>(mkg_ptr<int64_t>(O), n, nb, key,
                                                                                base, ilo, range);
        return mkg_check_launch(c);
    }
    default: return mkg_err(c, "unsupported dtype %s", mk_dtypes[O->dtype].name);
    }
}

static int k_normal_gpu(mk_call *c) {
    if (c->out[0]->dtype == MK_F32) return launch_gen<float, 1>(c, c->a.f[0], c->a.f[1]);
    return launch_gen<double, 1>(c, c->a.f[0], c->a.f[1]);
}

static int k_dropout_mask_gpu(mk_call *c) {
    double rate = c->a.f[0], scale = 1.0 / (1.0 - rate);
    if (c->out[0]->dtype == MK_F32) return launch_gen<float, 2>(c, rate, scale);
    return launch_gen<double, 2>(c, rate, scale);
}

/* ---- truncated normal: one element per thread (redraws differ per element) ---------- */

__global__ void truncated_f_kernel(float *o, int64_t n, uint64_t key, uint64_t base, float fm, float fs) {
    MKG_GRID_STRIDE(i, n) o[i] = fm + fs * truncated_f(key, base, i);
}
__global__ void truncated_d_kernel(double *o, int64_t n, uint64_t key, uint64_t base, double mean, double sd) {
    MKG_GRID_STRIDE(i, n) o[i] = mean + sd * truncated_d(key, base, i);
}

static int k_truncated_gpu(mk_call *c) {
    mk_tensor *O = c->out[0];
    int64_t n = mk_numel(O);
    double mean = c->a.f[0], sd = c->a.f[1];
    int f32 = O->dtype == MK_F32;
    uint64_t key, base;
    mkg_core->random_reserve(c, f32 ? (uint64_t)((n + 1) / 2) : (uint64_t)n, &key, &base);
    if (n == 0) return 0;
    if (f32)
        truncated_f_kernel<<<mkg_blocks(n), MKG_THREADS, 0, mkg_stream>>>(mkg_ptr<float>(O), n, key, base,
                                                                           (float)mean, (float)sd);
    else
        truncated_d_kernel<<<mkg_blocks(n), MKG_THREADS, 0, mkg_stream>>>(mkg_ptr<double>(O), n, key, base, mean, sd);
    return mkg_check_launch(c);
}

/* ---- categorical: one thread block per row ------------------------------------------
 * Like the CPU: cdf[j] = sum_{i<=j} exp(x_i - max) over the finite logits (in double), then
 * sample s of row r draws u01d from block (base + r*ns + s) and takes the first j with
 * cdf[j] > u*total.  The prefix sum is a parallel scan here (sequential on the CPU): the
 * cdf differs by rounding only (~1e-16 relative), so a sample differs only when u*total
 * falls within that distance of a class boundary. */
#define CAT_THREADS 256

struct max_op {
    __device__ double operator()(double a, double b) const { return a > b ? a : b; }
};

template <typename T>
__global__ void categorical_kernel(const T *L, int64_t s0, int64_t s1, int64_t C, double *cdf,
                                   int64_t ns, uint64_t key, uint64_t base, void *out, int o32) {
    typedef cub::BlockReduce<double, CAT_THREADS> Reduce;
    typedef cub::BlockScan<double, CAT_THREADS> Scan;
    __shared__ union { typename Reduce::TempStorage r; typename Scan::TempStorage s; } tmp;
    __shared__ double s_max, s_carry;
    int64_t r = blockIdx.x;
    const T *row = L + r * s0;
    double *cd = cdf + r * C;
    /* max over the finite logits (-inf when none) */
    double mx = -INFINITY;
    for (int64_t j = threadIdx.x; j < C; j += CAT_THREADS) {
        double x = (double)row[j * s1];
        if (isfinite(x) && x > mx) mx = x;
    }
    mx = Reduce(tmp.r).Reduce(mx, max_op());
    if (threadIdx.x == 0) { s_max = mx; s_carry = 0; }
    __syncthreads();
    mx = s_max;
    /* inclusive prefix sums, CAT_THREADS at a time, carrying the running total */
    for (int64_t j0 = 0; j0 < C; j0 += CAT_THREADS) {
        int64_t j = j0 + threadIdx.x;
        double e = 0;
        if (j < C) {
            double x = (double)row[j * s1];
            if (isfinite(x)) e = exp(x - mx);
        }
        double incl, chunk;
        Scan(tmp.s).InclusiveSum(e, incl, chunk);
        double carry = s_carry;
        if (j < C) cd[j] = carry + incl;
        __syncthreads();                           /* everyone read s_carry; tmp reusable */
        if (threadIdx.x == 0) s_carry = carry + chunk;
        __syncthreads();
    }
    double tot = cd[C - 1];                       /* written by this block: visible after the sync */
    for (int64_t s = threadIdx.x; s < ns; s += CAT_THREADS) {
        block4 b = philox(key, base + (uint64_t)(r * ns + s), 0);
        double t = u01d(b.v[0], b.v[1]) * tot;
        int64_t lo = 0, hi = C - 1;
        while (lo < hi) {
            int64_t mid = (lo + hi) / 2;
            if (cd[mid] > t) hi = mid; else lo = mid + 1;
        }
        if (o32) ((int32_t *)out)[r * ns + s] = (int32_t)lo;
        else ((int64_t *)out)[r * ns + s] = lo;
    }
}

static int k_categorical_gpu(mk_call *c) {
    mk_tensor *L = c->in[0], *O = c->out[0];
    int64_t B = L->shape[0], C = L->shape[1], ns = O->shape[1];
    int64_t n = B * ns;
    uint64_t key, base;
    mkg_core->random_reserve(c, (uint64_t)n, &key, &base);
    if (n == 0) return 0;                          /* then C >= 1 (infer) */
    size_t nbytes = sizeof(double) * (size_t)(B * C);
    double *cdf = (double *)mkg_alloc(nbytes);
    if (!cdf)
        return mkg_err(c, "out of GPU memory for %lld x %lld probabilities", (long long)B, (long long)C);
    int o32 = O->dtype == MK_I32;
    if (L->dtype == MK_F32)
        categorical_kernel<float><<<(unsigned)B, CAT_THREADS, 0, mkg_stream>>>(
            mkg_ptr<float>(L), L->strides[0], L->strides[1], C, cdf, ns, key, base, mk_data(O), o32);
    else
        categorical_kernel<double><<<(unsigned)B, CAT_THREADS, 0, mkg_stream>>>(
            mkg_ptr<double>(L), L->strides[0], L->strides[1], C, cdf, ns, key, base, mk_data(O), o32);
    int rc = mkg_check_launch(c);
    mkg_free(cdf, nbytes);
    return rc;
}

/* ---- random_shuffle -------------------------------------------------------------------
 * The CPU's Fisher-Yates: for i = n-1 .. 1, swap perm[i] and perm[j_i], j_i = w_i % (i+1)
 * with w_i the first 64-bit word of block (base + i).  The j_i are drawn in parallel; the
 * swaps (a sequential chain) run in one thread; then the rows are gathered in parallel. */
__global__ void shuffle_draw_kernel(int64_t *js, int64_t *perm, int64_t n, uint64_t key, uint64_t base) {
    MKG_GRID_STRIDE(i, n) {
        perm[i] = i;
        if (i > 0) js[i] = (int64_t)(word64(philox(key, base + (uint64_t)i, 0), 0) % (uint64_t)(i + 1));
    }
}

/* the swap chain: in shared memory when the permutation fits (48 KiB of int32), else global */
#define SHUF_SMEM 12288
__global__ void shuffle_swap_kernel(const int64_t *js, int64_t *perm, int64_t n) {
    __shared__ int32_t sp[SHUF_SMEM];
    if (blockIdx.x != 0 || threadIdx.x != 0) return;
    if (n <= SHUF_SMEM) {
        for (int64_t i = 0; i < n; i++) sp[i] = (int32_t)i;
        for (int64_t i = n - 1; i > 0; i--) {
            int64_t j = js[i];
            int32_t t = sp[i]; sp[i] = sp[j]; sp[j] = t;
        }
        for (int64_t i = 0; i < n; i++) perm[i] = sp[i];
        return;
    }
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = js[i];
        int64_t t = perm[i]; perm[i] = perm[j]; perm[j] = t;
    }
}

/* out element e = (row i, within w) <- input row perm[i], read through the input's strides */
template <typename W>
__global__ void shuffle_gather_kernel(W *out, const W *in, mkg_geom g, const int64_t *perm, int64_t total,
                                      int64_t inner) {
    MKG_GRID_STRIDE(e, total) {
        int64_t i = e / inner, w = e - i * inner;
        out[e] = in[mkg_offset(g, perm[i] * inner + w)];
    }
}

static int k_shuffle_gpu(mk_call *c) {
    mk_tensor *I = c->in[0], *O = c->out[0];
    int isz = mk_dtypes[I->dtype].itemsize;
    if (I->ndim == 0)
        return mkg_check_cuda(c, cudaMemcpyAsync(mk_data(O), mk_data(I), isz, cudaMemcpyDeviceToDevice, mkg_stream),
                              "cudaMemcpyAsync");
    int64_t n = I->shape[0];
    uint64_t key, base;
    mkg_core->random_reserve(c, (uint64_t)n, &key, &base);
    int64_t total = mk_numel(O);
    if (total == 0) return 0;
    int64_t inner = total / n;
    size_t nbytes = sizeof(int64_t) * 2 * (size_t)n;
    int64_t *js = (int64_t *)mkg_alloc(nbytes);
    if (!js) return mkg_err(c, "out of GPU memory for a permutation of %lld", (long long)n);
    int64_t *perm = js + n;
    shuffle_draw_kernel<<<mkg_blocks(n), MKG_THREADS, 0, mkg_stream>>>(js, perm, n, key, base);
    int rc = mkg_check_launch(c);
    if (rc == 0) {
        shuffle_swap_kernel<<<1, 1, 0, mkg_stream>>>(js, perm, n);
        rc = mkg_check_launch(c);
    }
    if (rc == 0) {
        mkg_geom g = mkg_geom_of(I);
        unsigned nblk = mkg_blocks(total);
        switch (isz) {
        case 1: shuffle_gather_kernel<uint8_t><<<nblk, MKG_THREADS, 0, mkg_stream>>>(
                    mkg_ptr<uint8_t>(O), mkg_ptr<uint8_t>(I), g, perm, total, inner); break;
        case 2: shuffle_gather_kernel<uint16_t><<<nblk, MKG_THREADS, 0, mkg_stream>>>(
                    mkg_ptr<uint16_t>(O), mkg_ptr<uint16_t>(I), g, perm, total, inner); break;
        case 4: shuffle_gather_kernel<uint32_t><<<nblk, MKG_THREADS, 0, mkg_stream>>>(
                    mkg_ptr<uint32_t>(O), mkg_ptr<uint32_t>(I), g, perm, total, inner); break;
        default: shuffle_gather_kernel<uint64_t><<<nblk, MKG_THREADS, 0, mkg_stream>>>(
                    mkg_ptr<uint64_t>(O), mkg_ptr<uint64_t>(I), g, perm, total, inner); break;
        }
        rc = mkg_check_launch(c);
    }
    mkg_free(js, nbytes);
    return rc;
}

void mkg_register_random(mk_opdef *ops) {
    ops[MK_OP_RANDOM_UNIFORM].kernel[MK_GPU] = k_uniform_gpu;
    ops[MK_OP_RANDOM_NORMAL].kernel[MK_GPU] = k_normal_gpu;
    ops[MK_OP_TRUNCATED_NORMAL].kernel[MK_GPU] = k_truncated_gpu;
    ops[MK_OP_DROPOUT_MASK].kernel[MK_GPU] = k_dropout_mask_gpu;
    ops[MK_OP_CATEGORICAL].kernel[MK_GPU] = k_categorical_gpu;
    ops[MK_OP_RANDOM_SHUFFLE].kernel[MK_GPU] = k_shuffle_gpu;
}
