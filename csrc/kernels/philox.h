/* Philox-4x32-10 and the transforms of the random family, shared by the CPU kernels
 * (random.c) and the GPU kernels (random.cu) so both devices draw the same numbers from
 * the same (key, counter).  Under nvcc every function is __host__ __device__; the math
 * calls (logf, sinf, ...) then resolve to CUDA's device functions, which may differ from
 * glibc's in the last ulp (see random.cu). */
#ifndef MK_PHILOX_H
#define MK_PHILOX_H
#include "../mk.h"
#include <stdint.h>
#include <math.h>


typedef struct { uint32_t v[4]; } block4;

/* counter (ctr, variant, 0x5eed), key = the stream's 64-bit key */
static MK_HD block4 philox(uint64_t key, uint64_t ctr, uint32_t variant) {
    uint32_t c0 = (uint32_t)ctr, c1 = (uint32_t)(ctr >> 32), c2 = variant, c3 = 0x5eed;
    uint32_t k0 = (uint32_t)key, k1 = (uint32_t)(key >> 32);
    for (int r = 0; r < 10; r++) {
        uint64_t p0 = (uint64_t)0xD2511F53u * c0, p1 = (uint64_t)0xCD9E8D57u * c2;
        uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
        uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
        c1 = (uint32_t)p1;
        c3 = (uint32_t)p0;
        c0 = n0; c2 = n2;
        k0 += 0x9E3779B9u; k1 += 0xBB67AE85u;
    }
    block4 b = {{c0, c1, c2, c3}};
    return b;
}

/* [0, 1) */
static MK_HD float u01f(uint32_t w) { return (float)(w >> 8) * (1.0f / 16777216.0f); }
static MK_HD double u01d(uint32_t a, uint32_t b) {
    return (double)((((uint64_t)a << 32) | b) >> 11) * (1.0 / 9007199254740992.0);
}
/* (0, 1]: safe for log */
static MK_HD float u01f_pos(uint32_t w) { return ((float)(w >> 8) + 1.0f) * (1.0f / 16777216.0f); }
static MK_HD double u01d_pos(uint32_t a, uint32_t b) {
    return ((double)((((uint64_t)a << 32) | b) >> 11) + 1.0) * (1.0 / 9007199254740992.0);
}

#define MK_TWO_PI 6.283185307179586476925286766559

/* Box-Muller: two words -> two standard normals (float32: word a the radius, b the angle) */
static MK_HD void box_muller_f(uint32_t a, uint32_t b, float *z0, float *z1) {
    float r = sqrtf(-2.0f * logf(u01f_pos(a)));
    float th = (float)MK_TWO_PI * u01f(b);
    *z0 = r * cosf(th);
    *z1 = r * sinf(th);
}
/* float64: a whole block -> radius and angle (the normals are r*cos(th), r*sin(th)) */
static MK_HD void box_muller_d(block4 b, double *r, double *th) {
    *r = sqrt(-2.0 * log(u01d_pos(b.v[0], b.v[1])));
    *th = MK_TWO_PI * u01d(b.v[2], b.v[3]);
}

/* truncated normal, float32: element i uses word pair (i & 1) of block (base + i/2) with
 * variant 0, 1, ... until |z| <= 2 (cos first, then sin) */
static MK_HD float truncated_f(uint64_t key, uint64_t base, int64_t i) {
    int p = (int)(i & 1);
    float z = 0;
    for (uint32_t v = 0;; v++) {
        block4 b = philox(key, base + (uint64_t)(i >> 1), v);
        float z0, z1;
        box_muller_f(b.v[2 * p], b.v[2 * p + 1], &z0, &z1);
        z = z0;
        if (fabsf(z) <= 2.0f) break;
        z = z1;
        if (fabsf(z) <= 2.0f) break;
    }
    return z;
}
/* truncated normal, float64: element i uses block (base + i), variants as above */
static MK_HD double truncated_d(uint64_t key, uint64_t base, int64_t i) {
    double z = 0;
    for (uint32_t v = 0;; v++) {
        double r, th;
        box_muller_d(philox(key, base + (uint64_t)i, v), &r, &th);
        z = r * cos(th);
        if (fabs(z) <= 2.0) break;
        z = r * sin(th);
        if (fabs(z) <= 2.0) break;
    }
    return z;
}

/* 64-bit word of a block (words 2j, 2j+1) */
static MK_HD uint64_t word64(block4 b, int j) { return ((uint64_t)b.v[2 * j] << 32) | b.v[2 * j + 1]; }

#endif
