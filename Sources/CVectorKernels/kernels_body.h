// The kernels' bodies, included once per instruction set by kernels_*.c with ZOO_ISA_LANES,
// ZOO_FUSED and KERNEL(name) (the suffixed name) defined. Vectors have VL = 16 lanes on every
// instruction set and each multiply-add is written out (kernels_math.h), so the copies give the
// same bits. See include/zoo_vector_kernels.h.
#include "kernels_math.h"

KERNEL_EXPORT void KERNEL(zoo_bias_gelu_rows)(float *values, long rows, long width, const float *bias, int form) {
    for (long row = 0; row < rows; row++) {
        float *line = values + row * width;
        long column = 0;
        for (; column + VL <= width; column += VL) {
            vf x = loadv(line + column);
            if (bias) x += loadv(bias + column);
            storev(line + column, geluv(x, form));
        }
        long left = width - column;
        if (left > 0) {
            vf x = load_partial(line + column, left, 0.0f);
            if (bias) x += load_partial(bias + column, left, 0.0f);
            store_partial(line + column, left, geluv(x, form));
        }
    }
}

INLINE float row_maximum(const float *line, long count) {
    vf m = splat(-INFINITY);
    long i = 0;
    for (; i + VL <= count; i += VL) m = vmax(m, loadv(line + i));
    if (i < count) m = vmax(m, load_partial(line + i, count - i, -INFINITY));
    return hmax(m);
}

// Replaces the whole vectors of `line`'s first `count` floats by e^(x - shift) (2^(x - shift)
// when `base2`) and returns their lane sums; *done is set to the number of floats replaced.
INLINE vf exponentiate_vectors(float *line, long count, float shift, int base2, long *done) {
    vf sums = splat(0.0f);
    long i = 0;
    for (; i + VL <= count; i += VL) {
        vf shifted = loadv(line + i) - shift;
        vf e = base2 ? exp2v(shifted) : expv(shifted);
        storev(line + i, e);
        sums += e;
    }
    *done = i;
    return sums;
}

KERNEL_EXPORT void KERNEL(zoo_softmax_rows)(float *values, long rows, long columns, long stride) {
    if (columns <= 0) return;
    for (long row = 0; row < rows; row++) {
        float *line = values + row * stride;
        float maximum = row_maximum(line, columns);
        if (maximum == -INFINITY) {
            // Every entry is masked out: equal scores, so equal weights.
            for (long i = 0; i < columns; i++) line[i] = 1.0f / (float)columns;
            continue;
        }
        long i;
        vf sums = exponentiate_vectors(line, columns, maximum, 0, &i);
        if (i < columns) {
            // -inf pads give e^-inf = 0, adding nothing to the sum.
            vf e = expv(load_partial(line + i, columns - i, -INFINITY) - maximum);
            store_partial(line + i, columns - i, e);
            sums += e;
        }
        vf scale = splat(1.0f / hsum(sums));
        for (i = 0; i + VL <= columns; i += VL) storev(line + i, loadv(line + i) * scale);
        for (; i < columns; i++) line[i] *= scale[0];
    }
}

KERNEL_EXPORT float KERNEL(zoo_exp2_row)(float *line, long count) {
    if (count <= 0) return 0.0f;
    float maximum = row_maximum(line, count);
    long i;
    float sum = hsum(exponentiate_vectors(line, count, maximum, 1, &i));
    long left = count - i;
    if (left > 0) {
        float lanes[VL];
        storev(lanes, exp2v(load_partial(line + i, left, 0.0f) - maximum));
        for (long j = 0; j < left; j++) {
            line[i + j] = lanes[j];
            sum += lanes[j];
        }
    }
    return sum;
}

