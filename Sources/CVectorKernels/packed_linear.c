// Packing of linear weights into panels, and the AVX-512 packed linear kernel (32-column panels,
// 8 × 32 tiles); the AVX2 and baseline kernels are in packed_narrow.h. See
// include/zoo_vector_kernels.h.
#include "zoo_vector_kernels.h"
#include "kernels_internal.h"

#include <stdint.h>
#include <string.h>

long zoo_packed_weights_count_for(long out_features, long in_features, int panel) {
    return (out_features + panel - 1) / panel * panel * in_features;
}

void zoo_pack_weights_for(const float *weight, long out_features, long in_features, int panel_width, float *packed) {
    long panel_count = (out_features + panel_width - 1) / panel_width;
    for (long p = 0; p < panel_count; p++) {
        float *panel = packed + p * in_features * panel_width;
        for (long k = 0; k < in_features; k++) {
            for (long j = 0; j < panel_width; j++) {
                long row = p * panel_width + j;
                panel[k * panel_width + j] = row < out_features ? weight[row * in_features + k] : 0.0f;
            }
        }
    }
}

void zoo_pack_weights_strided_for(const float *weight, long out_features, long in_features, long row_stride,
                                  long column_stride, int panel_width, float *packed) {
    long panel_count = (out_features + panel_width - 1) / panel_width;
    if (row_stride == 1 && column_stride != 1) {
        // A transposed source (attention's Vₕ): its rows are the input features. Read each row
        // once, contiguously, and write its values across the panels; the rows are far apart,
        // so reading down a column instead costs a cache miss per value.
        for (long k = 0; k < in_features; k++) {
            const float *source = weight + k * column_stride;
            for (long p = 0; p < panel_count; p++) {
                float *step = packed + p * in_features * panel_width + k * panel_width;
                for (long j = 0; j < panel_width; j++) {
                    long row = p * panel_width + j;
                    step[j] = row < out_features ? source[row] : 0.0f;
                }
            }
        }
        return;
    }
    for (long p = 0; p < panel_count; p++) {
        float *panel = packed + p * in_features * panel_width;
        for (long j = 0; j < panel_width; j++) {
            long row = p * panel_width + j;
            if (row < out_features) {
                const float *source = weight + row * row_stride;
                for (long k = 0; k < in_features; k++) panel[k * panel_width + j] = source[k * column_stride];
            } else {
                for (long k = 0; k < in_features; k++) panel[k * panel_width + j] = 0.0f;
            }
        }
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

#pragma clang attribute push(__attribute__((target("avx512f,avx512dq,fma"))), apply_to = function)

#define PANEL 32
#define ZOO_ISA_LANES 16
#define ZOO_FUSED 1
#include "packed_tile.h"
_Static_assert(PANEL == ZOO_PANEL, "the packing and the tile agree on the panel width");
#include "kernels_math.h"

// Rows [0, rows) (rows <= 8) × one 32-column panel (`columns` <= 32 of them kept).
// `next_rows`: the input rows of the tile that comes next, prefetched while this one works;
// `l2_lines`, `l2_count`: lines of the next panel fetched into L2 meanwhile.
static inline __attribute__((always_inline)) void tile(
    const float *input, long in_features, const float *panel, const float *next_rows, const char *l2_lines,
    long l2_count, long rows, long columns, const float *bias, const float *residual, float *output,
    long out_features, int activation) {
    __mmask16 low = columns >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << columns) - 1);
    __mmask16 high = columns > 16 ? (__mmask16)((1u << (columns - 16)) - 1) : 0;
    __m512 b0 = bias ? _mm512_maskz_loadu_ps(low, bias) : _mm512_setzero_ps();
    __m512 b1 = bias ? _mm512_maskz_loadu_ps(high, bias + 16) : _mm512_setzero_ps();
    __m512 lo[8] = {b0, b0, b0, b0, b0, b0, b0, b0};
    __m512 hi[8] = {b1, b1, b1, b1, b1, b1, b1, b1};
    // Rows past `rows` repeat the last one; their results are not stored.
    const float *a[8];
    for (long r = 0; r < 8; r++) a[r] = input + (r < rows ? r : rows - 1) * in_features;
    zoo_tile_8x32(a, in_features, panel, next_rows, l2_lines, l2_count, lo, hi);
    for (long r = 0; r < rows; r++) {
        float *line = output + r * out_features;
        __m512 l = lo[r], h = hi[r];
        if (residual) {
            const float *source = residual + r * out_features;
            l = _mm512_add_ps(l, _mm512_maskz_loadu_ps(low, source));
            h = _mm512_add_ps(h, _mm512_maskz_loadu_ps(high, source + 16));
        }
        // GELU in registers, before the only store (no second pass over the output).
        if (activation) {
            l = __builtin_bit_cast(__m512, geluv(__builtin_bit_cast(vf, l), activation - 1));
            h = __builtin_bit_cast(__m512, geluv(__builtin_bit_cast(vf, h), activation - 1));
        }
        _mm512_mask_storeu_ps(line, low, l);
        _mm512_mask_storeu_ps(line + 16, high, h);
    }
}

