// The packed linear kernel of the AVX2 and baseline copies, included by kernels_body.h: weights
// in 16-column panels (zoo_pack_weights with panel width 16), a tile of TILE_ROWS rows × 16
// columns. Each output value is bias (or 0), then one fused multiply-add per input feature in
// order, then the residual, then GELU: the order of the AVX-512 kernel (packed_linear.c), so
// the copies give the same bits, and no value depends on how many rows a call has.
#define NARROW_PANEL 16

#if ZOO_ISA_LANES == 8 && defined(__x86_64__)
// 6 rows × 16 columns: 12 ymm accumulators, two for the panel row, one broadcast.
#define TILE_ROWS 6
INLINE void narrow_tile(const float *const a[TILE_ROWS], long depth, const float *panel, vf acc[TILE_ROWS]) {
    const float *a0 = a[0], *a1 = a[1], *a2 = a[2], *a3 = a[3], *a4 = a[4], *a5 = a[5];
#define LOW(v) __builtin_bit_cast(__m256, __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7))
#define HIGH(v) __builtin_bit_cast(__m256, __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15))
    __m256 c00 = LOW(acc[0]), c01 = HIGH(acc[0]), c10 = LOW(acc[1]), c11 = HIGH(acc[1]);
    __m256 c20 = LOW(acc[2]), c21 = HIGH(acc[2]), c30 = LOW(acc[3]), c31 = HIGH(acc[3]);
    __m256 c40 = LOW(acc[4]), c41 = HIGH(acc[4]), c50 = LOW(acc[5]), c51 = HIGH(acc[5]);
#undef LOW
#undef HIGH
    // Four steps a turn: 24 broadcasts, 48 FMAs and 8 panel loads against 3 uops of loop control,
    // so the 4-wide front end of Intel cores keeps both FMA ports busy (one step a turn, with a
    // prefetch each step, issued 24 uops per 12 FMAs: 4 per cycle, the rename limit). The panel
    // (16 floats a step, in L1 after the first tile) needs no software prefetch.
#define STEP(s)                                                                                      \
    do {                                                                                             \
        __m256 w0 = _mm256_loadu_ps(panel + (s) * NARROW_PANEL), w1 = _mm256_loadu_ps(panel + (s) * NARROW_PANEL + 8); \
        __m256 x;                                                                                    \
        x = _mm256_broadcast_ss(a0 + k + (s)); c00 = _mm256_fmadd_ps(x, w0, c00); c01 = _mm256_fmadd_ps(x, w1, c01); \
        x = _mm256_broadcast_ss(a1 + k + (s)); c10 = _mm256_fmadd_ps(x, w0, c10); c11 = _mm256_fmadd_ps(x, w1, c11); \
        x = _mm256_broadcast_ss(a2 + k + (s)); c20 = _mm256_fmadd_ps(x, w0, c20); c21 = _mm256_fmadd_ps(x, w1, c21); \
        x = _mm256_broadcast_ss(a3 + k + (s)); c30 = _mm256_fmadd_ps(x, w0, c30); c31 = _mm256_fmadd_ps(x, w1, c31); \
        x = _mm256_broadcast_ss(a4 + k + (s)); c40 = _mm256_fmadd_ps(x, w0, c40); c41 = _mm256_fmadd_ps(x, w1, c41); \
        x = _mm256_broadcast_ss(a5 + k + (s)); c50 = _mm256_fmadd_ps(x, w0, c50); c51 = _mm256_fmadd_ps(x, w1, c51); \
    } while (0)
    long k = 0;
    for (; k + 4 <= depth; k += 4) {
        STEP(0);
        STEP(1);
        STEP(2);
        STEP(3);
        panel += 4 * NARROW_PANEL;
    }
    for (; k < depth; k++) {
        STEP(0);
        panel += NARROW_PANEL;
    }
#undef STEP
#define JOIN(l, h) __builtin_shufflevector(__builtin_bit_cast(vf8, l), __builtin_bit_cast(vf8, h), 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
    acc[0] = JOIN(c00, c01), acc[1] = JOIN(c10, c11), acc[2] = JOIN(c20, c21);
    acc[3] = JOIN(c30, c31), acc[4] = JOIN(c40, c41), acc[5] = JOIN(c50, c51);
#undef JOIN
}
#else
// 4 rows × 16 columns in plain vector code: the portable copy (NEON on aarch64).
#define TILE_ROWS 4
INLINE void narrow_tile(const float *const a[TILE_ROWS], long depth, const float *panel, vf acc[TILE_ROWS]) {
    vf c0 = acc[0], c1 = acc[1], c2 = acc[2], c3 = acc[3];
    for (long k = 0; k < depth; k++) {
        vf w = loadv(panel);
        c0 = fmav(splat(a[0][k]), w, c0), c1 = fmav(splat(a[1][k]), w, c1);
        c2 = fmav(splat(a[2][k]), w, c2), c3 = fmav(splat(a[3][k]), w, c3);
        panel += NARROW_PANEL;
    }
    acc[0] = c0, acc[1] = c1, acc[2] = c2, acc[3] = c3;
}
#endif

