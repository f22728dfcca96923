// Vector helpers and the math functions of the kernels (exp, 2^x, GELU), written once with
// clang's vector types. Included by kernels_body.h for each instruction set and by the packed
// linear kernels for their GELU epilogue.
//
// Same bits on every instruction set. The includer defines ZOO_ISA_LANES (16: AVX-512, 8: AVX2
// with FMA, 4: baseline) and ZOO_FUSED (1 where a multiply-add is one rounding). Every vector
// here has VL = 16 lanes whatever the hardware width (the compiler splits a 16-lane operation
// into two 8-lane or four 4-lane instructions), so sums across lanes fold in one fixed order;
// contraction is off, so each multiply-add is written out (fmav, fmas) and is fused exactly where
// ZOO_FUSED says; and no hardware reciprocal estimate is used (rcp14 and rcpps differ). The
// AVX-512 and AVX2 copies therefore give the same bytes, and so does the baseline copy where the
// target has a fused multiply-add (aarch64); on x86-64 without FMA it rounds each product.
#ifndef ZOO_KERNELS_MATH_H
#define ZOO_KERNELS_MATH_H

#pragma clang fp contract(off)
// 16-lane vectors pass between always-inline helpers only, so the AVX2 and baseline copies'
// different calling convention for them never meets another copy's.
#pragma clang diagnostic ignored "-Wpsabi"

#ifndef ZOO_ISA_LANES
#error "define ZOO_ISA_LANES (16, 8 or 4) before including kernels_math.h"
#endif
#ifndef ZOO_FUSED
#error "define ZOO_FUSED (1: fused multiply-add, 0: product then sum) before including kernels_math.h"
#endif
#define VL 16

#if defined(__x86_64__)
#include <immintrin.h>
#endif
#include <math.h>
#include <stddef.h>

#define INLINE static inline __attribute__((always_inline))

typedef float vf __attribute__((ext_vector_type(VL)));
typedef int vi __attribute__((ext_vector_type(VL)));
typedef float vf8 __attribute__((ext_vector_type(8)));
typedef float vf4 __attribute__((ext_vector_type(4)));

// a·b + c: one rounding where ZOO_FUSED, else the product rounded first.
INLINE vf fmav(vf a, vf b, vf c) {
#if ZOO_FUSED
    return __builtin_elementwise_fma(a, b, c);
#else
    return a * b + c;
#endif
}
INLINE float fmas(float a, float b, float c) {
#if ZOO_FUSED
    return __builtin_fmaf(a, b, c);
#else
    return a * b + c;
#endif
}

