// The kernels' bodies, included once per instruction set by kernels_*.c with VL (lanes per
// vector) and KERNEL(name) (the suffixed name) defined. See include/zoo_vector_kernels.h.
#include <math.h>

#define INLINE static inline __attribute__((always_inline))

typedef float vf __attribute__((ext_vector_type(VL)));
typedef int vi __attribute__((ext_vector_type(VL)));

INLINE vf loadv(const float *p) { vf v; __builtin_memcpy(&v, p, sizeof v); return v; }
INLINE void storev(float *p, vf v) { __builtin_memcpy(p, &v, sizeof v); }
INLINE vf splat(float x) { return (vf)x; }
INLINE vf vmax(vf a, vf b) { return __builtin_elementwise_max(a, b); }
INLINE vf vmin(vf a, vf b) { return __builtin_elementwise_min(a, b); }
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

// erf: FastMath.erf, a rational fit on [-3.925, 3.925] with absolute error below 4e-7.
INLINE vf erfv(vf input) {
    static const float numerator[6] = {2.0307645e-6f, 2.8749461e-4f, 3.8766098e-3f, 5.308522e-2f, 0.19297967f, 1.12837902f};
    static const float denominator[6] = {3.8030487e-5f, 1.1898111e-3f, 1.5188928e-2f, 0.11517033f, 0.50435541f, 1.0f};
    vf x = vmin(vmax(input, splat(-3.925f)), splat(3.925f));
    vf t = x * x;
    return x * horner(t, numerator, 6) / horner(t, denominator, 6);
}

INLINE vf geluv(vf x, int tanh_form) {
    if (!tanh_form) return 0.5f * x * (1.0f + erfv(x * 0.70710678f));
    // x/2 (1 + tanh u) = x / (1 + e^(-2u)).
    vf u = 0.7978845608f * (x + 0.044715f * x * x * x);
    return x / (1.0f + expv(-2.0f * u));
}

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
        vf sums = splat(0.0f);
        long i = 0;
        for (; i + VL <= columns; i += VL) {
            vf e = expv(loadv(line + i) - maximum);
            storev(line + i, e);
            sums += e;
        }
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
    vf shift = splat(row_maximum(line, count));
    vf sums = splat(0.0f);
    long i = 0;
    for (; i + VL <= count; i += VL) {
        vf e = exp2v(loadv(line + i) - shift);
        storev(line + i, e);
        sums += e;
    }
    float sum = hsum(sums);
    long left = count - i;
    if (left > 0) {
        float lanes[VL];
        storev(lanes, exp2v(load_partial(line + i, left, 0.0f) - shift));
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