KERNEL_EXPORT void KERNEL(zoo_packed_linear_activated)(const float *input, long rows, long in_features,
                                                     const float *packed, long out_features, const float *bias,
                                                     const float *residual, float *output, int activation) {
    if (rows <= 0 || out_features <= 0) return;
    long panels = (out_features + NARROW_PANEL - 1) / NARROW_PANEL;
    // Rows in chunks of about 1 MiB of input, so every panel passes over rows still in L2 (the
    // AVX-512 kernel's rule; the chunking changes no value).
    long chunk = rows;
    if (in_features > 0 && in_features <= 1024) {
        long rows_in_l2 = (1L << 20) / (in_features * (long)sizeof(float)) / TILE_ROWS * TILE_ROWS;
        if (rows_in_l2 >= TILE_ROWS && rows > rows_in_l2 + rows_in_l2 / 2) chunk = rows_in_l2;
    }
    for (long start = 0; start < rows; start += chunk) {
        long end = rows - start < chunk ? rows : start + chunk;
        for (long p = 0; p < panels; p++) {
            const float *panel = packed + p * in_features * NARROW_PANEL;
            long first = p * NARROW_PANEL;
            long columns = out_features - first < NARROW_PANEL ? out_features - first : NARROW_PANEL;
            vf start_value = bias ? (columns == NARROW_PANEL ? loadv(bias + first) : load_partial(bias + first, columns, 0.0f))
                                  : splat(0.0f);
            // The next panel (the first again for the next chunk) is fetched into L2 a slice per
            // tile, and each tile's output lines into L1 before its stores, as the AVX-512 kernel
            // does: the panels and the output rows have left the caches since they were last used.
            const char *next_panel = p + 1 < panels ? (const char *)(panel + in_features * NARROW_PANEL)
                                     : end < rows   ? (const char *)packed
                                                    : NULL;
            long lines = in_features * NARROW_PANEL * (long)sizeof(float) / 64;
            long tiles = (end - start + TILE_ROWS - 1) / TILE_ROWS;
            for (long row = start, t = 0; row < end; row += TILE_ROWS, t++) {
                long count = end - row < TILE_ROWS ? end - row : TILE_ROWS;
                if (next_panel) {
                    for (long line = t * lines / tiles; line < (t + 1) * lines / tiles; line++)
                        __builtin_prefetch(next_panel + line * 64, 0, 2);
                }
                if (!activation) {
                    for (long r = 0; r < count; r++) __builtin_prefetch(output + (row + r) * out_features + first, 1, 3);
                }
                // Rows past `count` repeat the last one; their results are not stored.
                const float *a[TILE_ROWS];
                vf acc[TILE_ROWS];
                for (long r = 0; r < TILE_ROWS; r++) {
                    a[r] = input + (row + (r < count ? r : count - 1)) * in_features;
                    acc[r] = start_value;
                }
                narrow_tile(a, in_features, panel, acc);
                for (long r = 0; r < count; r++) {
                    float *line = output + (row + r) * out_features + first;
                    vf v = acc[r];
                    if (residual) {
                        const float *source = residual + (row + r) * out_features + first;
                        v += columns == NARROW_PANEL ? loadv(source) : load_partial(source, columns, 0.0f);
                    }
                    if (activation) v = geluv(v, activation - 1);
                    if (columns == NARROW_PANEL) storev(line, v);
                    else store_partial(line, columns, v);
                }
            }
        }
    }
}

#undef TILE_ROWS