// A row's mean and 1 / sqrt(biased variance + epsilon), two passes, as LayerNorm needs them.
INLINE void row_statistics(const float *line, long width, float epsilon, float *mean_out, float *inverse_out) {
    // Four partial sums per pass: one chain of dependent adds left each pass latency-bound
    // (24 vectors × 4 cycles for MiniLM's 384 features).
    vf s0 = splat(0.0f), s1 = s0, s2 = s0, s3 = s0;
    long i = 0;
    for (; i + 4 * VL <= width; i += 4 * VL) {
        s0 += loadv(line + i), s1 += loadv(line + i + VL), s2 += loadv(line + i + 2 * VL), s3 += loadv(line + i + 3 * VL);
    }
    for (; i + VL <= width; i += VL) s0 += loadv(line + i);
    if (i < width) s0 += load_partial(line + i, width - i, 0.0f);
    float mean = hsum((s0 + s1) + (s2 + s3)) / (float)width;
    vf q0 = splat(0.0f), q1 = q0, q2 = q0, q3 = q0;
    for (i = 0; i + 4 * VL <= width; i += 4 * VL) {
        vf d0 = loadv(line + i) - mean, d1 = loadv(line + i + VL) - mean;
        vf d2 = loadv(line + i + 2 * VL) - mean, d3 = loadv(line + i + 3 * VL) - mean;
        q0 = fmav(d0, d0, q0), q1 = fmav(d1, d1, q1), q2 = fmav(d2, d2, q2), q3 = fmav(d3, d3, q3);
    }
    for (; i + VL <= width; i += VL) {
        vf d = loadv(line + i) - mean;
        q0 = fmav(d, d, q0);
    }
    if (i < width) {
        vf d = load_partial(line + i, width - i, mean) - mean;
        q0 = fmav(d, d, q0);
    }
    *mean_out = mean;
    *inverse_out = 1.0f / sqrtf(hsum((q0 + q1) + (q2 + q3)) / (float)width + epsilon);
}

KERNEL_EXPORT void KERNEL(zoo_normalized_projection_rows)(
    const float *input, long rows, long width, float epsilon, const float *first_table, const int *first_index,
    const float *second_table, const int *second_index, const float *sums, const float *constant, long out_width,
    float *output) {
    if (width <= 0) return;
    for (long row = 0; row < rows; row++) {
        float mean, inverse;
        row_statistics(input + row * width, width, epsilon, &mean, &inverse);
        const float *first = first_table + (long)first_index[row] * out_width;
        const float *second = second_table + (long)second_index[row] * out_width;
        float *target = output + row * out_width;
        long i = 0;
        for (; i + VL <= out_width; i += VL) {
            vf centred = fmav(splat(-mean), loadv(sums + i), loadv(first + i) + loadv(second + i));
            storev(target + i, fmav(centred, splat(inverse), loadv(constant + i)));
        }
        for (; i < out_width; i++) {
            float centred = fmas(-mean, sums[i], first[i] + second[i]);
            target[i] = fmas(centred, inverse, constant[i]);
        }
    }
}

KERNEL_EXPORT void KERNEL(zoo_layer_norm_rows)(float *hidden, long rows, long width, const float *weight,
                         const float *bias, float epsilon, float *output, const float *addend) {
    if (width <= 0) return;
    for (long row = 0; row < rows; row++) {
        float *line = hidden + row * width;
        float *target = output + row * width;
        float mean, inverse;
        row_statistics(line, width, epsilon, &mean, &inverse);
        long i;
        for (i = 0; i + VL <= width; i += VL) {
            vf x = loadv(line + i);
            storev(target + i, fmav((x - mean) * inverse, loadv(weight + i), loadv(bias + i)));
            if (addend) storev(line + i, x + loadv(addend + i));
        }
        for (; i < width; i++) {
            float x = line[i];
            target[i] = fmas((x - mean) * inverse, weight[i], bias[i]);
            if (addend) line[i] = x + addend[i];
        }
    }
}

// Attention of one short sequence and head runs on transposed scores: St[j][i] (key j, query
// i), so that for VL queries at once the softmax over keys is element-wise across L vectors (no
// horizontal maxima or sums), no key padding or -inf masking is needed, and both products keep
// independent accumulators. Rows past the last are clamped to it (computed, never stored). Each
// score and output value is one sequential sum (over the head's columns, then over the keys),
// so how many rows and columns a step covers does not change its bits: AVX-512 takes 8 rows and
// two vectors of columns a step (32 zmm accumulators' worth), the narrower copies 4 rows and one
// vector, which fit their 16 registers.
#if ZOO_ISA_LANES == 16
#define ATTENTION_ROWS 8
#define VALUE_VECTORS 2
#else
#define ATTENTION_ROWS 4
#define VALUE_VECTORS 1
#endif

INLINE void clamped_rows(const float *base, long stride, long first, long rows, const float *out[ATTENTION_ROWS]) {
    for (long r = 0; r < ATTENTION_ROWS; r++) out[r] = base + (first + r < rows ? first + r : rows - 1) * stride;
}

