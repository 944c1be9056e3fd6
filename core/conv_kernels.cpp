#include "veil/core/conv_kernels.h"

#include <cstdlib>
#include <string>

#include "veil/core/error.h"
#include "veil/core/gemm.h"
#include "veil/core/im2row.h"
#include "veil/core/kernel_table.h"
#include "veil/core/shape.h"

namespace veil {

const ConvKernels& cudnn_conv_kernels();  // core/cuda/cudnn_conv.cu

namespace {

// A contiguous tensor seen with another shape of the same size.
Tensor view_as(const Tensor& t, const Shape& shape) { return make_view(t, shape, contiguous_strides(shape), t.offset()); }

// Rows [first, first + count) of a 2-D view.
Tensor row_block(const Tensor& t, std::int64_t first, std::int64_t count) {
  return make_view(t, {count, t.size(1)}, t.strides(), t.offset() + first * t.strides()[0]);
}

// The row layout (Note [Conv2d row layout]): per group one GEMM over the
// whole batch's rows, then [B, L, C_out] transposed to NCHW.
void im2row_forward(const Tensor& images, const Tensor& rows, const Tensor& weight, const Conv2dGeometry& g,
                    std::int64_t groups, const Tensor& out) {
  const std::int64_t batch = rows.size(0), l = rows.size(1), patch = rows.size(2), k = patch / groups;
  const std::int64_t c_out = weight.size(0), per_group = c_out / groups;
  const Tensor flat_rows = view_as(rows, {batch * l, patch});
  const Tensor w = view_as(weight, {c_out, k});
  const Tensor y_rows = Tensor::empty({batch * l, c_out}, rows.dtype(), rows.device());
  for (std::int64_t grp = 0; grp < groups; ++grp)
    gemm_nt(last_dim_block(flat_rows, grp * k, k), row_block(w, grp * per_group, per_group),
            last_dim_block(y_rows, grp * per_group, per_group));
  im2row_kernels(out.device()).transpose_samples(view_as(y_rows, {batch, l, c_out}), view_as(out, {batch, c_out, l}));
}

// Per group drows = g W, then every patch entry summed back into its pixel.
void im2row_backward_data(const Tensor& grad_out, const Tensor& grad_rows, const Tensor& weight,
                          const Conv2dGeometry& g, std::int64_t groups, const Tensor& grad_images) {
  const std::int64_t batch = grad_rows.size(0), l = grad_rows.size(1), c_out = grad_rows.size(2);
  const std::int64_t per_group = c_out / groups, k = weight.numel() / c_out, patch = k * groups;
  const Tensor flat_g = view_as(grad_rows, {batch * l, c_out});
  const Tensor w = view_as(weight, {c_out, k});
  const Tensor drows = Tensor::empty({batch * l, patch}, grad_rows.dtype(), grad_rows.device());
  for (std::int64_t grp = 0; grp < groups; ++grp)
    gemm(false, false, 1.0, last_dim_block(flat_g, grp * per_group, per_group),
         row_block(w, grp * per_group, per_group), 0.0, last_dim_block(drows, grp * k, k));
  im2row_kernels(grad_images.device()).row2im(view_as(drows, {batch, l, patch}), g, grad_images);
}

const ConvKernels kIm2rowRoute{im2row_forward, im2row_backward_data};

void check_operands(const Tensor& images_like, const Tensor& weight, std::int64_t groups, const char* op) {
  VEIL_CHECK(images_like.dim() == 4 && weight.dim() == 4)
      << op << " expects 4-D images and weight, got " << images_like.shape() << " and " << weight.shape();
  VEIL_CHECK(groups > 0 && weight.size(0) % groups == 0)
      << op << ": groups=" << groups << " must divide the weight's " << weight.size(0) << " output channels";
  VEIL_CHECK(images_like.dtype() == weight.dtype() && images_like.device() == weight.device())
      << op << ": operands on " << images_like.device() << " (" << images_like.dtype() << ") and "
      << weight.device() << " (" << weight.dtype() << ")";
}

}  // namespace

ConvRoute parse_conv_route(const char* value) {
  const std::string text = value == nullptr ? "" : value;
  if (text.empty() || text == "im2row") return ConvRoute::Im2row;
  if (text == "cudnn") return ConvRoute::Cudnn;
  throw Error("VEIL_CUDA_CONV=" + text + ": the GPU convolution route must be im2row or cudnn");
}

ConvRoute cuda_conv_route() {
  static const ConvRoute route = parse_conv_route(std::getenv("VEIL_CUDA_CONV"));
  return route;
}

const ConvKernels& conv_kernels(Device device, ConvRoute route) {
  if (device.is_cpu()) {
    VEIL_CHECK(route == ConvRoute::Im2row) << "the cuDNN convolution route runs on a GPU, not on the CPU";
    return kIm2rowRoute;
  }
#ifdef VEIL_WITH_CUDA
  return route == ConvRoute::Cudnn ? cudnn_conv_kernels() : kIm2rowRoute;
#else
  return select_kernels<ConvKernels>(device, kIm2rowRoute, nullptr, "convolution");
#endif
}

const ConvKernels& conv_kernels(Device device) {
  return conv_kernels(device, device.is_cpu() ? ConvRoute::Im2row : cuda_conv_route());
}

Tensor conv2d_forward_kernel(const Tensor& images, const Tensor& rows, const Tensor& weight, const Conv2dGeometry& g,
                             std::int64_t groups) {
  check_operands(images, weight, groups, "conv2d forward");
  const Tensor x = images.contiguous();
  Tensor out = Tensor::empty({x.size(0), weight.size(0), g.out_h(x.size(2)), g.out_w(x.size(3))}, x.dtype(),
                             x.device());
  VEIL_CHECK(rows.dim() == 3 && rows.size(0) == x.size(0) && rows.size(1) == out.size(2) * out.size(3))
      << "conv2d forward: rows " << rows.shape() << " are not the im2row of images " << x.shape();
  conv_kernels(x.device()).forward(x, rows.contiguous(), weight.contiguous(), g, groups, out);
  return out;
}

Tensor conv2d_backward_data_kernel(const Tensor& grad_out, const Tensor& grad_rows, const Tensor& weight,
                                   const Conv2dGeometry& g, std::int64_t groups, const Shape& images_shape) {
  check_operands(grad_out, weight, groups, "conv2d backward-data");
  const Tensor dy = grad_out.contiguous();
  VEIL_CHECK(images_shape.size() == 4 && dy.size(0) == images_shape[0] && dy.size(1) == weight.size(0) &&
             dy.size(2) == g.out_h(images_shape[2]) && dy.size(3) == g.out_w(images_shape[3]))
      << "conv2d backward-data: output gradient " << dy.shape() << " does not fit images " << images_shape;
  VEIL_CHECK(grad_rows.dim() == 3 && grad_rows.size(0) == dy.size(0) && grad_rows.size(2) == dy.size(1))
      << "conv2d backward-data: gradient rows " << grad_rows.shape() << " are not the row layout of " << dy.shape();
  Tensor grad_images = Tensor::empty(images_shape, dy.dtype(), dy.device());
  conv_kernels(dy.device()).backward_data(dy, grad_rows.contiguous(), weight.contiguous(), g, groups, grad_images);
  return grad_images;
}

}  // namespace veil
