// Vector helpers and the math functions of the kernels (exp, 2^x, GELU), written once for
// VL lanes (defined by the includer) with clang's vector types. Included by kernels_body.h for
// each instruction set and by packed_linear.c for its GELU epilogue.
#ifndef ZOO_KERNELS_MATH_H
#define ZOO_KERNELS_MATH_H

#if defined(__x86_64__)
#include <immintrin.h>
#endif
#include <math.h>

#define INLINE static inline __attribute__((always_inline))

typedef float vf __attribute__((ext_vector_type(VL)));
typedef int vi __attribute__((ext_vector_type(VL)));

INLINE vf loadv(const float *p) { vf v; __builtin_memcpy(&v, p, sizeof v); return v; }
INLINE void storev(float *p, vf v) { __builtin_memcpy(p, &v, sizeof v); }
INLINE vf splat(float x) { return (vf)x; }
INLINE vf vmax(vf a, vf b) { return __builtin_elementwise_max(a, b); }
INLINE vf vmin(vf a, vf b) { return __builtin_elementwise_min(a, b); }
// max(a, b) for inputs that are not NaN: one instruction on x86, where vmax's NaN rule adds a
// compare and a blend to every step of a running maximum.
INLINE vf vmax_numbers(vf a, vf b) {
#if VL == 16 && defined(__x86_64__)
    return __builtin_bit_cast(vf, _mm512_max_ps(__builtin_bit_cast(__m512, a), __builtin_bit_cast(__m512, b)));
#elif VL == 8 && defined(__x86_64__)
    return __builtin_bit_cast(vf, _mm256_max_ps(__builtin_bit_cast(__m256, a), __builtin_bit_cast(__m256, b)));
#elif VL == 4 && defined(__x86_64__)
    return __builtin_bit_cast(vf, _mm_max_ps(__builtin_bit_cast(__m128, a), __builtin_bit_cast(__m128, b)));
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
// is left (a fixed order, so results do not depend on the data).
typedef float vf4 __attribute__((ext_vector_type(4)));
#if VL == 16
typedef float vf8 __attribute__((ext_vector_type(8)));
INLINE vf4 fold_sum(vf v) { vf8 h = v.lo + v.hi; return h.lo + h.hi; }
INLINE vf4 fold_max(vf v) { vf8 h = __builtin_elementwise_max(v.lo, v.hi); return __builtin_elementwise_max(h.lo, h.hi); }
#elif VL == 8
INLINE vf4 fold_sum(vf v) { return v.lo + v.hi; }
INLINE vf4 fold_max(vf v) { return __builtin_elementwise_max(v.lo, v.hi); }
#else
INLINE vf4 fold_sum(vf v) { return v; }
INLINE vf4 fold_max(vf v) { return v; }
#endif

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

// 1/x for normal, finite, nonzero x: the hardware estimate refined by one Newton step
// (r' = r (2 - x r)), within about 1 unit in the last place; vdivps is 5-10x slower per vector.
INLINE vf reciprocal(vf x) {
#if VL == 16 && defined(__x86_64__)
    vf r = __builtin_bit_cast(vf, _mm512_rcp14_ps(__builtin_bit_cast(__m512, x)));
#elif VL == 8 && defined(__x86_64__)
    vf r = __builtin_bit_cast(vf, _mm256_rcp_ps(__builtin_bit_cast(__m256, x)));
#elif VL == 4 && defined(__x86_64__)
    vf r = __builtin_bit_cast(vf, _mm_rcp_ps(__builtin_bit_cast(__m128, x)));
#else
    return 1.0f / x;
#endif
#if defined(__x86_64__)
    return r * (2.0f - x * r);
#endif
}

// c[0]·x^(n−1) + … + c[n−1] by Horner's rule, highest coefficient first.
INLINE vf horner(vf x, const float *c, int n) {
    vf p = splat(c[0]);
    for (int i = 1; i < n; i++) p = p * x + c[i];
    return p;
}

// e^x: FastMath.exp. Relative error about 2e-7 on [-87, 88]; 0 below -87.
INLINE vf expv(vf input) {
    static const float taylor[7] = {1.0f / 720, 1.0f / 120, 1.0f / 24, 1.0f / 6, 0.5f, 1.0f, 1.0f};
    vf x = vmin(vmax(input, splat(-87.0f)), splat(88.0f));
    const float shifter = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer in the low bits
    vf shifted = x * 1.44269504f + shifter;
    vf k = shifted - shifter;
    vf r = (x - k * 0.69314575f) - k * 1.4286068e-6f;
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
// an operation. With AVX-512 the clamp is one vrangeps (|x| capped, the sign kept) and the
// quotient uses the reciprocal estimate with one correction, 19 vector operations in all
// against 22 for 0.5·x·(1 + erf(x·0.7071)): fc1 with its GELU epilogue went from 158.4 to
// 161.8 GFLOP/s in Benchmarks/model_gemms.c (four alternating runs each).
INLINE vf geluv(vf x, int tanh_form) {
    if (!tanh_form) {
        static const float numerator[6] = {2.24369892e-8f, 6.35279321e-6f, 1.71323569e-4f,
                                           4.69211489e-3f, 3.41143087e-2f, 0.398942232f};
        static const float denominator[6] = {1.18845276e-6f, 7.43631972e-5f, 1.89861597e-3f,
                                             2.87925825e-2f, 0.252177715f, 1.0f};
        const float bound = 5.5507998f;
#if VL == 16 && defined(__x86_64__)
        // imm 2: the operand of smaller magnitude, with the sign of the first (x).
        vf u = __builtin_bit_cast(vf, _mm512_range_ps(__builtin_bit_cast(__m512, x), _mm512_set1_ps(bound), 2));
#else
        vf u = vmin(vmax(x, splat(-bound)), splat(bound));
#endif
        vf t = u * u;
        vf p = u * horner(t, numerator, 6);
        vf d = horner(t, denominator, 6);
#if VL == 16 && defined(__x86_64__)
        // p/d from the estimate r ≈ 1/d: q = p·r, then q·(1 + (1 − d·r)), one Newton step.
        vf r = __builtin_bit_cast(vf, _mm512_rcp14_ps(__builtin_bit_cast(__m512, d)));
        vf q = p * r;
        q = q * (1.0f - d * r) + q;
#else
        vf q = p * reciprocal(d);
#endif
        return x * (q + 0.5f);
    }
    // x/2 (1 + tanh u) = x / (1 + e^(-2u)).
    vf u = 0.7978845608f * (x + 0.044715f * x * x * x);
    return x * reciprocal(1.0f + expv(-2.0f * u));
}

#endif