// St[j][block..block+VL) for keys j..j+7: the dot products of key rows with VL transposed
// queries (qt: head_width rows of `padded` floats).
INLINE void transposed_scores(const float *const k[ATTENTION_ROWS], const float *qt, long padded, long head_width,
                              vf s[ATTENTION_ROWS]) {
#if ATTENTION_ROWS == 8
    vf s0 = splat(0.0f), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
    for (long d = 0; d < head_width; d++) {
        vf q = loadv(qt + d * padded);
        s0 = fmav(splat(k[0][d]), q, s0), s1 = fmav(splat(k[1][d]), q, s1);
        s2 = fmav(splat(k[2][d]), q, s2), s3 = fmav(splat(k[3][d]), q, s3);
        s4 = fmav(splat(k[4][d]), q, s4), s5 = fmav(splat(k[5][d]), q, s5);
        s6 = fmav(splat(k[6][d]), q, s6), s7 = fmav(splat(k[7][d]), q, s7);
    }
    s[0] = s0, s[1] = s1, s[2] = s2, s[3] = s3, s[4] = s4, s[5] = s5, s[6] = s6, s[7] = s7;
#else
    vf s0 = splat(0.0f), s1 = s0, s2 = s0, s3 = s0;
    for (long d = 0; d < head_width; d++) {
        vf q = loadv(qt + d * padded);
        s0 = fmav(splat(k[0][d]), q, s0), s1 = fmav(splat(k[1][d]), q, s1);
        s2 = fmav(splat(k[2][d]), q, s2), s3 = fmav(splat(k[3][d]), q, s3);
    }
    s[0] = s0, s[1] = s1, s[2] = s2, s[3] = s3;
#endif
}

// Output rows i..i+7 (`rows` of them stored), `vectors` (1 or 2) vectors of columns from
// `column`: Σ_j E[j][i + r] · V[j][column ...] · inverses[i + r], E the unnormalised softmax.
INLINE void weighted_values(const float *scores, long padded, long length, long i, const float *value, long stride,
                            long column, int vectors, const float *inverses, float *output, long output_stride) {
    long rows = length - i < ATTENTION_ROWS ? length - i : ATTENTION_ROWS;
    long lane[ATTENTION_ROWS];
    for (long r = 0; r < ATTENTION_ROWS; r++) lane[r] = i + (r < rows ? r : rows - 1);
    vf a[ATTENTION_ROWS], b[ATTENTION_ROWS];
    for (long r = 0; r < ATTENTION_ROWS; r++) a[r] = b[r] = splat(0.0f);
    for (long j = 0; j < length; j++) {
        const float *p = scores + j * padded;
        const float *v = value + j * stride + column;
        vf v0 = loadv(v);
        vf v1 = vectors == 2 ? loadv(v + VL) : v0;
        for (long r = 0; r < ATTENTION_ROWS; r++) {
            float w = p[lane[r]];
            a[r] = fmav(splat(w), v0, a[r]);
            if (vectors == 2) b[r] = fmav(splat(w), v1, b[r]);
        }
    }
    for (long r = 0; r < rows; r++) {
        float *line = output + (i + r) * output_stride + column;
        float inverse = inverses[i + r];
        storev(line, a[r] * inverse);
        if (vectors == 2) storev(line + VL, b[r] * inverse);
    }
}