KERNEL_EXPORT void zoo_packed_linear_activated_avx512(const float *input, long rows, long in_features,
                                                      const float *packed, long out_features, const float *bias,
                                                      const float *residual, float *output, int activation) {
    if (rows <= 0 || out_features <= 0) return;
    long panels = (out_features + PANEL - 1) / PANEL;
    // Many rows of a short product go in chunks whose input (about 1 MiB) stays in L2 while
    // every panel passes over it; a DINOv2 batch of 8 images (2,056 rows) per thread ran 127
    // GFLOP/s unchunked and 141-143 chunked. Deep products (fc2: 1,536 and up) ran better
    // unchunked at every row count tried, as did MiniLM's ~520 rows per thread.
    long chunk = rows;
    if (in_features <= 1024) {
        long rows_in_l2 = (1L << 20) / (in_features * (long)sizeof(float)) / 8 * 8;
        if (rows_in_l2 >= 8 && rows > rows_in_l2 + rows_in_l2 / 2) chunk = rows_in_l2;
    }
    for (long start = 0; start < rows; start += chunk) {
        long end = rows - start < chunk ? rows : start + chunk;
        long tiles = (end - start + 7) / 8;
        for (long p = 0; p < panels; p++) {
            const float *panel = packed + p * in_features * PANEL;
            long first = p * PANEL;
            long columns = out_features - first < PANEL ? out_features - first : PANEL;
            // The panel that comes next (the first again for the next chunk) is fetched into L2
            // a slice per tile, spread over the tile's steps, so it arrives from L3 or memory
            // before it is needed; the hardware prefetchers stop at each 4 KiB page. Over the
            // six layers' distinct weights (Benchmarks/packed_sgemm.c) this added about 2%.
            const char *next_panel = p + 1 < panels ? (const char *)(panel + in_features * PANEL)
                                     : end < rows   ? (const char *)packed
                                                    : NULL;
            long lines = in_features * PANEL * (long)sizeof(float) / 64;
            for (long row = start, t = 0; row < end; row += 8, t++) {
                long count = end - row < 8 ? end - row : 8;
                const char *l2_lines = next_panel ? next_panel + t * lines / tiles * 64 : NULL;
                long l2_count = next_panel ? (t + 1) * lines / tiles - t * lines / tiles : 0;
                const float *next_rows = input + (row + 8 < end ? row + 8 : start) * in_features;
                // The next tile's output lines into L1 before its stores: a product's output
                // (MiniLM's Q/K/V: 2.4 MB per thread) has left L2 since it was last written, and
                // the stores' misses stalled the tile. In the six-layer C model Q/K/V went from
                // 152-157 to 160-163 GFLOP/s; the GELU layer lost 1-2% with it, so it is left out.
                if (!activation && row + 8 < end) {
                    const char *next_output = (const char *)(output + (row + 8) * out_features + first);
                    for (long r = 0; r < 8; r++) {
                        _mm_prefetch(next_output + r * out_features * (long)sizeof(float), _MM_HINT_T0);
                        _mm_prefetch(next_output + r * out_features * (long)sizeof(float) + 64, _MM_HINT_T0);
                    }
                }
                tile(input + row * in_features, in_features, panel, next_rows, l2_lines, l2_count, count, columns,
                     bias ? bias + first : NULL, residual ? residual + row * out_features + first : NULL,
                     output + row * out_features + first, out_features, activation);
            }
        }
    }
}

#pragma clang attribute pop

#endif
