#include "veil/layers/per_sample_math.h"

#include "veil/core/error.h"
#include "veil/core/per_sample_kernels.h"

namespace veil::per_sample {

Tensor row_sq_norms(const Tensor& per_sample) { return row_sq_norms_kernel(per_sample); }

Tensor weighted_row_sum(const Tensor& per_sample, const Tensor& coeffs) {
  return weighted_row_sum_kernel(per_sample, coeffs);
}

Tensor scale_rows(const Tensor& per_sample, const Tensor& coeffs) { return scale_rows_kernel(per_sample, coeffs); }

void add_into_grad(const Tensor& param, const Tensor& update) {
  VEIL_ASSERT(update.shape() == param.shape()) << "update " << update.shape() << " for parameter " << param.shape();
  Tensor grad = param.grad();
  if (grad.defined()) grad.add_(update);
  else param.set_grad(update.is_contiguous() ? update : update.contiguous());
}

std::vector<Tensor> materialized_sq_norms(const std::vector<Tensor>& samples) {
  std::vector<Tensor> norms;
  for (const Tensor& gs : samples) norms.push_back(row_sq_norms(gs));
  return norms;
}

void accumulate_materialized(const std::vector<Tensor>& params, const std::vector<Tensor>& samples,
                             const std::vector<Tensor>& coeffs) {
  for (std::size_t p = 0; p < samples.size(); ++p)
    if (coeffs[p].defined()) add_into_grad(params[p], weighted_row_sum(samples[p], coeffs[p]));
}

Tensor zero_dropped_rows(const Tensor& per_sample, const Tensor& coeffs) {
  return any_zero_kernel(coeffs) ? scale_rows(per_sample, keep_mask(coeffs)) : per_sample;
}

Tensor keep_mask(const Tensor& coeffs) { return keep_mask_kernel(coeffs); }

void check_coefficients(const std::string& layer, const std::vector<Tensor>& coeffs, std::size_t parameters) {
  VEIL_CHECK(coeffs.size() == parameters)
      << layer << ": " << coeffs.size() << " coefficient vectors for " << parameters << " parameters";
}

double reduction_scale(LossReduction reduction, std::int64_t batch) {
  return reduction == LossReduction::Mean ? static_cast<double>(batch) : 1.0;
}

}  // namespace veil::per_sample
