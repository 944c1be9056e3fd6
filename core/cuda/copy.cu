// Copies that involve GPU memory. Between GPU tensors any strides and dtypes
// (one thread per element, as copy_strided does on the CPU); between host and
// GPU contiguous tensors of one dtype: to the GPU queued from pinned staging
// (Note [Pinned staging]), to the host synchronously.
#include "veil/core/copy.h"
#include "veil/core/cuda/launch.h"
#include "veil/core/cuda/stream_wait.h"
#include "veil/core/cuda/strided_view.h"

namespace veil {

namespace {

template <typename S, typename D>
void strided_copy(const Tensor& src, const Tensor& dst) {
  const S* in = static_cast<const S*>(src.storage()->data());
  D* out = static_cast<D*>(dst.storage()->data());
  const cuda::StridedView vin = cuda::make_strided_view(src, dst.shape());
  const cuda::StridedView vout = cuda::make_strided_view(dst, dst.shape());
  cuda::for_each_index("strided copy", dst.device(), dst.numel(), [=] __device__(std::int64_t i) {
    out[vout.element_offset(i)] = static_cast<D>(in[vin.element_offset(i)]);
  });
}

}  // namespace

void copy_device_to_device(const Tensor& src, const Tensor& dst) {
  VEIL_CHECK(src.device() == dst.device()) << "copy between GPUs " << src.device() << " and " << dst.device()
                                           << ": move through the CPU";
  if (src.storage() == dst.storage()) {
    // Overlapping views of one storage (x[1:] = x[:-1]): threads would race, so stage.
    const Tensor staged = Tensor::empty(src.shape(), src.dtype(), src.device());
    copy_device_to_device(src, staged);
    copy_device_to_device(staged, dst);
    return;
  }
  if (src.dtype() == dst.dtype() && src.is_contiguous() && dst.is_contiguous()) {
    VEIL_CUDA_CHECK(cudaMemcpyAsync(dst.raw_data(), src.raw_data(), src.numel() * dtype_size(src.dtype()),
                                    cudaMemcpyDeviceToDevice, cuda::stream_for(dst.device())));
    return;
  }
  dispatch_all(src.dtype(), "copy", [&]<typename S>() {
    dispatch_all(dst.dtype(), "copy", [&]<typename D>() { strided_copy<S, D>(src, dst); });
  });
}

void copy_host_device(const Tensor& src, const Tensor& dst) {
  const Device gpu = src.device().is_cuda() ? src.device() : dst.device();
  const std::size_t bytes = src.numel() * dtype_size(src.dtype());
  if (src.device().is_cpu()) {
    // Queued from pinned slots, without waiting (Note [Pinned staging]).
    cuda::DeviceContext& context = cuda::device_context(gpu);
    context.staging.copy_to_device(dst.raw_data(), src.raw_data(), bytes, context.stream.get());
    return;
  }
  const cudaMemcpyKind kind = dst.device().is_cuda() ? cudaMemcpyDeviceToDevice : cudaMemcpyDeviceToHost;
  // Synchronous on the device's stream: the host reads its buffer right after.
  // The queued work is waited for first, watched (Note [Watched device
  // waits]): a copy to pageable memory would block inside the driver.
  // A copy to another GPU may land in a block its stream still uses (the
  // caching allocator hands out blocks freed there without waiting): that
  // stream finishes first. Copies between GPUs are rare; a wait is simplest.
  if (dst.device().is_cuda()) cuda::wait_for_stream(dst.device(), cuda::stream_for(dst.device()));
  const cudaStream_t stream = cuda::stream_for(gpu);
  cuda::wait_for_stream(gpu, stream);
  VEIL_CUDA_CHECK(cudaMemcpyAsync(dst.raw_data(), src.raw_data(), bytes, kind, stream));
  VEIL_CUDA_CHECK(cudaStreamSynchronize(stream));
}

}  // namespace veil
