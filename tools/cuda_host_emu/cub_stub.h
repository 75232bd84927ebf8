/* cub for the host emulation: block collectives for a one-thread "block" (random.cu's
 * categorical is emulated with CAT_THREADS = 1), and the device-wide algorithms index.cu uses,
 * written from cub's documented semantics (a null temp pointer only asks for the temp size;
 * radix sorts are stable and compare the key bits [begin_bit, end_bit) as unsigned) */
#pragma once
#include <algorithm>
#include <vector>
namespace cub {
template <typename T, int N> struct BlockReduce {
    static_assert(N == 1, "the host emulation runs block collectives with one thread");
    struct TempStorage {};
    BlockReduce(TempStorage &) {}
    template <typename Op> T Reduce(T x, Op) { return x; }
};
template <typename T, int N> struct BlockScan {
    static_assert(N == 1, "the host emulation runs block collectives with one thread");
    struct TempStorage {};
    BlockScan(TempStorage &) {}
    void InclusiveSum(T x, T &incl, T &agg) { incl = x; agg = x; }
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