#if ZOO_ISA_LANES == 16
// Transposes 16 vectors in place (block[a][b] becomes block[b][a]): 32-bit, then 64-bit
// interleaves, then two rounds of 128-bit lane shuffles.
INLINE void transpose_16x16(__m512 block[16]) {
    __m512 t[16];
    for (int k = 0; k < 8; k++) {
        t[2 * k] = _mm512_unpacklo_ps(block[2 * k], block[2 * k + 1]);
        t[2 * k + 1] = _mm512_unpackhi_ps(block[2 * k], block[2 * k + 1]);
    }
    for (int k = 0; k < 4; k++) {
        __m512d a = _mm512_castps_pd(t[4 * k]), b = _mm512_castps_pd(t[4 * k + 1]);
        __m512d c = _mm512_castps_pd(t[4 * k + 2]), d = _mm512_castps_pd(t[4 * k + 3]);
        block[4 * k] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
        block[4 * k + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
        block[4 * k + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
        block[4 * k + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
    }
    for (int k = 0; k < 2; k++) {
        for (int j = 0; j < 4; j++) {
            t[8 * k + j] = _mm512_shuffle_f32x4(block[8 * k + j], block[8 * k + j + 4], 0x88);
            t[8 * k + j + 4] = _mm512_shuffle_f32x4(block[8 * k + j], block[8 * k + j + 4], 0xdd);
        }
    }
    for (int j = 0; j < 8; j++) {
        block[j] = _mm512_shuffle_f32x4(t[j], t[j + 8], 0x88);
        block[j + 8] = _mm512_shuffle_f32x4(t[j], t[j + 8], 0xdd);
    }
}
#endif

KERNEL_EXPORT void KERNEL(zoo_attend_short_biased)(const float *query, const float *key, const float *value, long stride,
                      long length, long head_width, float scale, float *scores, float *keys,
                      float *output, long output_stride, const float *bias, long bias_stride) {
    if (length <= 0) return;
    long padded = (length + VL - 1) / VL * VL;
    // The queries, scaled and transposed into `keys`: qt[d * padded + i] = Q[i, d] · scale,
    // zero past the last query.
    float *qt = keys;
    long transposed = 0;
#if ZOO_ISA_LANES == 16
    // 16 × 16 blocks through registers: a tenth of the time of the scalar loop's 4-byte stores.
    for (; transposed + 16 <= head_width; transposed += 16) {
        for (long i = 0; i < padded; i += 16) {
            __m512 block[16];
            for (long r = 0; r < 16; r++) {
                block[r] = i + r < length ? _mm512_mul_ps(_mm512_loadu_ps(query + (i + r) * stride + transposed),
                                                          _mm512_set1_ps(scale))
                                          : _mm512_setzero_ps();
            }
            transpose_16x16(block);
            for (long d = 0; d < 16; d++) _mm512_storeu_ps(qt + (transposed + d) * padded + i, block[d]);
        }
    }
#endif
    for (long i = 0; i < length; i++) {
        const float *row = query + i * stride;
        // Scalar: vectorised, this loop becomes scatters, several times slower.
#pragma clang loop vectorize(disable)
        for (long d = transposed; d < head_width; d++) qt[d * padded + i] = row[d] * scale;
    }
    for (long d = transposed; d < head_width; d++) {
        for (long i = length; i < padded; i++) qt[d * padded + i] = 0.0f;
    }
    // 1 / Σ_j e^(s_ij - max_i) per query, applied to the output rows (not to the L score rows).
    float *inverses = qt + head_width * padded;
    for (long block = 0; block < padded; block += VL) {
        // Scores of VL queries against every key, eight keys at a time, and their running
        // maximum per query.
        vf maximum = splat(-INFINITY);
        for (long j = 0; j < length; j += ATTENTION_ROWS) {
            const float *k[ATTENTION_ROWS];
            clamped_rows(key, stride, j, length, k);
            vf s[ATTENTION_ROWS];
            transposed_scores(k, qt + block, padded, head_width, s);
            // An additive bias per (query, key), as MPNet's relative positions: key j's line
            // holds the VL queries of this block side by side. Clamped rows take the last key's.
            if (bias) {
                for (long r = 0; r < ATTENTION_ROWS; r++) {
                    long row = j + r < length ? j + r : length - 1;
                    s[r] = s[r] + loadv(bias + row * bias_stride + block);
                }
            }
            // Clamped rows repeat the last key, so they leave the maximum as it is.
            for (long r = 0; r < ATTENTION_ROWS; r++) maximum = vmax_numbers(maximum, s[r]);
            for (long r = 0; r < ATTENTION_ROWS && j + r < length; r++) storev(scores + (j + r) * padded + block, s[r]);
        }
        // Softmax over the keys, lane by lane: e^(s - max) and its sum; the division waits for
        // the output.
        vf sums = splat(0.0f);
        for (long j = 0; j < length; j++) {
            float *line = scores + j * padded + block;
            vf e = expv(loadv(line) - maximum);
            storev(line, e);
            sums += e;
        }
        storev(inverses + block, splat(1.0f) / sums);
    }
    for (long i = 0; i < length; i += ATTENTION_ROWS) {
        long column = 0;
        for (; VALUE_VECTORS == 2 && column + 2 * VL <= head_width; column += 2 * VL)
            weighted_values(scores, padded, length, i, value, stride, column, 2, inverses, output, output_stride);
        for (; column + VL <= head_width; column += VL)
            weighted_values(scores, padded, length, i, value, stride, column, 1, inverses, output, output_stride);
        // Columns left over when the head width is not a multiple of VL.
        for (; column < head_width; column++) {
            long last = i + ATTENTION_ROWS < length ? i + ATTENTION_ROWS : length;
            for (long r = i; r < last; r++) {
                float sum = 0.0f;
                for (long j = 0; j < length; j++) sum = fmas(scores[j * padded + r], value[j * stride + column], sum);
                output[r * output_stride + column] = sum * inverses[r];
            }
        }
    }
}

KERNEL_EXPORT void KERNEL(zoo_attend_short)(const float *query, const float *key, const float *value, long stride,
                      long length, long head_width, float scale, float *scores, float *keys,
                      float *output, long output_stride) {
    KERNEL(zoo_attend_short_biased)(query, key, value, stride, length, head_width, scale, scores, keys, output,
                                   output_stride, NULL, 0);
}

#if ZOO_ISA_LANES != 16
#include "packed_narrow.h"
#endif
