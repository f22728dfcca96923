// The inner loop of zoo's packed linear kernel, shared by packed_linear.c and the Strassen
// experiment in Benchmarks/: an 8-row × 32-column tile accumulated over `depth` steps, each step
// one 32-float row of a weight panel (two vectors) times one value broadcast from each of the
// eight input rows. Include inside an AVX-512 target region.
#ifndef ZOO_PACKED_TILE_H
#define ZOO_PACKED_TILE_H

#include <immintrin.h>

#define ZOO_PANEL 32

/// How many k steps ahead the tile prefetches its weight panel into L1.
#define ZOO_PANEL_PREFETCH_DISTANCE 16

/// Adds Σ_k a[r][k] · panel[k][0..32) to lo[r] (columns 0-15) and hi[r] (16-31), r < 8.
///
/// While it works the tile prefetches into L1 (prefetches never fault, so any address will do):
/// the panel 16 steps ahead, wrapping to its start for the next tile of rows, which re-reads
/// the same panel from L2; and `next_rows`, the `8 · depth` floats that the next tile's rows
/// occupy when rows are contiguous. In a loop over distinct layers' weights (M = 520,
/// Benchmarks/packed_sgemm.c) this took the kernel from 154-156 to 160-162 GFLOP/s.
///
/// It also fetches `l2_count` 64-byte lines from `l2_lines` into L2, one per two steps (the
/// caller's share of the next weight panel): issued all at once before the tile, they filled
/// the line-fill buffers and stalled its loads, which cost up to 8% with few rows per call.
static inline __attribute__((always_inline)) void zoo_tile_8x32(
    const float *const a[8], long depth, const float *panel, const float *next_rows, const char *l2_lines,
    long l2_count, __m512 lo[8], __m512 hi[8]) {
    const float *a0 = a[0], *a1 = a[1], *a2 = a[2], *a3 = a[3], *a4 = a[4], *a5 = a[5], *a6 = a[6], *a7 = a[7];
    __m512 c00 = lo[0], c10 = lo[1], c20 = lo[2], c30 = lo[3], c40 = lo[4], c50 = lo[5], c60 = lo[6], c70 = lo[7];
    __m512 c01 = hi[0], c11 = hi[1], c21 = hi[2], c31 = hi[3], c41 = hi[4], c51 = hi[5], c61 = hi[6], c71 = hi[7];
    // One k step: panel row `step` of this pair (two vectors) times a broadcast of each row's a[k + step].
#define ZOO_TILE_STEP(step)                                                                               \
    do {                                                                                                  \
        __m512 w0 = _mm512_loadu_ps(panel + (step) * ZOO_PANEL), w1 = _mm512_loadu_ps(panel + (step) * ZOO_PANEL + 16); \
        __m512 x;                                                                                         \
        x = _mm512_set1_ps(a0[k + (step)]); c00 = _mm512_fmadd_ps(x, w0, c00); c01 = _mm512_fmadd_ps(x, w1, c01); \
        x = _mm512_set1_ps(a1[k + (step)]); c10 = _mm512_fmadd_ps(x, w0, c10); c11 = _mm512_fmadd_ps(x, w1, c11); \
        x = _mm512_set1_ps(a2[k + (step)]); c20 = _mm512_fmadd_ps(x, w0, c20); c21 = _mm512_fmadd_ps(x, w1, c21); \
        x = _mm512_set1_ps(a3[k + (step)]); c30 = _mm512_fmadd_ps(x, w0, c30); c31 = _mm512_fmadd_ps(x, w1, c31); \
        x = _mm512_set1_ps(a4[k + (step)]); c40 = _mm512_fmadd_ps(x, w0, c40); c41 = _mm512_fmadd_ps(x, w1, c41); \
        x = _mm512_set1_ps(a5[k + (step)]); c50 = _mm512_fmadd_ps(x, w0, c50); c51 = _mm512_fmadd_ps(x, w1, c51); \
        x = _mm512_set1_ps(a6[k + (step)]); c60 = _mm512_fmadd_ps(x, w0, c60); c61 = _mm512_fmadd_ps(x, w1, c61); \
        x = _mm512_set1_ps(a7[k + (step)]); c70 = _mm512_fmadd_ps(x, w0, c70); c71 = _mm512_fmadd_ps(x, w1, c71); \
    } while (0)
    // The loop runs two steps a turn with no test inside but its own, in two parts whose panel
    // prefetch is a fixed offset from the current row: while the row 16 steps ahead is still in
    // this panel, then (the last 16 steps) wrapped back to the panel's start. The wrap was a
    // compare and a conditional move per step; with it, the row prefetch's odd/even test and a
    // spilled bound, each step issued about 44 instructions for 16 FMAs (5.5 per cycle at the FMA
    // rate, near the core's 6-wide rename limit); now about 30 (the in-model GEMM went from
    // 148-149 to 154-155 GFLOP/s per thread).
    long k = 0;
    const char *rows_ahead = (const char *)next_rows;
    // Part 1 prefetches `back` floats behind the row 16 steps ahead: at the panel's start.
    const long parts_end[2] = {depth - ZOO_PANEL_PREFETCH_DISTANCE, depth};
    const long parts_back[2] = {0, (ZOO_PANEL_PREFETCH_DISTANCE - depth) * ZOO_PANEL};
    for (int part = 0; part < 2; part++) {
        const long end = parts_end[part], back = parts_back[part];
        for (; k + 2 <= end; k += 2) {
            const char *line = (const char *)(panel + ZOO_PANEL_PREFETCH_DISTANCE * ZOO_PANEL + back);
            _mm_prefetch(line, _MM_HINT_T0);
            _mm_prefetch(line + 64, _MM_HINT_T0);
            _mm_prefetch(line + 128, _MM_HINT_T0);
            _mm_prefetch(line + 192, _MM_HINT_T0);
            // One 64-byte line of the next rows per two steps covers all 8 · depth floats.
            _mm_prefetch(rows_ahead, _MM_HINT_T0);
            rows_ahead += 64;
            if (l2_count > 0) {
                _mm_prefetch(l2_lines, _MM_HINT_T1);
                l2_lines += 64;
                l2_count--;
            }
            ZOO_TILE_STEP(0);
            ZOO_TILE_STEP(1);
            panel += 2 * ZOO_PANEL;
        }
    }
    if (k < depth) ZOO_TILE_STEP(0);
#undef ZOO_TILE_STEP
    lo[0] = c00, lo[1] = c10, lo[2] = c20, lo[3] = c30, lo[4] = c40, lo[5] = c50, lo[6] = c60, lo[7] = c70;
    hi[0] = c01, hi[1] = c11, hi[2] = c21, hi[3] = c31, hi[4] = c41, hi[5] = c51, hi[6] = c61, hi[7] = c71;
}

#endif
