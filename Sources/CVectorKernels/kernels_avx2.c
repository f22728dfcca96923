// The kernels for AVX2 with FMA (x86-64 only): 16-lane vectors as pairs of 8-lane registers.
#include "kernels_internal.h"

#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#define ZOO_ISA_LANES 8
#define ZOO_FUSED 1
#define KERNEL(name) name##_avx2
#include "kernels_body.h"
#pragma clang attribute pop
#endif
