#include "veil/layers/rows_times_grads.h"

#include "veil/autograd/ops.h"
#include "veil/core/error.h"
#include "veil/core/gemm.h"
#include "veil/core/per_sample_kernels.h"
#include "veil/layers/per_sample_math.h"

namespace veil {

struct RowsTimesGradsLayer::Record : PerSampleRecord {
  Tensor rows;   // [B, T, G*K]
  Tensor grads;  // [B, T, G*O], scaled to per-example losses
  std::int64_t groups = 1;
  GradSampleMode requested = GradSampleMode::Auto;
  Tensor weight_samples, bias_samples;  // materialised [B, ...], lazily

  std::int64_t k() const { return rows.size(2) / groups; }
  std::int64_t o() const { return grads.size(2) / groups; }
  GradSampleMode cheaper_route() const {
    const double bytes = static_cast<double>(batch) * rows.size(2) * o() * static_cast<double>(dtype_size(rows.dtype()));
    return choose_route(requested, rows.size(1), k(), o(), bytes);
  }

  // Another call's positions join this call's, example by example.
  void append_call(const PerSampleRecord& other) override {
    const auto& o_rec = static_cast<const Record&>(other);
    rows = concat({rows, o_rec.rows}, 1);
    grads = concat({grads, o_rec.grads}, 1);
    route = cheaper_route();
    weight_samples = bias_samples = Tensor();
  }
};

void RowsTimesGradsLayer::record_rows_times_grads(const Tensor& rows, const Tensor& grads, std::int64_t groups,
                                                  const PerSampleConfig& config) {
  VEIL_ASSERT(rows.dim() == 3 && grads.dim() == 3 && rows.size(0) == grads.size(0) && rows.size(1) == grads.size(1))
      << "rows " << rows.shape() << " for output gradients " << grads.shape();
  auto rec = std::make_shared<Record>();
  rec->batch = rows.size(0);
  const double scale = per_sample::reduction_scale(config.loss_reduction, rec->batch);
  rec->rows = rows;
  rec->grads = scale == 1.0 ? grads : mul_scalar(grads, scale);
  rec->groups = groups;
  rec->requested = config.mode;
  rec->route = rec->cheaper_route();
  keep_record(rec, describe_layer(*this));
}

RowsTimesGradsLayer::Record& RowsTimesGradsLayer::rows_record() { return record<Record>(describe_layer(*this)); }

std::vector<Tensor> RowsTimesGradsLayer::per_sample_parameters() const {
  if (bias().defined()) return {weight(), bias()};
  return {weight()};
}

std::vector<Tensor> RowsTimesGradsLayer::grad_samples() {
  Record& r = rows_record();
  if (!r.weight_samples.defined()) {
    const std::int64_t k = r.k(), o = r.o();
    Tensor samples = Tensor::empty({r.batch, r.groups * o, k}, r.grads.dtype(), r.grads.device());
    for (std::int64_t grp = 0; grp < r.groups; ++grp)
      batched_gemm(true, false, 1.0, last_dim_block(r.grads, grp * o, o), last_dim_block(r.rows, grp * k, k), 0.0,
                   samples.slice(1, grp * o, (grp + 1) * o));
    Shape shape{r.batch};
    shape.insert(shape.end(), weight().shape().begin(), weight().shape().end());
    r.weight_samples = samples.reshape(shape);
    if (bias().defined()) r.bias_samples = per_sample_bias_grads(r.grads);
  }
  if (bias().defined()) return {r.weight_samples, r.bias_samples};
  return {r.weight_samples};
}

std::vector<Tensor> RowsTimesGradsLayer::per_sample_sq_norms() {
  Record& r = rows_record();
  if (r.route == GradSampleMode::Materialize) return per_sample::materialized_sq_norms(grad_samples());
  std::vector<Tensor> norms{gram_sq_norms_kernel(r.groups, r.rows, r.grads, gram_workspace_)};
  if (bias().defined()) norms.push_back(per_sample::row_sq_norms(per_sample_bias_grads(r.grads)));
  return norms;
}

void RowsTimesGradsLayer::accumulate_weighted_grads(const std::vector<Tensor>& coeffs) {
  Record& r = rows_record();
  const std::vector<Tensor> params = per_sample_parameters();
  per_sample::check_coefficients(describe_layer(*this), coeffs, params.size());
  if (r.route == GradSampleMode::Materialize) {
    per_sample::accumulate_materialized(params, grad_samples(), coeffs);
    return;
  }
  // Ghost: scale each example's output gradients by c_i, then the ordinary
  // weight-gradient GEMM over all rows (Note [Rows times output gradients]).
  const std::int64_t rows = r.batch * r.rows.size(1);
  if (coeffs[0].defined()) {
    const Tensor grads = per_sample::scale_rows(r.grads, coeffs[0]);
    const Tensor x = per_sample::zero_dropped_rows(r.rows, coeffs[0]);
    const Tensor dw = summed_weight_grad(grads.reshape({rows, grads.size(2)}), x.reshape({rows, x.size(2)}));
    per_sample::add_into_grad(weight(), dw.reshape(weight().shape()));
  }
  if (bias().defined() && coeffs[1].defined())
    per_sample::add_into_grad(bias(), summed_bias_grad(per_sample::scale_rows(r.grads, coeffs[1])));
}

Tensor RowsTimesGradsLayer::per_sample_bias_grads(const Tensor& grads) const { return sum_positions_kernel(grads); }

Tensor RowsTimesGradsLayer::summed_bias_grad(const Tensor& grads) const {
  return sum(sum_positions_kernel(grads), {0});
}

}  // namespace veil
