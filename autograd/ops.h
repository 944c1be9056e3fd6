#pragma once
// Tensor operations. Every op here is differentiable: when an input requires
// grad (and GradMode is on) the result carries a graph node.
//
// Binary element-wise ops broadcast numpy-style (shapes aligned at the
// trailing dimension, size-1 and missing dimensions stretched), which covers
// the usual [B, D] + [D] bias case. Inputs must share dtype and device.
#include <cstdint>
#include <vector>

#include "veil/core/conv_geometry.h"
#include "veil/core/tensor.h"

namespace veil {

// ---- element-wise ---------------------------------------------------------
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor add_scalar(const Tensor& a, double value);
Tensor mul_scalar(const Tensor& a, double value);
Tensor pow_scalar(const Tensor& a, double exponent);
Tensor neg(const Tensor& a);
Tensor exp(const Tensor& a);
Tensor log(const Tensor& a);
Tensor sqrt(const Tensor& a);
Tensor relu(const Tensor& a);
Tensor tanh(const Tensor& a);
Tensor sigmoid(const Tensor& a);
// 1 where a == b, else 0, in their dtype (any dtype; not differentiable).
// Summed, it counts matches, e.g. argmax(logits, 1) against the labels.
Tensor eq(const Tensor& a, const Tensor& b);

inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
inline Tensor operator-(const Tensor& a) { return neg(a); }
inline Tensor operator+(const Tensor& a, double s) { return add_scalar(a, s); }
inline Tensor operator-(const Tensor& a, double s) { return add_scalar(a, -s); }
inline Tensor operator*(const Tensor& a, double s) { return mul_scalar(a, s); }
inline Tensor operator*(double s, const Tensor& a) { return mul_scalar(a, s); }
inline Tensor operator/(const Tensor& a, double s) { return mul_scalar(a, 1.0 / s); }

// ---- reductions -----------------------------------------------------------
Tensor sum(const Tensor& a);  // all elements -> shape []
Tensor sum(const Tensor& a, const std::vector<int>& dims, bool keepdim = false);
// The mean over zero elements is 0, not NaN: an empty batch (the DP sampler
// can draw one) contributes nothing.
Tensor mean(const Tensor& a);
Tensor mean(const Tensor& a, const std::vector<int>& dims, bool keepdim = false);
// Index of the largest element along dim (int64, not differentiable).
Tensor argmax(const Tensor& a, int dim);
// Sums a broadcast gradient back to `shape` (the reverse of broadcasting).
Tensor sum_to(const Tensor& a, const Shape& shape);

// ---- linear algebra -------------------------------------------------------
// [M, K] x [K, N] -> [M, N]; batched [B, M, K] x [B, K, N] -> [B, M, N].
Tensor matmul(const Tensor& a, const Tensor& b);

// ---- activations over a dimension ---------------------------------------
Tensor softmax(const Tensor& a, int dim);
Tensor log_softmax(const Tensor& a, int dim);

// ---- shape ----------------------------------------------------------------
Tensor concat(const std::vector<Tensor>& tensors, int dim);
// Rows of a at the given int64 indices along dim 0 (an embedding lookup).
Tensor index_select(const Tensor& a, const Tensor& indices);

// ---- convolution and pooling helpers (NCHW) --------------------------------

// [B, C, H, W] -> [B, C*kh*kw, L] with L = out_h*out_w (rows ordered c, ki, kj).
Tensor im2col(const Tensor& x, const Conv2dGeometry& g);
// The adjoint of im2col: [B, C*kh*kw, L] -> [B, C, H, W], summing overlaps.
Tensor col2im(const Tensor& cols, std::int64_t channels, std::int64_t height, std::int64_t width,
              const Conv2dGeometry& g);
// Pooling over [B, C, H, W]; padding pads with -inf (max) or counts zeros (avg).
// Padding is at most half the kernel; a dilated window that still sees only
// padding gives -inf (max) or 0 (avg) and passes no gradient.
Tensor max_pool2d(const Tensor& x, const Conv2dGeometry& g);
Tensor avg_pool2d(const Tensor& x, const Conv2dGeometry& g);

}  // namespace veil
