// zoo's packed-weight linear kernel (`zoo_packed_linear`, Sources/CVectorKernels/packed_linear.c)
// against OpenBLAS's cblas_sgemm, single thread, at the shapes one thread
// of `zoo bench encode all-MiniLM-L6-v2 --batch 64 --threads 2` runs? C = A·Wᵀ with A [520, K]
// (the ~520 packed tokens of half a batch) and W [N, K] in PyTorch layout.
//
//   clang -O3 -ISources/CVectorKernels/include Benchmarks/packed_sgemm.c Sources/CVectorKernels/*.c \
//       -o /tmp/packed_sgemm $(pkg-config --cflags --libs openblas) -lm
//   OPENBLAS_CORETYPE=SkylakeX /tmp/packed_sgemm
//
// Kernel: the copy the CPU (or ZOO_VECTOR_LANES=16|8|4) selects: AVX-512 8 rows × 32 columns
// (16 zmm accumulators, the 32-column panel read as two vectors per k), AVX2+FMA 6 × 16, portable
// 4 × 16; each row's A value broadcast. Best of 5 × 200 calls.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <cblas.h>

#include "zoo_vector_kernels.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(void) {
    if (!zoo_packed_linear_available()) {
        fprintf(stderr, "zoo_packed_linear is not available in this build\n");
        return 1;
    }
    int M = 520, shapes[4][2] = {{384, 1152}, {384, 384}, {384, 1536}, {1536, 384}};
    openblas_set_num_threads(1);
    for (int s = 0; s < 4; s++) {
        int K = shapes[s][0], N = shapes[s][1];
        float *A = malloc(sizeof(float) * M * K), *W = malloc(sizeof(float) * N * K);
        float *Wp = aligned_alloc(64, sizeof(float) * zoo_packed_weights_count(N, K));
        float *C1 = malloc(sizeof(float) * M * N), *C2 = malloc(sizeof(float) * M * N);
        for (int i = 0; i < M * K; i++) A[i] = (float)rand() / (float)RAND_MAX - 0.5f;
        for (int i = 0; i < N * K; i++) W[i] = (float)rand() / (float)RAND_MAX - 0.5f;
        zoo_pack_weights(W, N, K, Wp);
        int reps = 200;
        double best1 = 1e9, best2 = 1e9;
        for (int r = 0; r < 5; r++) {
            double t = now();
            for (int i = 0; i < reps; i++) cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1, A, K, W, K, 0, C1, N);
            best1 = fmin(best1, now() - t);
            t = now();
            for (int i = 0; i < reps; i++) zoo_packed_linear(A, M, K, Wp, N, NULL, NULL, C2);
            best2 = fmin(best2, now() - t);
        }
        double difference = 0;
        for (int i = 0; i < M * N; i++) difference = fmax(difference, fabs(C1[i] - C2[i]));
        double flops = 2.0 * M * N * K * reps;
        printf("M %d K %d N %d: openblas %.1f GFLOP/s, packed %.1f GFLOP/s, max diff %.2e\n", M, K, N,
               flops / best1 / 1e9, flops / best2 / 1e9, difference);
        free(A), free(W), free(Wp), free(C1), free(C2);
    }
    return 0;
}
