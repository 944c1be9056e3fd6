#include "veil/layers/embedding.h"

#include <sstream>
#include <string>

#include "veil/autograd/node.h"
#include "veil/autograd/ops.h"
#include "veil/core/device_checks.h"
#include "veil/core/index_rows.h"
#include "veil/layers/per_sample_math.h"

namespace veil {

namespace {

// Immediate on the CPU, deferred on a GPU (Note [Deferred device errors]),
// where meanwhile the rows of bad indices read 0 and get no gradient.
const DeviceCheck kIndexInRange([](const CheckFailure& f) {
  std::string message = "Embedding: index " + std::to_string(static_cast<std::int64_t>(f.value)) + " (example " +
                        std::to_string(f.index / f.row_length) + ", position " + std::to_string(f.index % f.row_length) +
                        ") is outside [0, " + std::to_string(f.limit) + ")";
  if (f.count > 1) message += "; " + std::to_string(f.count) + " indices are outside in all";
  return message;
});

}  // namespace

// indices [B, T] and g [B, T, D] (g already scaled to per-example losses).
struct Embedding::Record : PerSampleRecord {
  Tensor indices, g;
  std::int64_t positions = 1;
  Tensor weight_samples;  // materialised [B, V, D], lazily

  // Another call's looked-up positions join this call's, example by example.
  void append_call(const PerSampleRecord& other) override {
    const auto& o = static_cast<const Record&>(other);
    indices = concat({indices, o.indices}, 1);
    g = concat({g, o.g}, 1);
    positions += o.positions;
    weight_samples = Tensor();
  }
};

Embedding::Embedding(std::int64_t num_embeddings, std::int64_t embedding_dim, std::uint64_t seed)
    : Module("Embedding"), num_embeddings_(num_embeddings), embedding_dim_(embedding_dim) {
  VEIL_CHECK(num_embeddings > 0 && embedding_dim > 0)
      << "Embedding(" << num_embeddings << ", " << embedding_dim << "): sizes must be positive";
  weight_ = register_parameter("weight", Tensor::normal({num_embeddings, embedding_dim}, 0.0, 1.0, seed, 0));
}

std::string Embedding::describe() const {
  std::ostringstream os;
  os << "Embedding(num_embeddings=" << num_embeddings_ << ", embedding_dim=" << embedding_dim_ << ")";
  return os.str();
}

Tensor Embedding::forward(const Tensor& indices) {
  VEIL_CHECK(indices.dtype() == DType::Int64) << describe() << " expects int64 indices, got " << indices.dtype();
  VEIL_CHECK(indices.dim() == 1 || indices.dim() == 2)
      << describe() << " expects indices [B] or [B, T], got " << indices.shape();
  VEIL_CHECK(indices.device() == weight_.device())
      << describe() << ": indices on " << indices.device() << " for a weight on " << weight_.device();
  const IndexRowsKernels& kernels = index_rows_kernels(weight_.device());
  const Tensor idx = indices.contiguous();
  const std::int64_t batch = idx.size(0), positions = idx.dim() == 2 ? idx.size(1) : 1;
  const std::int64_t dim = embedding_dim_;
  const Tensor idx2 = idx.reshape({batch, positions});
  check_indices_in_range(idx2, num_embeddings_, kIndexInRange);

  Shape out_shape = idx.shape();
  out_shape.push_back(dim);
  Tensor y = Tensor::empty(out_shape, weight_.dtype(), weight_.device());
  kernels.gather_rows(weight_.detach(), idx, y);

  const PerSampleConfig config = per_sample_config();
  auto backward = [=, this](const Tensor& grad) {
    const Tensor g = grad.contiguous().reshape({batch, positions, dim});
    std::vector<Tensor> grads(2);  // indices get none
    if (config.enabled()) {
      // Per-sample recording replaces the summed weight gradient.
      auto rec = std::make_shared<Record>();
      rec->indices = idx2;
      const double scale = per_sample::reduction_scale(config.loss_reduction, batch);
      rec->g = scale == 1.0 ? g : mul_scalar(g, scale);
      rec->batch = batch;
      rec->positions = positions;
      rec->route = config.mode == GradSampleMode::Materialize ? GradSampleMode::Materialize : GradSampleMode::Ghost;
      keep_record(rec, describe());
      return grads;
    }
    Tensor dw = Tensor::zeros({num_embeddings_, dim}, g.dtype(), g.device());
    index_rows_kernels(g.device()).scatter_add_rows(idx2, g, Tensor(), dw);
    grads[1] = dw;
    return grads;
  };
  return autograd::record_op("Embedding", y, {indices, weight_}, backward);
}

// ---- per-sample rule -----------------------------------------------------------

std::vector<Tensor> Embedding::per_sample_parameters() const { return {weight_}; }

std::vector<Tensor> Embedding::grad_samples() {
  Record& r = record<Record>(describe());
  if (!r.weight_samples.defined()) {
    r.weight_samples = Tensor::zeros({r.batch, num_embeddings_, embedding_dim_}, r.g.dtype(), r.g.device());
    index_rows_kernels(r.g.device()).scatter_add_per_sample(r.indices, r.g, r.weight_samples);
  }
  return {r.weight_samples};
}

std::vector<Tensor> Embedding::per_sample_sq_norms() {
  Record& r = record<Record>(describe());
  if (r.route == GradSampleMode::Materialize) return per_sample::materialized_sq_norms(grad_samples());
  Tensor norms = Tensor::empty({r.batch}, DType::Float64, r.g.device());
  index_rows_kernels(r.g.device()).scattered_sq_norms(r.indices, r.g, norms);
  return {norms};
}

void Embedding::accumulate_weighted_grads(const std::vector<Tensor>& coeffs) {
  Record& r = record<Record>(describe());
  per_sample::check_coefficients(describe(), coeffs, 1);
  if (!coeffs[0].defined()) return;
  VEIL_CHECK(coeffs[0].numel() == r.batch)
      << describe() << ": " << coeffs[0].numel() << " coefficients for " << r.batch << " samples";
  if (r.route == GradSampleMode::Materialize) {
    per_sample::accumulate_materialized(per_sample_parameters(), grad_samples(), coeffs);
    return;
  }
  Tensor dw = Tensor::zeros(weight_.shape(), r.g.dtype(), r.g.device());
  index_rows_kernels(r.g.device()).scatter_add_rows(r.indices, r.g, coeffs[0].contiguous(), dw);
  per_sample::add_into_grad(weight_, dw);
}

}  // namespace veil
