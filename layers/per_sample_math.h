#pragma once
// Helpers shared by the per-sample rules of parametric layers, over the
// per-sample kernels (core/per_sample_kernels.h); per-sample results are
// float64 [B].
#include <string>
#include <vector>

#include "veil/core/tensor.h"
#include "veil/layers/per_sample.h"

namespace veil::per_sample {

// ||rows_i||^2 for a [B, ...] tensor viewed as B rows.
Tensor row_sq_norms(const Tensor& per_sample);
// sum_i c_i * per_sample[i] for per_sample [B, ...] and c float64 [B];
// result shaped like one sample.
Tensor weighted_row_sum(const Tensor& per_sample, const Tensor& coeffs);
// Multiplies each sample's block of a [B, ...] tensor by c_i (a copy). In
// this and weighted_row_sum a coefficient of exactly 0 drops the sample's
// block even when it holds NaN or inf.
Tensor scale_rows(const Tensor& per_sample, const Tensor& coeffs);
// `per_sample` with the blocks of samples whose coefficient is 0 set to
// zero (itself when there are none): the activations side of a ghost-route
// GEMM, so that a dropped non-finite example cannot leak NaN through 0 * NaN.
Tensor zero_dropped_rows(const Tensor& per_sample, const Tensor& coeffs);
// 1 where coeffs is non-zero, 0 where it is 0 (float64 [B]).
Tensor keep_mask(const Tensor& coeffs);
// Adds `update` into p's .grad (creating it when absent).
void add_into_grad(const Tensor& param, const Tensor& update);
// The Materialize route of PerSampleLayer from per-sample gradients
// `samples` (one [B, ...] per parameter): squared norms, and the weighted
// sums added into the parameters' .grad (undefined coefficients skipped).
std::vector<Tensor> materialized_sq_norms(const std::vector<Tensor>& samples);
void accumulate_materialized(const std::vector<Tensor>& params, const std::vector<Tensor>& samples,
                             const std::vector<Tensor>& coeffs);
// Checks that accumulate_weighted_grads got one coefficient vector per parameter.
void check_coefficients(const std::string& layer, const std::vector<Tensor>& coeffs, std::size_t parameters);
// The factor that turns output gradients into per-example-loss gradients
// (Note [Per-sample gradient routes]): B for a mean loss, 1 for a sum.
double reduction_scale(LossReduction reduction, std::int64_t batch);

}  // namespace veil::per_sample
