// Prints a digest (FNV-1a over the output bytes) of every C kernel copy this CPU can run, on
// seeded inputs of several shapes, one line per kernel and shape, so that builds for different
// CPUs can be compared byte for byte (scripts/aarch64_kernel_check.sh: the aarch64 build, run
// under qemu, against the x86-64 AVX-512 and AVX2 copies). Built from the kernel sources alone:
//   clang -O2 -ISources/CVectorKernels/include -ISources/CVectorKernels scripts/kernel_digest.c \
//       Sources/CVectorKernels/*.c -o kernel_digest -lm
#include "zoo_vector_kernels.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t state;

static void seed(uint64_t value) { state = value * 0x9E3779B97F4A7C15ull + 1; }

// A float in [-scale, scale) from a 64-bit xorshift, exactly representable.
static float next(float scale) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return ((float)(int32_t)(state >> 40 & 0xFFFFFF) / 8388608.0f - 1.0f) * scale;
}

static float *fill(long count, float scale) {
    float *values = malloc((size_t)(count > 0 ? count : 1) * sizeof(float));
    for (long i = 0; i < count; i++) values[i] = next(scale);
    return values;
}

static void digest(const char *name, long a, long b, long c, const void *bytes, long count) {
    uint64_t hash = 0xcbf29ce484222325ull;
    const unsigned char *p = bytes;
    for (long i = 0; i < count * (long)sizeof(float); i++) hash = (hash ^ p[i]) * 0x100000001b3ull;
    printf("%s %ld %ld %ld %016llx\n", name, a, b, c, (unsigned long long)hash);
}

static long round16(long n) { return (n + 15) / 16 * 16; }

static void run(const zoo_vector_kernel_table *t) {
    static const long rows_cases[] = {1, 5, 7, 13, 53};
    static const long width_cases[] = {16, 37, 384};
    for (int r = 0; r < 5; r++) {
        for (int w = 0; w < 3; w++) {
            long rows = rows_cases[r], width = width_cases[w];
            seed((uint64_t)(rows * 1000 + width));
            float *x = fill(rows * width, 4), *bias = fill(width, 1), *gamma = fill(width, 1.5f), *beta = fill(width, 1);
            float *addend = fill(rows * width, 1), *out = malloc((size_t)(rows * width) * sizeof(float));
            for (int form = 0; form < 3; form++) {
                float *v = malloc((size_t)(rows * width) * sizeof(float));
                memcpy(v, x, (size_t)(rows * width) * sizeof(float));
                t->bias_gelu_rows(v, rows, width, bias, form);
                char name[32];
                snprintf(name, sizeof name, "gelu%d", form);
                digest(name, rows, width, 0, v, rows * width);
                free(v);
            }
            float *s = malloc((size_t)(rows * width) * sizeof(float));
            memcpy(s, x, (size_t)(rows * width) * sizeof(float));
            t->softmax_rows(s, rows, width, width);
            digest("softmax", rows, width, 0, s, rows * width);
            memcpy(s, x, (size_t)(rows * width) * sizeof(float));
            float sum = t->exp2_row(s, width);
            digest("exp2_row", rows, width, 0, s, width);
            digest("exp2_sum", rows, width, 0, &sum, 1);
            t->layer_norm_rows(x, rows, width, gamma, beta, 1e-5f, out, addend);
            digest("layer_norm", rows, width, 0, out, rows * width);
            free(s);
            // The packed linear kernel with each activation, a bias and a residual.
            static const long out_cases[] = {16, 40, 96};
            for (int o = 0; o < 3; o++) {
                long outs = out_cases[o];
                float *weight = fill(outs * width, 0.25f), *obias = fill(outs, 1), *residual = fill(rows * outs, 1);
                long count = zoo_packed_weights_count_for(outs, width, t->panel_width);
                float *packed = malloc((size_t)count * sizeof(float));
                zoo_pack_weights_for(weight, outs, width, t->panel_width, packed);
                float *y = malloc((size_t)(rows * outs) * sizeof(float));
                for (int activation = 0; activation < 4; activation++) {
                    t->packed_linear_activated(x, rows, width, packed, outs, obias, activation % 2 ? residual : NULL, y, activation);
                    char name[32];
                    snprintf(name, sizeof name, "linear%d", activation);
                    digest(name, rows, width, outs, y, rows * outs);
                }
                // The first-layer projection: a LayerNorm folded into two table lookups.
                float *first = fill(7 * outs, 1), *second = fill(5 * outs, 1), *sums = fill(outs, 1), *constant = fill(outs, 1);
                int *first_index = malloc((size_t)rows * sizeof(int)), *second_index = malloc((size_t)rows * sizeof(int));
                for (long i = 0; i < rows; i++) first_index[i] = (int)(i % 7), second_index[i] = (int)(i % 5);
                t->normalized_projection_rows(x, rows, width, 1e-5f, first, first_index, second, second_index, sums, constant, outs, y);
                digest("normalized_projection", rows, width, outs, y, rows * outs);
                free(first), free(second), free(sums), free(constant), free(first_index), free(second_index);
                free(weight), free(obias), free(residual), free(packed), free(y);
            }
            free(x), free(bias), free(gamma), free(beta), free(addend), free(out);
        }
    }
    // Attention of one head: short (transposed scores) and long (on the packed kernel), plain and
    // with an additive bias.
    static const long lengths[] = {1, 9, 24, 77};
    for (int l = 0; l < 4; l++) {
        long length = lengths[l], head = 32, stride = 3 * head;
        seed((uint64_t)(length * 7 + 3));
        float *qkv = fill(length * stride, 2), *out = malloc((size_t)(length * head) * sizeof(float));
        long bias_stride = round16(length);
        float *bias = calloc((size_t)(length * bias_stride), sizeof(float));
        for (long j = 0; j < length; j++)
            for (long i = 0; i < length; i++) bias[j * bias_stride + i] = next(1);
        float *scores = malloc((size_t)(length * round16(length)) * sizeof(float));
        float *keys = malloc((size_t)((head + 1) * round16(length)) * sizeof(float));
        float scale = 0.17677669f;
        t->attend_short(qkv, qkv + head, qkv + 2 * head, stride, length, head, scale, scores, keys, out, head);
        digest("attend_short", length, head, 0, out, length * head);
        t->attend_short_biased(qkv, qkv + head, qkv + 2 * head, stride, length, head, scale, scores, keys, out, head, bias, bias_stride);
        digest("attend_short_biased", length, head, 0, out, length * head);
        float *scratch = malloc((size_t)zoo_attend_long_scratch_count(length, head) * sizeof(float));
        zoo_attend_long_with(t, qkv, qkv + head, qkv + 2 * head, stride, length, head, scale, scratch, out, head);
        digest("attend_long", length, head, 0, out, length * head);
        zoo_attend_long_biased_with(t, qkv, qkv + head, qkv + 2 * head, stride, length, head, scale, scratch, out, head, bias, bias_stride);
        digest("attend_long_biased", length, head, 0, out, length * head);
        free(qkv), free(out), free(bias), free(scores), free(keys), free(scratch);
    }
}

int main(int argc, char **argv) {
    // With a lanes argument, that copy only; otherwise every copy this CPU runs.
    int only = argc > 1 ? atoi(argv[1]) : 0;
    static const int widths[] = {16, 8, 4};
    for (int i = 0; i < 3; i++) {
        if (only && widths[i] != only) continue;
        const zoo_vector_kernel_table *t = zoo_vector_kernels_with_lanes(widths[i]);
        if (!t) continue;
        printf("# lanes %d fused %d\n", t->lanes, t->fused);
        run(t);
    }
    return 0;
}
