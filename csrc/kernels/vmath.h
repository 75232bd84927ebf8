/* Float32 math the compiler can vectorise (libm calls block vectorisation).
 * Cephes-style range reduction + polynomial: max error ~2 ulp on [-87, 88],
 * NaN in -> NaN out, overflow -> inf, underflow -> 0. */
#ifndef MK_VMATH_H
#define MK_VMATH_H
#include <stdint.h>
#include <string.h>

static inline float mk_expf(float x) {
    float xc = x > 88.72283935546875f ? 88.72283935546875f : x;
    xc = xc < -103.972084045410f ? -103.972084045410f : xc;
    float n = __builtin_rintf(xc * 1.44269504088896341f);
    float r = xc - n * 0.693359375f + n * 2.12194440e-4f;
    float p = 1.9875691500E-4f;
    p = p * r + 1.3981999507E-3f;
    p = p * r + 8.3334519073E-3f;
    p = p * r + 4.1665795894E-2f;
    p = p * r + 1.6666665459E-1f;
    p = p * r + 5.0000001201E-1f;
    float y = p * r * r + r + 1.0f;
    /* 2^n as two factors so that n = 128 or n < -126 (denormal results) stay exact */
    int32_t n1 = (int32_t)n / 2, n2 = (int32_t)n - n1;
    int32_t b1 = (n1 + 127) << 23, b2 = (n2 + 127) << 23;
    float s1, s2;
    memcpy(&s1, &b1, 4);
    memcpy(&s2, &b2, 4);
    float res = y * s1 * s2;
    res = x > 88.72283935546875f ? __builtin_inff() : res;
    res = x < -103.972084045410f ? 0.0f : res;
    return x != x ? x : res;
}

static inline float mk_sigmoidf(float x) {
    return 1.0f / (1.0f + mk_expf(-x));
}

static inline float mk_tanhf(float x) {
    /* tanh(x) = sign(x) (1 - e) / (1 + e), e = exp(-2|x|); small |x| by series */
    float ax = x < 0 ? -x : x;
    float e = mk_expf(-2.0f * ax);
    float t = (1.0f - e) / (1.0f + e);
    float x2 = x * x;
    float small = x * (1.0f + x2 * (-0.333333333f + x2 * (0.133333333f + x2 * -0.0539682540f)));
    float r = x < 0 ? -t : t;
    return ax < 0.0625f ? small : r;
}
#endif
