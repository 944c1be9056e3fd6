#include "veil/core/cuda/cudnn_handle.h"

#include <array>
#include <limits>
#include <memory>
#include <mutex>

#include "veil/core/cuda/cuda_context.h"

namespace veil::cuda {

namespace {

class CudnnHandle {
 public:
  explicit CudnnHandle(cudaStream_t stream) {
    VEIL_CUDNN_CHECK(cudnn_library().create(&handle_));
    bind(stream);
  }
  ~CudnnHandle() { (void)cudnn_library().destroy(handle_); }
  CudnnHandle(const CudnnHandle&) = delete;
  CudnnHandle& operator=(const CudnnHandle&) = delete;
  cudnnHandle_t get() const { return handle_; }
  // Queues the handle's work on `stream` from now on.
  void bind(cudaStream_t stream) {
    if (stream == stream_) return;
    VEIL_CUDNN_CHECK(cudnn_library().set_stream(handle_, stream));
    stream_ = stream;
  }

 private:
  cudnnHandle_t handle_ = nullptr;
  cudaStream_t stream_ = nullptr;
};

cudnnDataType_t cudnn_type(DType dtype) {
  VEIL_CHECK(dtype == DType::Float32 || dtype == DType::Float64)
      << "cuDNN convolutions take float32 or float64 tensors, got " << dtype;
  return dtype == DType::Float32 ? CUDNN_DATA_FLOAT : CUDNN_DATA_DOUBLE;
}

// cuDNN's descriptors take int sizes.
int as_int(std::int64_t value, const char* what) {
  VEIL_CHECK(value >= 0 && value <= std::numeric_limits<int>::max())
      << "cuDNN convolution: " << what << " " << value << " does not fit cuDNN's int sizes";
  return static_cast<int>(value);
}

}  // namespace

cudnnHandle_t cudnn_handle(Device device) {
  const cudaStream_t stream = stream_for(device);  // also makes the device current
  // Never destroyed, as the device contexts (core/cuda/cuda_context.cu).
  static auto* handles = new std::array<std::unique_ptr<CudnnHandle>, kMaxDevices>();
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  auto& handle = (*handles)[device.index];
  if (!handle) handle = std::make_unique<CudnnHandle>(stream);
  handle->bind(stream);  // the capture stream while this thread captures (Note [Capturing a device's work])
  return handle->get();
}

TensorDescriptor::TensorDescriptor(const Tensor& t) {
  VEIL_ASSERT(t.dim() == 4 && t.is_contiguous()) << "an NCHW descriptor for " << t.shape();
  VEIL_CUDNN_CHECK(cudnn_library().create_tensor_descriptor(&desc_));
  VEIL_CUDNN_CHECK(cudnn_library().set_tensor_4d_descriptor(desc_, CUDNN_TENSOR_NCHW, cudnn_type(t.dtype()),
                                                            as_int(t.size(0), "batch"), as_int(t.size(1), "channels"),
                                                            as_int(t.size(2), "height"), as_int(t.size(3), "width")));
}

TensorDescriptor::~TensorDescriptor() { (void)cudnn_library().destroy_tensor_descriptor(desc_); }

FilterDescriptor::FilterDescriptor(const Tensor& weight) {
  VEIL_ASSERT(weight.dim() == 4 && weight.is_contiguous()) << "a filter descriptor for " << weight.shape();
  VEIL_CUDNN_CHECK(cudnn_library().create_filter_descriptor(&desc_));
  VEIL_CUDNN_CHECK(cudnn_library().set_filter_4d_descriptor(
      desc_, cudnn_type(weight.dtype()), CUDNN_TENSOR_NCHW, as_int(weight.size(0), "output channels"),
      as_int(weight.size(1), "input channels per group"), as_int(weight.size(2), "kernel height"),
      as_int(weight.size(3), "kernel width")));
}

FilterDescriptor::~FilterDescriptor() { (void)cudnn_library().destroy_filter_descriptor(desc_); }

ConvolutionDescriptor::ConvolutionDescriptor(const Conv2dGeometry& g, std::int64_t groups, DType dtype) {
  VEIL_CUDNN_CHECK(cudnn_library().create_convolution_descriptor(&desc_));
  VEIL_CUDNN_CHECK(cudnn_library().set_convolution_2d_descriptor(
      desc_, as_int(g.pad_h, "padding"), as_int(g.pad_w, "padding"), as_int(g.stride_h, "stride"),
      as_int(g.stride_w, "stride"), as_int(g.dilation_h, "dilation"), as_int(g.dilation_w, "dilation"),
      CUDNN_CROSS_CORRELATION, cudnn_type(dtype)));
  VEIL_CUDNN_CHECK(cudnn_library().set_convolution_group_count(desc_, as_int(groups, "groups")));
  VEIL_CUDNN_CHECK(cudnn_library().set_convolution_math_type(desc_, CUDNN_FMA_MATH));
}

ConvolutionDescriptor::~ConvolutionDescriptor() { (void)cudnn_library().destroy_convolution_descriptor(desc_); }

}  // namespace veil::cuda
