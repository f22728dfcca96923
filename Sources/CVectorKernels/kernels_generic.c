// The kernels for the target's baseline instruction set (SSE2 on x86-64): four lanes.
#include "kernels_internal.h"

#define VL 4
#define KERNEL(name) name##_generic
#include "kernels_body.h"
