#pragma once
// Launch helpers of the CUDA kernel tables (nvcc only). Kernels are
// grid-stride loops, so any size runs on a bounded grid, and each launch is
// queued on its device's stream (Note [One stream per device]) and checked
// by name.
//
// Note [Deterministic GPU sums]
// Where the CPU gives a result that does not depend on scheduling, so does
// the GPU: no float atomics. A value summed by one thread is summed in the
// CPU's order; a value summed by a block is summed by block_sum, a fixed
// tree over a fixed number of threads, in double where the CPU sums in
// double. Results then differ from the CPU's in rounding only.
#include <algorithm>
#include <cstdint>

#include "veil/core/cuda/cuda_check.h"
#include "veil/core/cuda/cuda_context.h"

namespace veil::cuda {

constexpr int kThreads = 256;
constexpr std::int64_t kMaxBlocks = 65535;

inline unsigned blocks_for(std::int64_t n) {
  return static_cast<unsigned>(std::clamp<std::int64_t>((n + kThreads - 1) / kThreads, 1, kMaxBlocks));
}

template <typename F>
__global__ void for_each_index_kernel(std::int64_t n, F f) {
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n; i += stride) f(i);
}

// f(i) for every i in [0, n), one thread per index.
template <typename F>
void for_each_index(const char* name, Device device, std::int64_t n, F f) {
  if (n <= 0) return;
  for_each_index_kernel<<<blocks_for(n), kThreads, 0, stream_for(device)>>>(n, f);
  VEIL_CUDA_CHECK_LAUNCH_OF(name);
}

template <typename F>
__global__ void for_each_block_kernel(std::int64_t n, F f) {
  for (std::int64_t r = blockIdx.x; r < n; r += gridDim.x) f(r);
}

// f(r) for every r in [0, n), one block of kThreads threads per r: every
// thread of the block calls f(r) (for block_sum).
template <typename F>
void for_each_block(const char* name, Device device, std::int64_t n, F f) {
  if (n <= 0) return;
  const auto blocks = static_cast<unsigned>(std::min(n, kMaxBlocks));
  for_each_block_kernel<<<blocks, kThreads, 0, stream_for(device)>>>(n, f);
  VEIL_CUDA_CHECK_LAUNCH_OF(name);
}

// The sum of every thread's value in a block of kThreads threads, the same
// tree every time (Note [Deterministic GPU sums]). Every thread of the
// block must call it; every thread gets the total.
template <typename T>
__device__ T block_sum(T value) {
  __shared__ T partial[kThreads];
  partial[threadIdx.x] = value;
  __syncthreads();
  for (int half = kThreads / 2; half > 0; half /= 2) {
    if (static_cast<int>(threadIdx.x) < half) partial[threadIdx.x] += partial[threadIdx.x + half];
    __syncthreads();
  }
  const T total = partial[0];
  __syncthreads();  // the next call may overwrite partial
  return total;
}

}  // namespace veil::cuda
