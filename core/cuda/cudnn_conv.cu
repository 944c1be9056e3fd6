// The cuDNN convolution route (core/conv_kernels.h): forward and
// backward-data through cuDNN's legacy convolution API, on the device's
// stream. Each shape's algorithm is chosen once by cuDNN's heuristics (no
// trial runs, which would time kernels inside the first step) among the
// deterministic ones (Note [Deterministic GPU sums] in core/cuda/launch.h);
// its workspace comes from the caching allocator.
#include <array>
#include <map>
#include <mutex>

#include "veil/core/conv_kernels.h"
#include "veil/core/cuda/cudnn_handle.h"

namespace veil {

namespace {

using PlanKey = std::array<std::int64_t, 20>;

struct Plan {
  int algorithm = 0;
  std::size_t workspace_bytes = 0;
};

enum class Pass : std::int64_t { Forward, BackwardData };

PlanKey plan_key(Pass pass, const Tensor& images, const Tensor& weight, const Conv2dGeometry& g, std::int64_t groups) {
  return {static_cast<std::int64_t>(pass), images.device().index, static_cast<std::int64_t>(images.dtype()),
          images.size(0), images.size(1), images.size(2), images.size(3), weight.size(0), weight.size(1),
          weight.size(2), weight.size(3), g.stride_h, g.stride_w, g.pad_h, g.pad_w, g.dilation_h, g.dilation_w,
          groups, 0, 0};
}

// cuDNN's heuristic ranking, first usable entry: succeeded, deterministic,
// and without tensor-core math (TF32 would round float32 inputs).
template <typename Perf, std::size_t N>
Plan first_usable(const std::array<Perf, N>& ranked, int returned, const char* pass) {
  for (int i = 0; i < returned; ++i) {
    const Perf& p = ranked[i];
    if (p.status == CUDNN_STATUS_SUCCESS && p.determinism == CUDNN_DETERMINISTIC &&
        p.mathType != CUDNN_TENSOR_OP_MATH && p.mathType != CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION)
      return {static_cast<int>(p.algo), p.memory};
  }
  VEIL_FAIL() << "cuDNN offers no deterministic full-precision " << pass
              << " algorithm for this convolution; set VEIL_CUDA_CONV=im2row";
  return {};
}

class PlanCache {
 public:
  template <typename Choose>
  Plan get(const PlanKey& key, const Choose& choose) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (auto it = plans_.find(key); it != plans_.end()) return it->second;
    }
    const Plan plan = choose();
    std::lock_guard<std::mutex> lock(mutex_);
    plans_.emplace(key, plan);
    return plan;
  }

 private:
  std::mutex mutex_;
  std::map<PlanKey, Plan> plans_;
};

PlanCache& plans() {
  static auto* cache = new PlanCache();  // never destroyed, as the handles
  return *cache;
}

// cuDNN scales by host values of the compute type: float for float32 data,
// double for float64.
struct Scale {
  float f[2] = {1.0f, 0.0f};
  double d[2] = {1.0, 0.0};
  const void* one(DType t) const { return t == DType::Float32 ? static_cast<const void*>(&f[0]) : &d[0]; }
  const void* zero(DType t) const { return t == DType::Float32 ? static_cast<const void*>(&f[1]) : &d[1]; }
};

Tensor workspace(std::size_t bytes, Device device) {
  return bytes == 0 ? Tensor() : Tensor::empty({static_cast<std::int64_t>(bytes)}, DType::UInt8, device);
}

