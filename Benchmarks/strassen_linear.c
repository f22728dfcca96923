// An experiment, not part of zoo (see strassen_bench.c and docs/PERFORMANCE.md): linear layers
// by one level of Strassen's algorithm over weights packed once into seven half-size blocks.
//
// With B = Wᵀ split into quadrants B11 B12 / B21 B22 (input halves × output halves) and the
// input rows split into a top and a bottom half, A11 A12 / A21 A22, the product takes seven
// half-size products instead of eight:
//
//   M1 = (A11 + A22)(B11 + B22)   C11 += M1, C22 += M1
//   M2 = (A21 + A22) B11          C21 += M2, C22 -= M2
//   M3 = A11 (B12 - B22)          C12 += M3, C22 += M3
//   M4 = A22 (B21 - B11)          C11 += M4, C21 += M4
//   M5 = (A11 + A12) B22          C11 -= M5, C12 += M5
//   M6 = (A21 - A11)(B11 + B12)   C22 += M6
//   M7 = (A12 - A22)(B21 + B22)   C11 += M7
//
// The seven weight combinations S1..S7 (right-hand factors above) are what is packed, at load;
// the input sums are formed per call in a scratch buffer, and each product's tile is added to
// its one or two output blocks as it leaves the registers (the "fused" form of Huang, Smith,
// Henry and van de Geijn, "Strassen's algorithm reloaded", SC16). Rows that do not fill the two
// halves use the plain block formula written with the same combinations:
//
//   C[:, left]  = (X1 + X2) S2 + X2 S4      (B11 = S2, B21 = S4 + S2)
//   C[:, right] = X1 S3 + (X1 + X2) S5      (B12 = S3 + S5, B22 = S5)
//
// which costs what the plain product costs, so only the combinations are kept.
#include "strassen_linear.h"

#include <stddef.h>

#define PANEL 32
/// Rows of one tile.
#define TILE_ROWS 8
/// Fewest rows per half for which the seven-product form is used.
#define MIN_HALF_ROWS 32
#ifndef ROW_BLOCK
#define ROW_BLOCK 128
#endif

int zoo_strassen_shape_supported(long out_features, long in_features) {
    return out_features >= 2 * PANEL && out_features % (2 * PANEL) == 0 && in_features >= 64 &&
           in_features % 2 == 0;
}

long zoo_strassen_weights_count(long out_features, long in_features) {
    return 7 * (out_features / 2) * (in_features / 2);
}

/// Rows of each half of the seven-product form for `rows` rows, or 0 when too few rows.
static long half_rows(long rows) {
    long h = rows / (2 * TILE_ROWS) * TILE_ROWS;
    return h < MIN_HALF_ROWS ? 0 : h;
}

long zoo_strassen_scratch_count(long rows, long in_features) {
    long h = half_rows(rows);
    // Five input sums of h rows each, or one of the leftover rows (fewer than 5h, or all).
    return (h > 0 ? 5 * h : rows) * (in_features / 2);
}

/// Which quadrants of B make each combination: S = sign_a·B[qa] + sign_b·B[qb] (sign_b 0: none).
/// Quadrant index 2i + j: input half i, output half j.
static const struct {
    int qa;
    int qb;
    float sign_b;
} combinations[7] = {
    {0, 3, 1.0f},   // S1 = B11 + B22
    {0, 0, 0.0f},   // S2 = B11
    {1, 3, -1.0f},  // S3 = B12 - B22
    {2, 0, -1.0f},  // S4 = B21 - B11
    {3, 3, 0.0f},   // S5 = B22
    {0, 1, 1.0f},   // S6 = B11 + B12
    {2, 3, 1.0f},   // S7 = B21 + B22
};