INLINE vf loadv(const float *p) { vf v; __builtin_memcpy(&v, p, sizeof v); return v; }
INLINE void storev(float *p, vf v) { __builtin_memcpy(p, &v, sizeof v); }
INLINE vf splat(float x) { return (vf)x; }
INLINE vf vmax(vf a, vf b) { return __builtin_elementwise_max(a, b); }
INLINE vf vmin(vf a, vf b) { return __builtin_elementwise_min(a, b); }
// max(a, b) for inputs that are not NaN: one instruction on x86, where vmax's NaN rule adds a
// compare and a blend to every step of a running maximum.
INLINE vf vmax_numbers(vf a, vf b) {
#if ZOO_ISA_LANES == 16 && defined(__x86_64__)
    return __builtin_bit_cast(vf, _mm512_max_ps(__builtin_bit_cast(__m512, a), __builtin_bit_cast(__m512, b)));
#elif ZOO_ISA_LANES == 8 && defined(__x86_64__)
    vf8 a0 = __builtin_shufflevector(a, a, 0, 1, 2, 3, 4, 5, 6, 7), a1 = __builtin_shufflevector(a, a, 8, 9, 10, 11, 12, 13, 14, 15);
    vf8 b0 = __builtin_shufflevector(b, b, 0, 1, 2, 3, 4, 5, 6, 7), b1 = __builtin_shufflevector(b, b, 8, 9, 10, 11, 12, 13, 14, 15);
    vf8 low = __builtin_bit_cast(vf8, _mm256_max_ps(__builtin_bit_cast(__m256, a0), __builtin_bit_cast(__m256, b0)));
    vf8 high = __builtin_bit_cast(vf8, _mm256_max_ps(__builtin_bit_cast(__m256, a1), __builtin_bit_cast(__m256, b1)));
    return __builtin_shufflevector(low, high, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
#else
    return vmax(a, b);
#endif
}
INLINE vf keep(vf value, vi mask) { return (vf)((vi)value & mask); }

// Loads the `count` (< VL) floats at `p`, the other lanes set to `fill`.
INLINE vf load_partial(const float *p, long count, float fill) {
    float lanes[VL];
    for (int i = 0; i < VL; i++) lanes[i] = fill;
    for (long i = 0; i < count; i++) lanes[i] = p[i];
    return loadv(lanes);
}

INLINE void store_partial(float *p, long count, vf v) {
    float lanes[VL];
    storev(lanes, v);
    for (long i = 0; i < count; i++) p[i] = lanes[i];
}

// Horizontal sum and maximum by halving: the upper half folded onto the lower until one lane
// is left (a fixed order, the same on every instruction set).
// Halves are taken with shufflevector, here and in packed_narrow.h: in an AVX2 function, `.hi`
// of a 16-lane value read from an array gave its low half (clang 21).
#define LOW8(v) __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7)
#define HIGH8(v) __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15)
#define LOW4(v) __builtin_shufflevector(v, v, 0, 1, 2, 3)
#define HIGH4(v) __builtin_shufflevector(v, v, 4, 5, 6, 7)
INLINE vf4 fold_sum(vf v) { vf8 h = LOW8(v) + HIGH8(v); return LOW4(h) + HIGH4(h); }
INLINE vf4 fold_max(vf v) {
    vf8 h = __builtin_elementwise_max(LOW8(v), HIGH8(v));
    return __builtin_elementwise_max(LOW4(h), HIGH4(h));
}

INLINE float hsum(vf v) {
    vf4 q = fold_sum(v);
    __attribute__((ext_vector_type(2))) float h = q.lo + q.hi;
    return h.x + h.y;
}

INLINE float hmax(vf v) {
    vf4 q = fold_max(v);
    __attribute__((ext_vector_type(2))) float h = __builtin_elementwise_max(q.lo, q.hi);
    return h.x > h.y ? h.x : h.y;
}

// 1/x for x in [1, 2^100]: a first guess from the exponent bits (relative error below 1/8)
// refined by three Newton steps r' = r + r (1 - x r), within about 1 unit in the last place.
// Plain arithmetic, so the same bits on every instruction set (the hardware estimates rcp14 and
// rcpps are not); vdivps issues one 16-lane divide per 8-16 cycles, these seven operations about
// one every cycle.
INLINE vf reciprocal_of_large(vf x) {
    vf r = (vf)(0x7EF311C3 - (vi)x);
    for (int step = 0; step < 3; step++) r = fmav(r, fmav(-x, r, splat(1.0f)), r);
    return r;
}

// c[0]·x^(n−1) + … + c[n−1] by Horner's rule, highest coefficient first.
INLINE vf horner(vf x, const float *c, int n) {
    vf p = splat(c[0]);
    for (int i = 1; i < n; i++) p = fmav(p, x, splat(c[i]));
    return p;
}

// e^x: FastMath.exp. Relative error about 2e-7 on [-87, 88]; 0 below -87.
INLINE vf expv(vf input) {
    static const float taylor[7] = {1.0f / 720, 1.0f / 120, 1.0f / 24, 1.0f / 6, 0.5f, 1.0f, 1.0f};
    vf x = vmin(vmax(input, splat(-87.0f)), splat(88.0f));
    const float shifter = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer in the low bits
    vf shifted = fmav(x, splat(1.44269504f), splat(shifter));
    vf k = shifted - shifter;
    vf r = fmav(-k, splat(1.4286068e-6f), fmav(-k, splat(0.69314575f), x));
    vi exponent = ((vi)shifted - (vi)splat(shifter) + 127) << 23;
    return keep(horner(r, taylor, 7) * (vf)exponent, input >= -87.0f);
}

// 2^x for x <= 0: LongSequenceAttention.exp2. Inputs below -126 give 2^-126.
INLINE vf exp2v(vf input) {
    static const float fit[6] = {1.3276977e-3f, 9.675546e-3f, 5.5507116e-2f, 0.2402212f, 0.69314694f, 1.0000001f};
    vf x = vmax(input, splat(-126.0f));
    vf shifted = x + 12582912.0f;
    vf f = x - (shifted - 12582912.0f);
    vi bits = (vi)shifted - 0x4B400000 + 127;
    return horner(f, fit, 6) * (vf)(bits << 23);
}

// GELU. The exact form is x · Φ(x), Φ(x) = 1/2 + erf(x/√2)/2, with FastMath.erf's rational fit
// (absolute error below 4e-7 for |z| <= 3.925, ±1 within 4e-8 beyond) rewritten in x:
// Φ(x) − 1/2 = u · N(u²) / D(u²), u = x clamped to ±3.925·√2, the fit's coefficients scaled by
// powers of 1/2 (and N's by 1/(2√2)), so neither the division of x by √2 nor the halving costs
// an operation. With AVX-512 the clamp is one vrangeps (|x| capped, the sign kept: for numbers
// exactly the min/max clamp of the other copies)
// against 22 for 0.5·x·(1 + erf(x·0.7071)). The quotient uses reciprocal_of_large (d >= 1),
// the same bits on every instruction set.
INLINE vf geluv(vf x, int form) {
    if (form == 0) {
        static const float numerator[6] = {2.24369892e-8f, 6.35279321e-6f, 1.71323569e-4f,
                                           4.69211489e-3f, 3.41143087e-2f, 0.398942232f};
        static const float denominator[6] = {1.18845276e-6f, 7.43631972e-5f, 1.89861597e-3f,
                                             2.87925825e-2f, 0.252177715f, 1.0f};
        const float bound = 5.5507998f;
#if ZOO_ISA_LANES == 16 && defined(__x86_64__)
        // imm 2: the operand of smaller magnitude, with the sign of the first (x).
        vf u = __builtin_bit_cast(vf, _mm512_range_ps(__builtin_bit_cast(__m512, x), _mm512_set1_ps(bound), 2));
#else
        vf u = vmin(vmax(x, splat(-bound)), splat(bound));
#endif
        vf t = u * u;
        vf p = u * horner(t, numerator, 6);
        vf d = horner(t, denominator, 6);
        vf q = p * reciprocal_of_large(d);
        return x * (q + 0.5f);
    }
    // Form 2, CLIP's quick_gelu: x · σ(1.702 x) = x / (1 + e^(-1.702 x)).
    if (form == 2) return x / (1.0f + expv(-1.702f * x));
    // Form 1: x/2 (1 + tanh u) = x / (1 + e^(-2u)).
    vf u = 0.7978845608f * fmav(splat(0.044715f) * x * x, x, x);
    return x / (1.0f + expv(-2.0f * u));
}

#endif
