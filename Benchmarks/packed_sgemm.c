// Experiment for issue 3 (not part of zoo yet): is a hand-written AVX-512 SGEMM over weights
// packed once (as a loaded model could keep them) faster than OpenBLAS at the shapes one thread
// of `zoo bench encode all-MiniLM-L6-v2 --batch 64 --threads 2` runs? C = A·Wᵀ with A [520, K]
// (the ~520 packed tokens of half a batch) and W [N, K] in PyTorch layout.
//
//   clang -O3 Benchmarks/packed_sgemm.c -o /tmp/packed_sgemm $(pkg-config --cflags --libs openblas) -lm
//   OPENBLAS_CORETYPE=SkylakeX /tmp/packed_sgemm
//
// Kernel: 8 rows × 32 columns (16 zmm accumulators), the 32-column weight panel read as two
// vectors per k, each row's A value broadcast. Single thread; best of 5 × 200 calls.
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cblas.h>
#include <math.h>

#define NR 32
#define MR 8
// Wp: panels of NR columns, [panel][k][NR]
static void pack(const float *W, int N, int K, float *Wp) {
  for (int p = 0; p < N / NR; p++)
    for (int k = 0; k < K; k++)
      for (int j = 0; j < NR; j++) Wp[((size_t)p * K + k) * NR + j] = W[(size_t)(p * NR + j) * K + k];
}
__attribute__((target("avx512f,fma")))
static inline void kernel8(const float *A, int lda, const float *Bp, int K, float *C, int ldc, const float *bias, int accumulate) {
  __m512 c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71;
  __m512 b0 = bias ? _mm512_loadu_ps(bias) : _mm512_setzero_ps(), b1 = bias ? _mm512_loadu_ps(bias + 16) : _mm512_setzero_ps();
  c00 = c10 = c20 = c30 = c40 = c50 = c60 = c70 = b0;
  c01 = c11 = c21 = c31 = c41 = c51 = c61 = c71 = b1;
  const float *a0 = A, *a1 = A + lda, *a2 = A + 2 * lda, *a3 = A + 3 * lda, *a4 = A + 4 * lda, *a5 = A + 5 * lda, *a6 = A + 6 * lda, *a7 = A + 7 * lda;
  for (int k = 0; k < K; k++) {
    __m512 w0 = _mm512_loadu_ps(Bp), w1 = _mm512_loadu_ps(Bp + 16);
    Bp += NR;
    __m512 x;
    x = _mm512_set1_ps(a0[k]); c00 = _mm512_fmadd_ps(x, w0, c00); c01 = _mm512_fmadd_ps(x, w1, c01);
    x = _mm512_set1_ps(a1[k]); c10 = _mm512_fmadd_ps(x, w0, c10); c11 = _mm512_fmadd_ps(x, w1, c11);
    x = _mm512_set1_ps(a2[k]); c20 = _mm512_fmadd_ps(x, w0, c20); c21 = _mm512_fmadd_ps(x, w1, c21);
    x = _mm512_set1_ps(a3[k]); c30 = _mm512_fmadd_ps(x, w0, c30); c31 = _mm512_fmadd_ps(x, w1, c31);
    x = _mm512_set1_ps(a4[k]); c40 = _mm512_fmadd_ps(x, w0, c40); c41 = _mm512_fmadd_ps(x, w1, c41);
    x = _mm512_set1_ps(a5[k]); c50 = _mm512_fmadd_ps(x, w0, c50); c51 = _mm512_fmadd_ps(x, w1, c51);
    x = _mm512_set1_ps(a6[k]); c60 = _mm512_fmadd_ps(x, w0, c60); c61 = _mm512_fmadd_ps(x, w1, c61);
    x = _mm512_set1_ps(a7[k]); c70 = _mm512_fmadd_ps(x, w0, c70); c71 = _mm512_fmadd_ps(x, w1, c71);
  }
#define ST(r, lo, hi) { float *c = C + r * ldc; if (accumulate) { lo = _mm512_add_ps(lo, _mm512_loadu_ps(c)); hi = _mm512_add_ps(hi, _mm512_loadu_ps(c + 16)); } _mm512_storeu_ps(c, lo); _mm512_storeu_ps(c + 16, hi); }
  ST(0, c00, c01) ST(1, c10, c11) ST(2, c20, c21) ST(3, c30, c31) ST(4, c40, c41) ST(5, c50, c51) ST(6, c60, c61) ST(7, c70, c71)
}
static void gemm(const float *A, int M, int K, const float *Wp, int N, float *C, const float *bias, int acc) {
  for (int p = 0; p < N / NR; p++)
    for (int m = 0; m + MR <= M; m += MR)
      kernel8(A + (size_t)m * K, K, Wp + (size_t)p * K * NR, K, C + (size_t)m * N + p * NR, N, bias ? bias + p * NR : NULL, acc);
}
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
int main(void) {
  int M = 520, shapes[4][2] = {{384, 1152}, {384, 384}, {384, 1536}, {1536, 384}};
  openblas_set_num_threads(1);
  for (int s = 0; s < 4; s++) {
    int K = shapes[s][0], N = shapes[s][1];
    float *A = malloc(sizeof(float) * M * K), *W = malloc(sizeof(float) * N * K), *Wp = aligned_alloc(64, sizeof(float) * N * K), *C1 = malloc(sizeof(float) * M * N), *C2 = malloc(sizeof(float) * M * N);
    for (int i = 0; i < M * K; i++) A[i] = (float)rand() / (float)RAND_MAX - 0.5f;
    for (int i = 0; i < N * K; i++) W[i] = (float)rand() / (float)RAND_MAX - 0.5f;
    pack(W, N, K, Wp);
    int reps = 200;
    double best1 = 1e9, best2 = 1e9;
    for (int r = 0; r < 5; r++) {
      double t = now();
      for (int i = 0; i < reps; i++) cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1, A, K, W, K, 0, C1, N);
      best1 = fmin(best1, now() - t);
      t = now();
      for (int i = 0; i < reps; i++) gemm(A, M, K, Wp, N, C2, NULL, 0);
      best2 = fmin(best2, now() - t);
    }
    double md = 0; for (int i = 0; i < M * N; i++) md = fmax(md, fabs(C1[i] - C2[i]));
    double fl = 2.0 * M * N * K * reps;
    printf("M %d K %d N %d: openblas %.1f GFLOP/s, packed %.1f GFLOP/s, max diff %.2e\n", M, K, N, fl / best1 / 1e9, fl / best2 / 1e9, md);
  }
}