void cudnn_forward(const Tensor& images, const Tensor& /*rows*/, const Tensor& weight, const Conv2dGeometry& g,
                   std::int64_t groups, const Tensor& out) {
  if (out.numel() == 0 || images.numel() == 0) return;  // an empty Poisson batch; cuDNN refuses size 0
  const cuda::CudnnLibrary& lib = cuda::cudnn_library();
  const cudnnHandle_t handle = cuda::cudnn_handle(images.device());
  const cuda::TensorDescriptor x(images), y(out);
  const cuda::FilterDescriptor w(weight);
  const cuda::ConvolutionDescriptor conv(g, groups, images.dtype());
  const Plan plan = plans().get(plan_key(Pass::Forward, images, weight, g, groups), [&] {
    std::array<cudnnConvolutionFwdAlgoPerf_t, CUDNN_CONVOLUTION_FWD_ALGO_COUNT> ranked{};
    int returned = 0;
    VEIL_CUDNN_CHECK(lib.get_forward_algorithm(handle, x.get(), w.get(), conv.get(), y.get(),
                                               static_cast<int>(ranked.size()), &returned, ranked.data()));
    Plan chosen = first_usable(ranked, returned, "forward");
    VEIL_CUDNN_CHECK(lib.get_forward_workspace_size(handle, x.get(), w.get(), conv.get(), y.get(),
                                                    static_cast<cudnnConvolutionFwdAlgo_t>(chosen.algorithm),
                                                    &chosen.workspace_bytes));
    return chosen;
  });
  const Tensor space = workspace(plan.workspace_bytes, images.device());
  const Scale scale;
  VEIL_CUDNN_CHECK(lib.convolution_forward(handle, scale.one(images.dtype()), x.get(), images.raw_data(), w.get(),
                                           weight.raw_data(), conv.get(),
                                           static_cast<cudnnConvolutionFwdAlgo_t>(plan.algorithm),
                                           space.defined() ? space.raw_data() : nullptr, plan.workspace_bytes,
                                           scale.zero(images.dtype()), y.get(), out.raw_data()));
}

void cudnn_backward_data(const Tensor& grad_out, const Tensor& /*grad_rows*/, const Tensor& weight,
                         const Conv2dGeometry& g, std::int64_t groups, const Tensor& grad_images) {
  if (grad_images.numel() == 0) return;
  if (grad_out.numel() == 0) {  // no output position reads the images: their gradient is zero
    Tensor(grad_images).fill_(0.0);
    return;
  }
  const cuda::CudnnLibrary& lib = cuda::cudnn_library();
  const cudnnHandle_t handle = cuda::cudnn_handle(grad_out.device());
  const cuda::TensorDescriptor dy(grad_out), dx(grad_images);
  const cuda::FilterDescriptor w(weight);
  const cuda::ConvolutionDescriptor conv(g, groups, grad_out.dtype());
  const Plan plan = plans().get(plan_key(Pass::BackwardData, grad_images, weight, g, groups), [&] {
    std::array<cudnnConvolutionBwdDataAlgoPerf_t, CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT> ranked{};
    int returned = 0;
    VEIL_CUDNN_CHECK(lib.get_backward_data_algorithm(handle, w.get(), dy.get(), conv.get(), dx.get(),
                                                     static_cast<int>(ranked.size()), &returned, ranked.data()));
    Plan chosen = first_usable(ranked, returned, "backward-data");
    VEIL_CUDNN_CHECK(lib.get_backward_data_workspace_size(handle, w.get(), dy.get(), conv.get(), dx.get(),
                                                          static_cast<cudnnConvolutionBwdDataAlgo_t>(chosen.algorithm),
                                                          &chosen.workspace_bytes));
    return chosen;
  });
  const Tensor space = workspace(plan.workspace_bytes, grad_out.device());
  const Scale scale;
  VEIL_CUDNN_CHECK(lib.convolution_backward_data(
      handle, scale.one(grad_out.dtype()), w.get(), weight.raw_data(), dy.get(), grad_out.raw_data(), conv.get(),
      static_cast<cudnnConvolutionBwdDataAlgo_t>(plan.algorithm), space.defined() ? space.raw_data() : nullptr,
      plan.workspace_bytes, scale.zero(grad_out.dtype()), dx.get(), grad_images.raw_data()));
}

}  // namespace

const ConvKernels& cudnn_conv_kernels() {
  static const ConvKernels kernels{cudnn_forward, cudnn_backward_data};
  return kernels;
}

}  // namespace veil
