#include "veil/layers/embedding.h"

#include <algorithm>
#include <numeric>
#include <sstream>

#include "veil/autograd/node.h"
#include "veil/core/device_check.h"
#include "veil/autograd/ops.h"
#include "veil/core/parallel.h"
#include "veil/layers/per_sample_math.h"

namespace veil {

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

namespace {

// table[indices[t]] += scale * rows[t] for t < count; rows and table rows
// have `dim` elements.
template <typename T>
void scatter_add_rows(T* table, const std::int64_t* indices, const T* rows, std::int64_t count, std::int64_t dim,
                      T scale) {
  for (std::int64_t t = 0; t < count; ++t) {
    T* dst = table + indices[t] * dim;
    const T* src = rows + t * dim;
    for (std::int64_t j = 0; j < dim; ++j) dst[j] += scale * src[j];
  }
}

}  // namespace

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
  require_cpu(indices, "Embedding");
  require_cpu(weight_, "Embedding");
  const Tensor idx = indices.contiguous();
  const std::int64_t batch = idx.size(0), positions = idx.dim() == 2 ? idx.size(1) : 1;
  const std::int64_t count = batch * positions, dim = embedding_dim_;
  const std::int64_t* pi = idx.data<std::int64_t>();
  for (std::int64_t k = 0; k < count; ++k)
    VEIL_CHECK(pi[k] >= 0 && pi[k] < num_embeddings_)
        << describe() << ": index " << pi[k] << " (example " << k / positions << ", position " << k % positions
        << ") is outside [0, " << num_embeddings_ << ")";

  Shape out_shape = idx.shape();
  out_shape.push_back(dim);
  Tensor y = Tensor::empty(out_shape, weight_.dtype());
  dispatch_floating(weight_.dtype(), "Embedding", [&]<typename T>() {
    const T* pw = weight_.data<T>();
    T* py = y.data<T>();
    parallel_for(count, 64, [&](std::int64_t k0, std::int64_t k1) {
      for (std::int64_t k = k0; k < k1; ++k) std::copy(pw + pi[k] * dim, pw + (pi[k] + 1) * dim, py + k * dim);
    });
  });

  const PerSampleConfig config = per_sample_config();
  auto backward = [=, this](const Tensor& grad) {
    const Tensor g = grad.contiguous();
    std::vector<Tensor> grads(2);  // indices get none
    if (config.enabled()) {
      // Per-sample recording replaces the summed weight gradient.
      auto rec = std::make_shared<Record>();
      rec->indices = idx.reshape({batch, positions});
      const double scale = per_sample::reduction_scale(config.loss_reduction, batch);
      rec->g = (scale == 1.0 ? g : mul_scalar(g, scale)).reshape({batch, positions, dim});
      rec->batch = batch;
      rec->positions = positions;
      rec->route = config.mode == GradSampleMode::Materialize ? GradSampleMode::Materialize : GradSampleMode::Ghost;
      keep_record(rec, describe());
      return grads;
    }
    Tensor dw = Tensor::zeros({num_embeddings_, dim}, g.dtype());
    dispatch_floating(g.dtype(), "Embedding backward", [&]<typename T>() {
      scatter_add_rows(dw.data<T>(), idx.data<std::int64_t>(), g.data<T>(), count, dim, T(1));
    });
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
    const std::int64_t b = r.batch, t = r.positions, v = num_embeddings_, d = embedding_dim_;
    r.weight_samples = Tensor::zeros({b, v, d}, r.g.dtype());
    dispatch_floating(r.g.dtype(), "Embedding grad_samples", [&]<typename T>() {
      const std::int64_t* pi = r.indices.data<std::int64_t>();
      const T* pg = r.g.data<T>();
      T* pw = r.weight_samples.data<T>();
      parallel_for(b, 1, [&](std::int64_t i0, std::int64_t i1) {
        for (std::int64_t i = i0; i < i1; ++i) scatter_add_rows(pw + i * v * d, pi + i * t, pg + i * t * d, t, d, T(1));
      });
    });
  }
  return {r.weight_samples};
}

std::vector<Tensor> Embedding::per_sample_sq_norms() {
  Record& r = record<Record>(describe());
  if (r.route == GradSampleMode::Materialize) return per_sample::materialized_sq_norms(grad_samples());
  const std::int64_t b = r.batch, t = r.positions, d = embedding_dim_;
  Tensor norms = Tensor::empty({b}, DType::Float64);
  double* pn = norms.data<double>();
  dispatch_floating(r.g.dtype(), "Embedding sparse norms", [&]<typename T>() {
    const std::int64_t* pi = r.indices.data<std::int64_t>();
    const T* pg = r.g.data<T>();
    parallel_for(b, 1, [&](std::int64_t i0, std::int64_t i1) {
      std::vector<std::int64_t> order(t);
      std::vector<double> row(d);
      for (std::int64_t i = i0; i < i1; ++i) {
        const std::int64_t* idx = pi + i * t;
        const T* gi = pg + i * t * d;
        // Positions grouped by index: each group sums into one row of dW_i.
        std::iota(order.begin(), order.end(), std::int64_t{0});
        std::sort(order.begin(), order.end(), [idx](std::int64_t a, std::int64_t c) { return idx[a] < idx[c]; });
        double total = 0.0;
        for (std::int64_t start = 0, end = 0; start < t; start = end) {
          std::fill(row.begin(), row.end(), 0.0);
          for (end = start; end < t && idx[order[end]] == idx[order[start]]; ++end)
            for (std::int64_t j = 0; j < d; ++j) row[j] += gi[order[end] * d + j];
          for (double value : row) total += value * value;
        }
        pn[i] = total;
      }
    });
  });
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
  const std::int64_t t = r.positions, d = embedding_dim_;
  Tensor dw = Tensor::zeros(weight_.shape(), r.g.dtype());
  const double* c = coeffs[0].data<double>();
  dispatch_floating(r.g.dtype(), "Embedding weighted grads", [&]<typename T>() {
    const std::int64_t* pi = r.indices.data<std::int64_t>();
    const T* pg = r.g.data<T>();
    // Serial over examples: two examples may hit the same row.
    for (std::int64_t i = 0; i < r.batch; ++i)
      if (c[i] != 0.0) scatter_add_rows(dw.data<T>(), pi + i * t, pg + i * t * d, t, d, static_cast<T>(c[i]));
  });
  per_sample::add_into_grad(weight_, dw);
}

}  // namespace veil
