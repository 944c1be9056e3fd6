#pragma once
// VEIL_HOST_DEVICE marks functions written once for both the CPU and the GPU:
// element-wise functors, the Philox round function. Under nvcc it expands to
// `__host__ __device__`; in plain C++ translation units it expands to nothing,
// so the same header compiles everywhere and CPU tests cover the GPU's math.
#if defined(__CUDACC__)
#define VEIL_HOST_DEVICE __host__ __device__
#else
#define VEIL_HOST_DEVICE
#endif
