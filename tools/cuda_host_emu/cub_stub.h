/* one-thread "block" collectives for the host emulation */
namespace cub {
template <typename T, int N> struct BlockReduce {
    struct TempStorage {};
    BlockReduce(TempStorage &) {}
    template <typename Op> T Reduce(T x, Op) { return x; }
};
template <typename T, int N> struct BlockScan {
    struct TempStorage {};
    BlockScan(TempStorage &) {}
    void InclusiveSum(T x, T &incl, T &agg) { incl = x; agg = x; }
};
}
