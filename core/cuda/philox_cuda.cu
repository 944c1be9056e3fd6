// CUDA Philox fills (core/philox_kernels.h): one thread per Philox block,
// element i from block (at.offset + i / PerBlock) as Note [Philox streams]
// says, through the same __host__ __device__ functions as the CPU loop
// (core/philox.h, core/philox_math.h), so words, uniforms, normals, scaled
// values and Bernoulli masks are the CPU's bit for bit (Note [Bit-identical
// normals]).
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

// One thread per Philox block a fill of out.numel() elements touches:
// write(block, first, count) fills elements [first, first + count).
template <std::int64_t PerBlock, typename Write>
void for_each_fill_block(const char* name, const Tensor& out, const PhiloxState& at, Write write) {
  const std::int64_t n = out.numel();
  const auto blocks = static_cast<std::int64_t>(philox_blocks(n, PerBlock));
  cuda::for_each_index(name, out.device(), blocks, [=] __device__(std::int64_t b) {
    const Philox4x32Block block = philox_block(at.seed, at.stream, at.offset + static_cast<std::uint64_t>(b));
    const std::int64_t first = b * PerBlock;
    write(block, first, n - first < PerBlock ? n - first : PerBlock);
  });
}

template <typename T>
void uniform_typed(const Tensor& out, const PhiloxState& at, double lo_value, double hi_value) {
  T* o = out.data<T>();
  const T lo = static_cast<T>(lo_value), hi = static_cast<T>(hi_value);
  for_each_fill_block<Rule<T>::kPerBlock>(
      "Philox uniform", out, at, [=] __device__(const Philox4x32Block& block, std::int64_t first, std::int64_t count) {
        const auto u = Rule<T>::uniform(block);
        for (std::int64_t j = 0; j < count; ++j) o[first + j] = rn::add_mul(lo, rn::sub(hi, lo), u.v[j]);
      });
}

template <typename T>
void normal_typed(const Tensor& out, const PhiloxState& at, double mean_value, double std_value) {
  T* o = out.data<T>();
  const T mean = static_cast<T>(mean_value), std = static_cast<T>(std_value);
  for_each_fill_block<Rule<T>::kPerBlock>(
      "Philox normal", out, at, [=] __device__(const Philox4x32Block& block, std::int64_t first, std::int64_t count) {
        const auto z = Rule<T>::normal(block);
        for (std::int64_t j = 0; j < count; ++j) o[first + j] = rn::add_mul(mean, std, z.v[j]);
      });
}

// The DP noise rule: double normals whatever the dtype, added in double.
template <typename T>
void add_normal_typed(const Tensor& inout, const PhiloxState& at, double std) {
  T* x = inout.data<T>();
  for_each_fill_block<kPhiloxDoublesPerBlock>(
      "Philox normal noise", inout, at,
      [=] __device__(const Philox4x32Block& block, std::int64_t first, std::int64_t count) {
        const Double2 z = philox_normal_double2(block);
        for (std::int64_t j = 0; j < count; ++j)
          x[first + j] = static_cast<T>(rn::add_mul(static_cast<double>(x[first + j]), std, z.v[j]));
      });
}

// Dropout's mask from float32 uniforms whatever the dtype; with a counter,
// the stream id is read on the device and the counter advanced by a second
// launch, queued after the mask on the same stream.
template <typename T>
void bernoulli_mask_typed(const Tensor& out, const PhiloxState& at, const Tensor& counter, double p, double scale) {
  T* m = out.data<T>();
  const T kept = static_cast<T>(scale);
  const std::int64_t n = out.numel();
  std::int64_t* calls = counter.defined() ? counter.data<std::int64_t>() : nullptr;
  const auto blocks = static_cast<std::int64_t>(philox_blocks(n, kPhiloxFloatsPerBlock));
  cuda::for_each_index("Philox Bernoulli mask", out.device(), blocks, [=] __device__(std::int64_t b) {
    const std::uint64_t stream =
        at.stream + (calls != nullptr ? static_cast<std::uint64_t>(*calls) & kPhiloxStreamIdMask : 0);
    const Float4 u = philox_uniform_float4(philox_block(at.seed, stream, at.offset + static_cast<std::uint64_t>(b)));
    const std::int64_t first = b * kPhiloxFloatsPerBlock;
    const std::int64_t count = n - first < kPhiloxFloatsPerBlock ? n - first : kPhiloxFloatsPerBlock;
    for (std::int64_t j = 0; j < count; ++j) m[first + j] = u.v[j] >= p ? kept : T(0);
  });
  if (calls != nullptr)
    cuda::for_each_index("Philox stream counter", out.device(), 1, [=] __device__(std::int64_t) { ++*calls; });
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
void cuda_bernoulli_mask(const Tensor& out, const PhiloxState& at, const Tensor& counter, double p, double scale) {
  dispatch_floating(out.dtype(), "Bernoulli mask",
                    [&]<typename T>() { bernoulli_mask_typed<T>(out, at, counter, p, scale); });
}

}  // namespace

const PhiloxKernels& cuda_philox_kernels() {
  static const PhiloxKernels kernels{cuda_uniform, cuda_normal, cuda_add_normal, cuda_bernoulli_mask};
  return kernels;
}

}  // namespace veil
