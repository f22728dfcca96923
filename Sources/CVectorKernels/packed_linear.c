// Linear layers over weights packed once into 32-column panels, with an AVX-512 kernel; see
// include/zoo_vector_kernels.h. On CPUs without AVX-512 zoo_packed_linear_available() is 0 and
// callers use BLAS instead.
#include "zoo_vector_kernels.h"
#include "kernels_internal.h"

#include <stdint.h>
#include <string.h>

#define PANEL 32

long zoo_packed_weights_count(long out_features, long in_features) {
    return (out_features + PANEL - 1) / PANEL * PANEL * in_features;
}

void zoo_pack_weights(const float *weight, long out_features, long in_features, float *packed) {
    long panels = (out_features + PANEL - 1) / PANEL;
    for (long p = 0; p < panels; p++) {
        float *panel = packed + p * in_features * PANEL;
        for (long k = 0; k < in_features; k++) {
            for (long j = 0; j < PANEL; j++) {
                long row = p * PANEL + j;
                panel[k * PANEL + j] = row < out_features ? weight[row * in_features + k] : 0.0f;
            }
        }
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

int zoo_packed_linear_available(void) {
    return __builtin_cpu_supports("avx512f") && zoo_vector_kernels_lanes() == 16;
}

#pragma clang attribute push(__attribute__((target("avx512f,fma"))), apply_to = function)

// Rows [0, rows) (rows <= 8) × one 32-column panel (`columns` <= 32 of them kept).
static inline __attribute__((always_inline)) void tile(
    const float *input, long in_features, const float *panel, long rows, long columns,
    const float *bias, const float *residual, float *output, long out_features, int activation) {
    __mmask16 low = columns >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << columns) - 1);
    __mmask16 high = columns > 16 ? (__mmask16)((1u << (columns - 16)) - 1) : 0;
    __m512 b0 = bias ? _mm512_maskz_loadu_ps(low, bias) : _mm512_setzero_ps();
    __m512 b1 = bias ? _mm512_maskz_loadu_ps(high, bias + 16) : _mm512_setzero_ps();
    __m512 c00 = b0, c01 = b1, c10 = b0, c11 = b1, c20 = b0, c21 = b1, c30 = b0, c31 = b1;
    __m512 c40 = b0, c41 = b1, c50 = b0, c51 = b1, c60 = b0, c61 = b1, c70 = b0, c71 = b1;
    // Rows past `rows` repeat the last one; their results are not stored.
    const float *a[8];
    for (long r = 0; r < 8; r++) a[r] = input + (r < rows ? r : rows - 1) * in_features;
    const float *a0 = a[0], *a1 = a[1], *a2 = a[2], *a3 = a[3], *a4 = a[4], *a5 = a[5], *a6 = a[6], *a7 = a[7];
    for (long k = 0; k < in_features; k++) {
        __m512 w0 = _mm512_loadu_ps(panel), w1 = _mm512_loadu_ps(panel + 16);
        panel += PANEL;
        __m512 x;
        x = _mm512_set1_ps(a0[k]); c00 = _mm512_fmadd_ps(x, w0, c00); c01 = _mm512_fmadd_ps(x, w1, c01);
        x = _mm512_set1_ps(a1[k]); c10 = _mm512_fmadd_ps(x, w0, c10); c11 = _mm512_fmadd_ps(x, w1, c11);
        x = _mm512_set1_ps(a2[k]); c20 = _mm512_fmadd_ps(x, w0, c20); c21 = _mm512_fmadd_ps(x, w1, c21);
        x = _mm512_set1_ps(a3[k]); c30 = _mm512_fmadd_ps(x, w0, c30); c31 = _mm512_fmadd_ps(x, w1, c31);
        x = _mm512_set1_ps(a4[k]); c40 = _mm512_fmadd_ps(x, w0, c40); c41 = _mm512_fmadd_ps(x, w1, c41);
        x = _mm512_set1_ps(a5[k]); c50 = _mm512_fmadd_ps(x, w0, c50); c51 = _mm512_fmadd_ps(x, w1, c51);
        x = _mm512_set1_ps(a6[k]); c60 = _mm512_fmadd_ps(x, w0, c60); c61 = _mm512_fmadd_ps(x, w1, c61);
        x = _mm512_set1_ps(a7[k]); c70 = _mm512_fmadd_ps(x, w0, c70); c71 = _mm512_fmadd_ps(x, w1, c71);
    }
    __m512 lo[8] = {c00, c10, c20, c30, c40, c50, c60, c70};
    __m512 hi[8] = {c01, c11, c21, c31, c41, c51, c61, c71};
    for (long r = 0; r < rows; r++) {
        float *line = output + r * out_features;
        __m512 l = lo[r], h = hi[r];
        if (residual) {
            const float *source = residual + r * out_features;
            l = _mm512_add_ps(l, _mm512_maskz_loadu_ps(low, source));
            h = _mm512_add_ps(h, _mm512_maskz_loadu_ps(high, source + 16));
        }
        _mm512_mask_storeu_ps(line, low, l);
        _mm512_mask_storeu_ps(line + 16, high, h);
        // GELU on the row piece while it is in L1 (no second pass over the whole output).
        if (activation) zoo_bias_gelu_rows_avx512(line, 1, columns, NULL, activation - 1);
    }
}

void zoo_packed_linear_activated(const float *input, long rows, long in_features, const float *packed,
                                 long out_features, const float *bias, const float *residual, float *output,
                                 int activation) {
    long panels = (out_features + PANEL - 1) / PANEL;
    for (long p = 0; p < panels; p++) {
        const float *panel = packed + p * in_features * PANEL;
        long first = p * PANEL;
        long columns = out_features - first < PANEL ? out_features - first : PANEL;
        for (long row = 0; row < rows; row += 8) {
            long count = rows - row < 8 ? rows - row : 8;
            tile(input + row * in_features, in_features, panel, count, columns, bias ? bias + first : NULL,
                 residual ? residual + row * out_features + first : NULL, output + row * out_features + first,
                 out_features, activation);
        }
    }
}

void zoo_packed_linear(const float *input, long rows, long in_features, const float *packed,
                       long out_features, const float *bias, const float *residual, float *output) {
    zoo_packed_linear_activated(input, rows, in_features, packed, out_features, bias, residual, output, 0);
}

#pragma clang attribute pop

#else

int zoo_packed_linear_available(void) { return 0; }

void zoo_packed_linear_activated(const float *input, long rows, long in_features, const float *packed,
                                 long out_features, const float *bias, const float *residual, float *output,
                                 int activation) {
    (void)input, (void)rows, (void)in_features, (void)packed, (void)out_features, (void)bias,
        (void)residual, (void)output, (void)activation;
}

void zoo_packed_linear(const float *input, long rows, long in_features, const float *packed,
                       long out_features, const float *bias, const float *residual, float *output) {
    (void)input, (void)rows, (void)in_features, (void)packed, (void)out_features, (void)bias,
        (void)residual, (void)output;
}

#endif
