#include "veil/layers/per_sample_math.h"

#include "veil/core/error.h"
#include "veil/core/parallel.h"

namespace veil::per_sample {

namespace {

std::int64_t row_size(const Tensor& t) { return t.size(0) == 0 ? 0 : t.numel() / t.size(0); }

}  // namespace

Tensor row_sq_norms(const Tensor& per_sample) {
  const Tensor t = per_sample.contiguous();
  const std::int64_t batch = t.size(0), width = row_size(t);
  Tensor out = Tensor::empty({batch}, DType::Float64);
  double* po = out.data<double>();
  dispatch_floating(t.dtype(), "row_sq_norms", [&]<typename T>() {
    const T* p = t.data<T>();
    parallel_for(batch, 4, [&](std::int64_t b0, std::int64_t b1) {
      for (std::int64_t i = b0; i < b1; ++i) {
        double acc = 0.0;
        for (std::int64_t j = 0; j < width; ++j) acc += static_cast<double>(p[i * width + j]) * p[i * width + j];
        po[i] = acc;
      }
    });
  });
  return out;
}

Tensor weighted_row_sum(const Tensor& per_sample, const Tensor& coeffs) {
  const Tensor t = per_sample.contiguous();
  const std::int64_t batch = t.size(0), width = row_size(t);
  VEIL_CHECK(coeffs.numel() == batch) << "weighted_row_sum: " << coeffs.numel() << " coefficients for " << batch
                                      << " samples";
  Shape shape(t.shape().begin() + 1, t.shape().end());
  Tensor out = Tensor::zeros(shape, t.dtype());
  const double* c = coeffs.data<double>();
  dispatch_floating(t.dtype(), "weighted_row_sum", [&]<typename T>() {
    const T* p = t.data<T>();
    T* po = out.data<T>();
    parallel_for(width, 1024, [&](std::int64_t j0, std::int64_t j1) {
      for (std::int64_t i = 0; i < batch; ++i) {
        if (c[i] == 0.0) continue;  // a dropped example, possibly non-finite
        const T ci = static_cast<T>(c[i]);
        for (std::int64_t j = j0; j < j1; ++j) po[j] += ci * p[i * width + j];
      }
    });
  });
  return out;
}

Tensor scale_rows(const Tensor& per_sample, const Tensor& coeffs) {
  const Tensor t = per_sample.contiguous();
  const std::int64_t batch = t.size(0), width = row_size(t);
  Tensor out = Tensor::empty(t.shape(), t.dtype());
  const double* c = coeffs.data<double>();
  dispatch_floating(t.dtype(), "scale_rows", [&]<typename T>() {
    const T* p = t.data<T>();
    T* po = out.data<T>();
    parallel_for(batch, 4, [&](std::int64_t b0, std::int64_t b1) {
      for (std::int64_t i = b0; i < b1; ++i)
        for (std::int64_t j = 0; j < width; ++j)
          po[i * width + j] = c[i] == 0.0 ? T(0) : static_cast<T>(c[i]) * p[i * width + j];
    });
  });
  return out;
}

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
  const double* c = coeffs.data<double>();
  const std::int64_t batch = coeffs.numel();
  bool any_dropped = false;
  for (std::int64_t i = 0; i < batch; ++i) any_dropped = any_dropped || c[i] == 0.0;
  return any_dropped ? scale_rows(per_sample, keep_mask(coeffs)) : per_sample;
}

Tensor keep_mask(const Tensor& coeffs) {
  Tensor mask = Tensor::empty({coeffs.numel()}, DType::Float64);
  const double* c = coeffs.data<double>();
  double* m = mask.data<double>();
  for (std::int64_t i = 0; i < coeffs.numel(); ++i) m[i] = c[i] == 0.0 ? 0.0 : 1.0;
  return mask;
}

void check_coefficients(const std::string& layer, const std::vector<Tensor>& coeffs, std::size_t parameters) {
  VEIL_CHECK(coeffs.size() == parameters)
      << layer << ": " << coeffs.size() << " coefficient vectors for " << parameters << " parameters";
}

double reduction_scale(LossReduction reduction, std::int64_t batch) {
  return reduction == LossReduction::Mean ? static_cast<double>(batch) : 1.0;
}

}  // namespace veil::per_sample
