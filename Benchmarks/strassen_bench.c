// A negative result kept for the record (docs/PERFORMANCE.md, "How far 1.5× is"): one level of
// Strassen's algorithm, fused with zoo's 8×32 AVX-512 tile (Benchmarks/strassen_linear.c),
// against zoo's packed kernel (Sources/CVectorKernels/packed_linear.c) at the shapes one thread
// of the MiniLM benchmark runs. Best of 200 calls each, same weights (warm caches).
//
//   clang -O3 -ISources/CVectorKernels/include -ISources/CVectorKernels -IBenchmarks Benchmarks/strassen_bench.c \
//       Benchmarks/strassen_linear.c Sources/CVectorKernels/*.c -o /tmp/strassen_bench -lm
//   /tmp/strassen_bench
//
// "effective" GFLOP/s counts 2·M·K·N for both, so Strassen's figure is what the plain kernel
// would need to match it. Also checks both against a double-precision product.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "zoo_vector_kernels.h"
#include "strassen_linear.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static float *random_floats(long count, float scale) {
    float *p = aligned_alloc(64, (count * sizeof(float) + 63) / 64 * 64);
    for (long i = 0; i < count; i++) p[i] = scale * ((float)rand() / (float)RAND_MAX - 0.5f);
    return p;
}

int main(void) {
    if (!zoo_packed_linear_available()) {
        fprintf(stderr, "needs AVX-512\n");
        return 1;
    }
    long shapes[][3] = {{520, 384, 1152}, {520, 384, 384}, {520, 384, 1536}, {520, 1536, 384}};
    for (int s = 0; s < 4; s++) {
        long M = shapes[s][0], K = shapes[s][1], N = shapes[s][2];
        float *A = random_floats(M * K, 2.0f), *W = random_floats(N * K, 0.1f), *C = random_floats(M * N, 1.0f);
        float *plain = aligned_alloc(64, sizeof(float) * zoo_packed_weights_count(N, K));
        float *seven = aligned_alloc(64, sizeof(float) * zoo_strassen_weights_count(N, K));
        float *scratch = malloc(sizeof(float) * zoo_strassen_scratch_count(M, K));
        zoo_pack_weights(W, N, K, plain);
        zoo_pack_weights_strassen(W, N, K, seven);
        double best_plain = 1e9, best_strassen = 1e9, err_plain = 0, err_strassen = 0;
        for (int r = 0; r < 200; r++) {
            double t = now();
            zoo_packed_linear(A, M, K, plain, N, NULL, NULL, C);
            t = now() - t;
            if (t < best_plain) best_plain = t;
            t = now();
            zoo_strassen_linear(A, M, K, seven, N, NULL, NULL, C, scratch);
            t = now() - t;
            if (t < best_strassen) best_strassen = t;
        }
        float *C2 = malloc(sizeof(float) * M * N);
        zoo_packed_linear(A, M, K, plain, N, NULL, NULL, C2);
        for (long i = 0; i < M; i++)
            for (long j = 0; j < N; j++) {
                double exact = 0;
                for (long k = 0; k < K; k++) exact += (double)A[i * K + k] * W[j * K + k];
                err_plain = fmax(err_plain, fabs(C2[i * N + j] - exact));
                err_strassen = fmax(err_strassen, fabs(C[i * N + j] - exact));
            }
        double flops = 2.0 * M * K * N;
        printf("M %ld K %4ld N %4ld: packed %.1f, Strassen %.1f effective GFLOP/s; max error %.1e / %.1e\n", M, K,
               N, flops / best_plain / 1e9, flops / best_strassen / 1e9, err_plain, err_strassen);
    }
    return 0;
}