void zoo_pack_weights_strassen(const float *weight, long out_features, long in_features, float *packed) {
    long half_in = in_features / 2, half_out = out_features / 2;
    for (int s = 0; s < 7; s++) {
        float *block = packed + (long)s * half_in * half_out;
        for (long p = 0; p < half_out / PANEL; p++) {
            float *panel = block + p * half_in * PANEL;
            for (long k = 0; k < half_in; k++) {
                for (long c = 0; c < PANEL; c++) {
                    long n = p * PANEL + c;
                    // B[i·K/2 + k, j·N/2 + n] = W[j·N/2 + n, i·K/2 + k]
                    int qa = combinations[s].qa, qb = combinations[s].qb;
                    float value = weight[((qa & 1) * half_out + n) * in_features + (qa >> 1) * half_in + k];
                    if (combinations[s].sign_b != 0.0f)
                        value += combinations[s].sign_b *
                                 weight[((qb & 1) * half_out + n) * in_features + (qb >> 1) * half_in + k];
                    panel[k * PANEL + c] = value;
                }
            }
        }
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

#pragma clang attribute push(__attribute__((target("avx512f,fma"))), apply_to = function)

#include "packed_tile.h"

/// Where a product's tile goes: `sign` times it is stored (with `bias` and `residual` added:
/// the block's first write) or added to what `out` holds.
typedef struct destination {
    float *out;
    const float *bias;
    const float *residual;
    float sign;
    int first;
} destination;

static inline __attribute__((always_inline)) void store_tile(
    const __m512 *lo, const __m512 *hi, long rows, destination d, long row, long column, long stride) {
    if (!d.out) return;
    __m512 sign = _mm512_set1_ps(d.sign);
    float *out = d.out + row * stride + column;
    if (d.first) {
        __m512 b0 = d.bias ? _mm512_loadu_ps(d.bias + column) : _mm512_setzero_ps();
        __m512 b1 = d.bias ? _mm512_loadu_ps(d.bias + column + 16) : _mm512_setzero_ps();
        const float *residual = d.residual ? d.residual + row * stride + column : NULL;
        for (long r = 0; r < rows; r++) {
            __m512 l = _mm512_fmadd_ps(sign, lo[r], b0), h = _mm512_fmadd_ps(sign, hi[r], b1);
            if (residual) {
                l = _mm512_add_ps(l, _mm512_loadu_ps(residual + r * stride));
                h = _mm512_add_ps(h, _mm512_loadu_ps(residual + r * stride + 16));
            }
            _mm512_storeu_ps(out + r * stride, l);
            _mm512_storeu_ps(out + r * stride + 16, h);
        }
    } else {
        for (long r = 0; r < rows; r++) {
            float *line = out + r * stride;
            _mm512_storeu_ps(line, _mm512_fmadd_ps(sign, lo[r], _mm512_loadu_ps(line)));
            _mm512_storeu_ps(line + 16, _mm512_fmadd_ps(sign, hi[r], _mm512_loadu_ps(line + 16)));
        }
    }
}

/// `rows` rows of `a` (`lda` apart, `depth` used) times panel `p` of one combination block,
/// each tile sent to `d0` and, when its `out` is set, `d1`. Output rows are `stride` floats apart.
static void product(const float *a, long lda, long rows, long depth, const float *block, long p,
                    destination d0, destination d1, long stride) {
    const float *panel_start = block + p * depth * PANEL;
    long column = p * PANEL;
    for (long row = 0; row < rows; row += TILE_ROWS) {
        long count = rows - row < TILE_ROWS ? rows - row : TILE_ROWS;
        const float *x[TILE_ROWS];
        for (long r = 0; r < TILE_ROWS; r++) x[r] = a + (row + (r < count ? r : count - 1)) * lda;
        __m512 lo[TILE_ROWS], hi[TILE_ROWS];
        for (long r = 0; r < TILE_ROWS; r++) lo[r] = hi[r] = _mm512_setzero_ps();
        zoo_tile_8x32(x, depth, panel_start, x[0], NULL, 0, lo, hi);
        store_tile(lo, hi, count, d0, row, column, stride);
        store_tile(lo, hi, count, d1, row, column, stride);
    }
}

/// target = x + sign·y over `rows` rows of `width` floats (x and y rows `lda` apart; target's
/// `width` apart).
static void combine(const float *x, const float *y, float sign, long lda, long rows, long width, float *target) {
    __m512 s = _mm512_set1_ps(sign);
    for (long r = 0; r < rows; r++) {
        const float *u = x + r * lda, *v = y + r * lda;
        float *t = target + r * width;
        long c = 0;
        for (; c + 16 <= width; c += 16)
            _mm512_storeu_ps(t + c, _mm512_fmadd_ps(s, _mm512_loadu_ps(v + c), _mm512_loadu_ps(u + c)));
        for (; c < width; c++) t[c] = u[c] + sign * v[c];
    }
}

static destination to(float *out, const float *bias, const float *residual, float sign, int first) {
    destination d = {out, bias, residual, sign, first};
    return d;
}

static const destination nowhere = {NULL, NULL, NULL, 0.0f, 0};

void zoo_strassen_linear(const float *input, long rows, long in_features, const float *packed,
                         long out_features, const float *bias, const float *residual, float *output,
                         float *scratch) {
    long k2 = in_features / 2, n2 = out_features / 2, n = out_features, panels = n2 / PANEL;
    long block = k2 * n2;
    const float *S1 = packed, *S2 = packed + block, *S3 = packed + 2 * block, *S4 = packed + 3 * block,
                *S5 = packed + 4 * block, *S6 = packed + 5 * block, *S7 = packed + 6 * block;
    const float *bias_right = bias ? bias + n2 : NULL;
    long h = half_rows(rows);
    if (h > 0) {
        const float *A11 = input, *A12 = input + k2, *A21 = input + h * in_features, *A22 = A21 + k2;
        float *C11 = output, *C12 = output + n2, *C21 = output + h * n, *C22 = C21 + n2;
        const float *R11 = residual, *R12 = residual ? residual + n2 : NULL;
        const float *R21 = residual ? residual + h * n : NULL, *R22 = residual ? residual + h * n + n2 : NULL;
        // The five input sums, each h × k2.
        float *T1 = scratch, *T2 = T1 + h * k2, *T5 = T2 + h * k2, *T6 = T5 + h * k2, *T7 = T6 + h * k2;
        combine(A11, A22, 1.0f, in_features, h, k2, T1);
        combine(A21, A22, 1.0f, in_features, h, k2, T2);
        combine(A11, A12, 1.0f, in_features, h, k2, T5);
        combine(A21, A11, -1.0f, in_features, h, k2, T6);
        combine(A12, A22, -1.0f, in_features, h, k2, T7);
        // Blocks of ROW_BLOCK rows of each half; within one, a 32-column strip of each output
        // block at a time gets all seven products, so the operands and strips stay in L2.
        for (long r0 = 0; r0 < h; r0 += ROW_BLOCK) {
            long count = h - r0 < ROW_BLOCK ? h - r0 : ROW_BLOCK;
            long ar = r0 * in_features, tr = r0 * k2, cr = r0 * n;
            const float *r11 = R11 ? R11 + cr : NULL, *r12 = R12 ? R12 + cr : NULL;
            const float *r21 = R21 ? R21 + cr : NULL, *r22 = R22 ? R22 + cr : NULL;
            for (long p = 0; p < panels; p++) {
                product(T1 + tr, k2, count, k2, S1, p, to(C11 + cr, bias, r11, 1.0f, 1),
                        to(C22 + cr, bias_right, r22, 1.0f, 1), n);
                product(T2 + tr, k2, count, k2, S2, p, to(C21 + cr, bias, r21, 1.0f, 1),
                        to(C22 + cr, NULL, NULL, -1.0f, 0), n);
                product(A11 + ar, in_features, count, k2, S3, p, to(C12 + cr, bias_right, r12, 1.0f, 1),
                        to(C22 + cr, NULL, NULL, 1.0f, 0), n);
                product(A22 + ar, in_features, count, k2, S4, p, to(C11 + cr, NULL, NULL, 1.0f, 0),
                        to(C21 + cr, NULL, NULL, 1.0f, 0), n);
                product(T5 + tr, k2, count, k2, S5, p, to(C11 + cr, NULL, NULL, -1.0f, 0),
                        to(C12 + cr, NULL, NULL, 1.0f, 0), n);
                product(T6 + tr, k2, count, k2, S6, p, to(C22 + cr, NULL, NULL, 1.0f, 0), nowhere, n);
                product(T7 + tr, k2, count, k2, S7, p, to(C11 + cr, NULL, NULL, 1.0f, 0), nowhere, n);
            }
        }
    }
    long done = 2 * h, left = rows - done;
    if (left == 0) return;
    const float *X1 = input + done * in_features, *X2 = X1 + k2;
    float *L = output + done * n, *R = L + n2;
    const float *RL = residual ? residual + done * n : NULL, *RR = residual ? residual + done * n + n2 : NULL;
    float *U = scratch;
    combine(X1, X2, 1.0f, in_features, left, k2, U);
    for (long p = 0; p < panels; p++) {
        product(U, k2, left, k2, S2, p, to(L, bias, RL, 1.0f, 1), nowhere, n);
        product(X2, in_features, left, k2, S4, p, to(L, NULL, NULL, 1.0f, 0), nowhere, n);
        product(X1, in_features, left, k2, S3, p, to(R, bias_right, RR, 1.0f, 1), nowhere, n);
        product(U, k2, left, k2, S5, p, to(R, NULL, NULL, 1.0f, 0), nowhere, n);
    }
}

#pragma clang attribute pop

#else

void zoo_strassen_linear(const float *input, long rows, long in_features, const float *packed,
                         long out_features, const float *bias, const float *residual, float *output,
                         float *scratch) {
    (void)input, (void)rows, (void)in_features, (void)packed, (void)out_features, (void)bias,
        (void)residual, (void)output, (void)scratch;
}

#endif
