// The kernels for AVX-512 (x86-64 only): sixteen lanes.
#include "kernels_internal.h"

#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512dq,fma"))), apply_to = function)
#define ZOO_ISA_LANES 16
#define ZOO_FUSED 1
#define KERNEL(name) name##_avx512
#include "kernels_body.h"
#pragma clang attribute pop
#endif
