/* cub for the host emulation: the block collectives random.cu (categorical, CAT_THREADS = 1) and
 * reduce.cu (cumsum, fiber mode) use, and the device-wide algorithms index.cu uses,
 * written from cub's documented semantics (a null temp pointer only asks for the temp size;
 * radix sorts are stable and compare the key bits [begin_bit, end_bit) as unsigned) */
#pragma once
#include <algorithm>
#include <vector>
namespace cub {
static inline int emu_linear_tid() { return (int)(threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z)); }
/* block collectives through shared memory and __syncthreads(): with N = 1 (sequential mode) or
 * in fiber mode (emu.h), where the barriers are real */
template <typename T, int N> struct BlockReduce {
    struct TempStorage { T part[N]; };
    TempStorage &s;
    BlockReduce(TempStorage &t) : s(t) {}
    template <typename Op> T Reduce(T x, Op op) {       /* the result is valid in thread 0 */
        int me = emu_linear_tid();
        s.part[me] = x;
        __syncthreads();
        T r = s.part[0];
        if (me == 0) for (int k = 1; k < N; k++) r = op(r, s.part[k]);
        __syncthreads();
        return me == 0 ? r : x;
    }
};
template <typename T, int N> struct BlockScan {
    struct TempStorage { T part[N]; T pre; };
    TempStorage &s;
    BlockScan(TempStorage &t) : s(t) {}
    /* the block's per-thread totals: the sum of the threads before this one, and of all */
    void scan_totals(T mine, T &before, T &all) {
        int me = emu_linear_tid();
        s.part[me] = mine;
        __syncthreads();
        before = T(0); all = T(0);
        for (int k = 0; k < N; k++) { if (k < me) before += s.part[k]; all += s.part[k]; }
        __syncthreads();
    }
    void InclusiveSum(T x, T &incl, T &agg) { T b; scan_totals(x, b, agg); incl = b + x; }
    /* IT consecutive items per thread; cb(block total) is called by the first warp, lane 0's
     * result is the prefix of the whole block (cub's BlockPrefixCallbackOp) */
    template <int IT, typename CB> void scan_items(const T (&in)[IT], T (&out)[IT], CB &cb, bool excl) {
        T loc = T(0), pre[IT];            /* pre[q]: this thread's items before q (+ q if inclusive) */
        for (int q = 0; q < IT; q++) { if (excl) pre[q] = loc; loc = loc + in[q]; if (!excl) pre[q] = loc; }
        T before, all;
        scan_totals(loc, before, all);
        int me = emu_linear_tid();
        if (me < 32) { T p = cb(all); if (me == 0) s.pre = p; }
        __syncthreads();
        T base = s.pre + before;
        for (int q = 0; q < IT; q++) out[q] = base + pre[q];
        __syncthreads();
    }
    template <int IT, typename CB> void InclusiveSum(const T (&in)[IT], T (&out)[IT], CB &cb) { scan_items(in, out, cb, false); }
    template <int IT, typename CB> void ExclusiveSum(const T (&in)[IT], T (&out)[IT], CB &cb) { scan_items(in, out, cb, true); }
};
struct DeviceScan {
    template <typename T, typename N>
    static cudaError_t ExclusiveSum(void *tmp, size_t &bytes, T *data, N n, cudaStream_t = 0) {
        if (!tmp) { bytes = 16; return cudaSuccess; }
        T s = T(0);
        for (N i = 0; i < n; i++) { T v = data[i]; data[i] = s; s += v; }
        return cudaSuccess;
    }
};
template <typename K, typename V>
static void emu_sort_pairs(const K *kin, K *kout, const V *vin, V *vout, int64_t n, int b0, int b1) {
    auto bits = [&](K k) {
        unsigned long long u = (unsigned long long)k >> b0;
        return b1 - b0 >= 64 ? u : u & ((1ull << (b1 - b0)) - 1);
    };
    std::vector<int64_t> ix(n);
    for (int64_t i = 0; i < n; i++) ix[i] = i;
    std::stable_sort(ix.begin(), ix.end(), [&](int64_t a, int64_t b) { return bits(kin[a]) < bits(kin[b]); });
    std::vector<K> ko(n); std::vector<V> vo(n);      /* in and out may not alias, but be safe */
    for (int64_t i = 0; i < n; i++) { ko[i] = kin[ix[i]]; vo[i] = vin[ix[i]]; }
    std::copy(ko.begin(), ko.end(), kout); std::copy(vo.begin(), vo.end(), vout);
}
struct DeviceRadixSort {
    template <typename K, typename V, typename N>
    static cudaError_t SortPairs(void *tmp, size_t &bytes, const K *kin, K *kout, const V *vin, V *vout, N n,
                                 int begin_bit = 0, int end_bit = sizeof(K) * 8, cudaStream_t = 0) {
        if (!tmp) { bytes = 16; return cudaSuccess; }
        emu_sort_pairs(kin, kout, vin, vout, (int64_t)n, begin_bit, end_bit);
        return cudaSuccess;
    }
};
struct DeviceSegmentedRadixSort {
    template <typename K, typename V, typename B, typename E>
    static cudaError_t SortPairs(void *tmp, size_t &bytes, const K *kin, K *kout, const V *vin, V *vout, int n,
                                 int nseg, B begins, E ends, int begin_bit = 0, int end_bit = sizeof(K) * 8,
                                 cudaStream_t = 0) {
        if (!tmp) { bytes = 16; return cudaSuccess; }
        for (int s = 0; s < nseg; s++) {
            int64_t b = begins[s], e = ends[s];
            if (e > b) emu_sort_pairs(kin + b, kout + b, vin + b, vout + b, e - b, begin_bit, end_bit);
        }
        return cudaSuccess;
    }
};
}  // namespace cub
