// CUDA Philox fills (core/philox_kernels.h): one thread per Philox block,
// element i from block (at.offset + i / PerBlock) as Note [Philox streams]
// says, through the same __host__ __device__ functions as the CPU loop
// (core/philox.h), so words, uniforms and Bernoulli masks are the CPU's bit
// for bit.
#include <algorithm>

#include "veil/core/cuda/launch.h"
#include "veil/core/philox_kernels.h"

namespace veil {
namespace {

// The fill rule per dtype: four floats or two doubles per block.
template <typename T>
struct Rule;
template <>
struct Rule<float> {
  static constexpr std::int64_t kPerBlock = kPhiloxFloatsPerBlock;
  __device__ static Float4 uniform(const Philox4x32Block& b) { return philox_uniform_float4(b); }
  __device__ static Float4 normal(const Philox4x32Block& b) { return philox_normal_float4(b); }
};
template <>
struct Rule<double> {
  static constexpr std::int64_t kPerBlock = kPhiloxDoublesPerBlock;
  __device__ static Double2 uniform(const Philox4x32Block& b) { return philox_uniform_double2(b); }
  __device__ static Double2 normal(const Philox4x32Block& b) { return philox_normal_double2(b); }
};

// The number of blocks a fill of n elements touches, one thread each.
std::int64_t fill_blocks(std::int64_t n, std::int64_t per_block) {
  return static_cast<std::int64_t>(philox_blocks(n, per_block));
}

template <typename T>
void uniform_typed(const Tensor& out, const PhiloxState& at, double lo_value, double hi_value) {
  constexpr std::int64_t per_block = Rule<T>::kPerBlock;
  const std::int64_t n = out.numel();
  T* o = out.data<T>();
  const T lo = static_cast<T>(lo_value), hi = static_cast<T>(hi_value);
  cuda::for_each_index("Philox uniform", out.device(), fill_blocks(n, per_block), [=] __device__(std::int64_t b) {
    const auto value = Rule<T>::uniform(philox_block(at.seed, at.stream, at.offset + static_cast<std::uint64_t>(b)));
    const std::int64_t first = b * per_block, count = n - first < per_block ? n - first : per_block;
    for (std::int64_t j = 0; j < count; ++j) o[first + j] = lo + (hi - lo) * value.v[j];
  });
}

template <typename T>
void normal_typed(const Tensor& out, const PhiloxState& at, double mean_value, double std_value) {
  constexpr std::int64_t per_block = Rule<T>::kPerBlock;
  const std::int64_t n = out.numel();
  T* o = out.data<T>();
  const T mean = static_cast<T>(mean_value), std = static_cast<T>(std_value);
  cuda::for_each_index("Philox normal", out.device(), fill_blocks(n, per_block), [=] __device__(std::int64_t b) {
    const auto value = Rule<T>::normal(philox_block(at.seed, at.stream, at.offset + static_cast<std::uint64_t>(b)));
    const std::int64_t first = b * per_block, count = n - first < per_block ? n - first : per_block;
    for (std::int64_t j = 0; j < count; ++j) o[first + j] = mean + std * value.v[j];
  });
}

// The DP noise rule: double normals whatever the dtype, added in double.
template <typename T>
void add_normal_typed(const Tensor& inout, const PhiloxState& at, double std) {
  const std::int64_t n = inout.numel();
  T* x = inout.data<T>();
  cuda::for_each_index("Philox normal noise", inout.device(), fill_blocks(n, kPhiloxDoublesPerBlock),
                       [=] __device__(std::int64_t b) {
                         const Double2 z =
                             philox_normal_double2(philox_block(at.seed, at.stream, at.offset + static_cast<std::uint64_t>(b)));
                         const std::int64_t first = b * kPhiloxDoublesPerBlock;
                         const std::int64_t count = n - first < kPhiloxDoublesPerBlock ? n - first : kPhiloxDoublesPerBlock;
                         for (std::int64_t j = 0; j < count; ++j)
                           x[first + j] = static_cast<T>(x[first + j] + std * z.v[j]);
                       });
}

// Dropout's mask from float32 uniforms whatever the dtype.
template <typename T>
void bernoulli_mask_typed(const Tensor& out, const PhiloxState& at, double p, double scale) {
  const std::int64_t n = out.numel();
  T* m = out.data<T>();
  const T kept = static_cast<T>(scale);
  cuda::for_each_index("Philox Bernoulli mask", out.device(), fill_blocks(n, kPhiloxFloatsPerBlock),
                       [=] __device__(std::int64_t b) {
                         const Float4 u =
                             philox_uniform_float4(philox_block(at.seed, at.stream, at.offset + static_cast<std::uint64_t>(b)));
                         const std::int64_t first = b * kPhiloxFloatsPerBlock;
                         const std::int64_t count = n - first < kPhiloxFloatsPerBlock ? n - first : kPhiloxFloatsPerBlock;
                         for (std::int64_t j = 0; j < count; ++j) m[first + j] = u.v[j] >= p ? kept : T(0);
                       });
}

void cuda_uniform(const Tensor& out, const PhiloxState& at, double lo, double hi) {
  dispatch_floating(out.dtype(), "uniform", [&]<typename T>() { uniform_typed<T>(out, at, lo, hi); });
}
void cuda_normal(const Tensor& out, const PhiloxState& at, double mean, double std) {
  dispatch_floating(out.dtype(), "normal", [&]<typename T>() { normal_typed<T>(out, at, mean, std); });
}
void cuda_add_normal(const Tensor& inout, const PhiloxState& at, double std) {
  dispatch_floating(inout.dtype(), "normal noise", [&]<typename T>() { add_normal_typed<T>(inout, at, std); });
}
void cuda_bernoulli_mask(const Tensor& out, const PhiloxState& at, double p, double scale) {
  dispatch_floating(out.dtype(), "Bernoulli mask", [&]<typename T>() { bernoulli_mask_typed<T>(out, at, p, scale); });
}

}  // namespace

const PhiloxKernels& cuda_philox_kernels() {
  static const PhiloxKernels kernels{cuda_uniform, cuda_normal, cuda_add_normal, cuda_bernoulli_mask};
  return kernels;
}

}  // namespace veil
