// The kernels' bodies, included once per instruction set by kernels_*.c with VL (lanes per
// vector) and KERNEL(name) (the suffixed name) defined. See include/zoo_vector_kernels.h.
#include "kernels_math.h"

KERNEL_EXPORT void KERNEL(zoo_bias_gelu_rows)(float *values, long rows, long width, const float *bias, int tanh_form) {
    for (long row = 0; row < rows; row++) {
        float *line = values + row * width;
        long column = 0;
        for (; column + VL <= width; column += VL) {
            vf x = loadv(line + column);
            if (bias) x += loadv(bias + column);
            storev(line + column, geluv(x, tanh_form));
        }
        long left = width - column;
        if (left > 0) {
            vf x = load_partial(line + column, left, 0.0f);
            if (bias) x += load_partial(bias + column, left, 0.0f);
            store_partial(line + column, left, geluv(x, tanh_form));
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

KERNEL_EXPORT void KERNEL(zoo_layer_norm_rows)(float *hidden, long rows, long width, const float *weight,
                         const float *bias, float epsilon, float *output, const float *addend) {
    if (width <= 0) return;
    for (long row = 0; row < rows; row++) {
        float *line = hidden + row * width;
        float *target = output + row * width;
        vf sums = splat(0.0f);
        long i = 0;
        for (; i + VL <= width; i += VL) sums += loadv(line + i);
        if (i < width) sums += load_partial(line + i, width - i, 0.0f);
        float mean = hsum(sums) / (float)width;
        vf squares = splat(0.0f);
        for (i = 0; i + VL <= width; i += VL) {
            vf d = loadv(line + i) - mean;
            squares += d * d;
        }
        if (i < width) {
            vf d = load_partial(line + i, width - i, mean) - mean;
            squares += d * d;
        }
        float inverse = 1.0f / sqrtf(hsum(squares) / (float)width + epsilon);
        for (i = 0; i + VL <= width; i += VL) {
            vf x = loadv(line + i);
            storev(target + i, (x - mean) * inverse * loadv(weight + i) + loadv(bias + i));
            if (addend) storev(line + i, x + loadv(addend + i));
        }
        for (; i < width; i++) {
            float x = line[i];
            target[i] = (x - mean) * inverse * weight[i] + bias[i];
            if (addend) line[i] = x + addend[i];
        }
    }
}

// Rows first .. first+3 of a matrix with rows `stride` apart; rows past the last repeat it
// (their results are computed but not stored).
INLINE void four_rows(const float *base, long stride, long first, long rows, const float *out[4]) {
    for (long r = 0; r < 4; r++) out[r] = base + (first + r < rows ? first + r : rows - 1) * stride;
}

// out[r] = sum over t < steps of a[r][t] * (the VL floats at b + t * b_stride), for four rows
// sharing each vector load.
INLINE void broadcast_products(const float *a[4], const float *b, long b_stride, long steps, vf out[4]) {
    vf o0 = splat(0.0f), o1 = splat(0.0f), o2 = splat(0.0f), o3 = splat(0.0f);
    for (long t = 0; t < steps; t++) {
        vf v = loadv(b);
        o0 += a[0][t] * v;
        o1 += a[1][t] * v;
        o2 += a[2][t] * v;
        o3 += a[3][t] * v;
        b += b_stride;
    }
    out[0] = o0, out[1] = o1, out[2] = o2, out[3] = o3;
}

// Stores the first `valid` (at most four) of `rows`, times `scale`, `line_stride` floats apart.
INLINE void store_rows(float *line, long line_stride, long valid, const vf rows[4], float scale) {
    for (long r = 0; r < 4 && r < valid; r++) storev(line + r * line_stride, rows[r] * scale);
}

KERNEL_EXPORT void KERNEL(zoo_attend_short)(const float *query, const float *key, const float *value, long stride,
                      long length, long head_width, float scale, float *scores, float *keys,
                      float *output, long output_stride) {
    if (length <= 0) return;
    long padded = (length + 15) & ~15L;
    // keys[d * padded + j] = K[j, d], zero past the last key.
    for (long d = 0; d < head_width; d++) {
        float *line = keys + d * padded;
        for (long j = 0; j < length; j++) line[j] = key[j * stride + d];
        for (long j = length; j < padded; j++) line[j] = 0.0f;
    }
    // Scores, four query rows at a time sharing each load of VL keys.
    for (long i = 0; i < length; i += 4) {
        const float *q[4];
        four_rows(query, stride, i, length, q);
        for (long block = 0; block < padded; block += VL) {
            vf s[4];
            broadcast_products(q, keys + block, padded, head_width, s);
            store_rows(scores + i * padded + block, padded, length - i, s, scale);
        }
    }
    // The padding columns (zero keys) get -inf, so the softmax runs on whole vectors and gives
    // them no weight.
    for (long i = 0; i < length; i++) {
        for (long j = length; j < padded; j++) scores[i * padded + j] = -INFINITY;
    }
    KERNEL(zoo_softmax_rows)(scores, length, padded, padded);
    // Output rows: four at a time, VL columns of V per load.
    for (long i = 0; i < length; i += 4) {
        const float *w[4];
        four_rows(scores, padded, i, length, w);
        long block = 0;
        for (; block + VL <= head_width; block += VL) {
            vf o[4];
            broadcast_products(w, value + block, stride, length, o);
            store_rows(output + i * output_stride + block, output_stride, length - i, o, 1.0f);
        }
        // Columns left over when the head width is not a multiple of VL.
        for (; block < head_width; block++) {
            long last = i + 4 < length ? i + 4 : length;
            for (long r = i; r < last; r++) {
                const float *weights = scores + r * padded;
                float sum = 0.0f;
                for (long j = 0; j < length; j++) sum += weights[j] * value[j * stride + block];
                output[r * output_stride + block] = sum;
            }
        }
    }
}
