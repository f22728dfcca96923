// The kernels for AVX2 with FMA (x86-64 only): eight lanes.
#include "kernels_internal.h"

#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#define VL 8
#define KERNEL(name) name##_avx2
#include "kernels_body.h"
#pragma clang attribute pop
#endif
