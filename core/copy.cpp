#include "veil/core/copy.h"

#include <cstring>

#include "veil/core/cpu/strided_loop.h"
#include "veil/core/device_runtime.h"
#include "veil/core/error.h"
#include "veil/core/host_reads.h"

namespace veil {

void copy_device_to_device(const Tensor& src, const Tensor& dst);  // core/cuda, or below
void copy_host_device(const Tensor& src, const Tensor& dst);

#ifndef VEIL_WITH_CUDA
void copy_device_to_device(const Tensor&, const Tensor&) {
  VEIL_FAIL() << "copy between CUDA tensors, but veil was built without CUDA";
}
void copy_host_device(const Tensor&, const Tensor&) {
  VEIL_FAIL() << "copy to or from a CUDA tensor, but veil was built without CUDA";
}
#endif

void copy_strided(const Tensor& src, const Tensor& dst) {
  VEIL_CHECK(src.shape() == dst.shape()) << "copy from shape " << src.shape() << " to shape " << dst.shape();
  VEIL_CHECK(src.device() == dst.device()) << "copy_strided across devices " << src.device() << " -> "
                                           << dst.device();
  if (src.numel() == 0) return;
  if (src.device().is_cuda()) {
    copy_device_to_device(src, dst);
    return;
  }
  if (src.dtype() == dst.dtype() && src.is_contiguous() && dst.is_contiguous()) {
    // memmove: src and dst may be overlapping views of one storage (x[1:] = x[:-1]).
    std::memmove(dst.raw_data(), src.raw_data(), src.numel() * dtype_size(src.dtype()));
    return;
  }
  dispatch_all(src.dtype(), "copy", [&]<typename S>() {
    dispatch_all(dst.dtype(), "copy", [&]<typename D>() {
      const S* in = static_cast<const S*>(src.storage()->data());
      D* out = static_cast<D*>(dst.storage()->data());
      cpu::for_each_row<2>(dst.shape(), {dst.strides(), src.strides()}, {dst.offset(), src.offset()},
                           [&](const std::array<std::int64_t, 2>& o, std::int64_t n,
                               const std::array<std::int64_t, 2>& s) {
                             for (std::int64_t i = 0; i < n; ++i)
                               out[o[0] + i * s[0]] = static_cast<D>(in[o[1] + i * s[1]]);
                           });
    });
  });
}

void copy_between_devices(const Tensor& src, const Tensor& dst) {
  VEIL_CHECK(src.shape() == dst.shape() && src.dtype() == dst.dtype())
      << "device copy needs equal shapes and dtypes: " << src.shape() << " " << src.dtype() << " -> "
      << dst.shape() << " " << dst.dtype();
  VEIL_ASSERT(src.is_contiguous() && dst.is_contiguous()) << "device copy of non-contiguous tensors";
  if (src.device().is_cuda() && dst.device().is_cpu()) check_host_read_allowed(src.device());
  // A graph would replay the copy from a staging buffer long since reused.
  VEIL_CHECK(!dst.device().is_cuda() || src.device().is_cuda() || !capturing_graph(dst.device()))
      << "copying host memory to " << dst.device() << " inside a captured CUDA graph: move the data to the GPU "
      << "before the captured step and pass it in";
  copy_host_device(src, dst);
  if (src.device().is_cuda() && dst.device().is_cpu()) note_host_read(src.device());  // Note [Host reads]
}

}  // namespace veil
