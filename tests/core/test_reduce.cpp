// Reductions: sum and mean over any set of dimensions, sum_to, argmax.
#include <catch2/catch.hpp>

#include <vector>

#include "support/core_check.h"
#include "veil/autograd/ops.h"
#include "veil/core/reduce_kernels.h"
#include "veil/core/tensor.h"

using namespace veil;
using namespace veil::testing;

namespace {

// Sum over the dims in `mask` of a 3-D tensor, by a loop over every element.
std::vector<double> naive_sum3(const Tensor& x, const std::vector<bool>& mask, Shape& out_shape, bool keepdim) {
  const Shape s = x.shape();
  out_shape.clear();
  Shape kept(3);
  for (int d = 0; d < 3; ++d) {
    kept[d] = mask[d] ? 1 : s[d];
    if (!mask[d]) out_shape.push_back(s[d]);
    else if (keepdim) out_shape.push_back(1);
  }
  std::vector<double> out(shape_numel(kept), 0.0);
  const auto v = values(x);
  for (std::int64_t i = 0; i < s[0]; ++i)
    for (std::int64_t j = 0; j < s[1]; ++j)
      for (std::int64_t k = 0; k < s[2]; ++k) {
        const std::int64_t oi = mask[0] ? 0 : i, oj = mask[1] ? 0 : j, ok = mask[2] ? 0 : k;
        out[(oi * kept[1] + oj) * kept[2] + ok] += v[(i * s[1] + j) * s[2] + k];
      }
  return out;
}

const std::vector<std::vector<int>> kDimSets = {{0}, {1}, {2}, {0, 1}, {0, 2}, {1, 2}, {0, 1, 2}, {-1}, {2, 0}, {}};

}  // namespace

TEST_CASE("sum and mean over every set of dims of a 3-D tensor match a naive loop", "[reduce]") {
  const Tensor base = rand({3, 4, 5}, 1);
  // Contiguous, permuted (strided) and offset inputs with the same logical shape.
  const std::vector<std::pair<const char*, Tensor>> inputs = {
      {"contiguous", base},
      {"transposed", rand({5, 4, 3}, 2).transpose(0, 2)},
      {"sliced", rand({4, 4, 7}, 3).slice(0, 1, 4).slice(2, 2, 7)},
  };
  for (const auto& [layout, x] : inputs) {
    for (const auto& dims : kDimSets) {
      for (bool keepdim : {false, true}) {
        std::vector<bool> mask(3, false);
        std::int64_t count = 1;
        for (int d : dims) {
          mask[(d + 3) % 3] = true;
          count *= x.shape()[(d + 3) % 3];
        }
        INFO(layout << " dims " << dims.size() << (dims.empty() ? 0 : dims[0]) << " keepdim " << keepdim);
        Shape shape;
        const auto expected = naive_sum3(x, mask, shape, keepdim);
        require_values(sum(x, dims, keepdim), shape, expected, 1e-14);
        std::vector<double> expected_mean = expected;
        for (double& v : expected_mean) v /= static_cast<double>(count);
        require_values(mean(x, dims, keepdim), shape, expected_mean, 1e-14);
        // float32 gives the same within float rounding.
        require_values(sum(x.to(DType::Float32), dims, keepdim), shape, expected, 1e-5);
      }
    }
    Shape shape;
    const auto total = naive_sum3(x, {true, true, true}, shape, false);
    require_values(sum(x), {}, total, 1e-13);
    require_values(mean(x), {}, {total[0] / 60.0}, 1e-14);
  }
}

TEST_CASE("large sums (several threads, blocked rows) match a naive loop", "[reduce]") {
  // Column sums with many rows and few columns take the blocked-row path;
  // with many columns the column-split path.
  for (const Shape& shape : std::vector<Shape>{{5000, 3}, {4100, 1}, {3000, 600}, {70000}}) {
    INFO("shape " << shape_string(shape));
    const Tensor x = rand(shape, 6);
    const std::int64_t rows = shape[0], cols = x.numel() / rows;
    const auto v = values(x);
    std::vector<double> col(cols, 0.0);
    double total = 0.0;
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t c = 0; c < cols; ++c) col[c] += v[r * cols + c], total += v[r * cols + c];
    require_values(sum(x, {0}), Shape(shape.begin() + 1, shape.end()), col, 1e-11);
    require_values(sum(x), {}, {total}, 1e-10);
    require_values(sum(x.to(DType::Float32), {0}), Shape(shape.begin() + 1, shape.end()), col, 1e-3);
    require_values(mean(x), {}, {total / static_cast<double>(x.numel())}, 1e-14);
  }
  // Reducing trailing dims of a large tensor (one output per row).
  const Tensor y = rand({300, 40, 30}, 7);
  const auto v = values(y);
  std::vector<double> rows(300, 0.0);
  for (std::size_t i = 0; i < v.size(); ++i) rows[i / 1200] += v[i];
  require_values(sum(y, {1, 2}), {300}, rows, 1e-12);
}

TEST_CASE("sum rejects bad dims with a message", "[reduce][errors]") {
  const Tensor x = Tensor::zeros({2, 3});
  REQUIRE_THAT(error_message([&] { sum(x, {0, 0}); }), Catch::Contains("twice"));
  REQUIRE_THAT(error_message([&] { sum(x, {1, -1}); }), Catch::Contains("twice"));
  REQUIRE_THAT(error_message([&] { sum(x, {2}); }), Catch::Contains("rank 2"));
  REQUIRE_THAT(error_message([&] { mean(x, {-3}); }), Catch::Contains("rank 2"));
}

TEST_CASE("float32 sums accumulate in higher precision", "[reduce]") {
  // 2^24 + 1000 ones: a float accumulator stops at 2^24 (adding 1 rounds
  // back), a double one gets the exact (representable) total.
  std::vector<float> v(1001, 1.0f);
  v[0] = 16777216.0f;
  const Tensor x = Tensor::from_vector<float>(v, {1001});
  REQUIRE(sum(x).item() == 16778216.0);
  REQUIRE(sum(x, {0}).item() == 16778216.0);
  REQUIRE(sum(x.reshape({1001, 1}), {0}).item() == 16778216.0);
  REQUIRE(sum(x.reshape({7, 143}), {0, 1}).item() == 16778216.0);
}

TEST_CASE("sum_to reverses broadcasting", "[reduce]") {
  const Tensor x = Tensor::from_vector<double>({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, {2, 3, 2});
  REQUIRE(sum_to(x, {2, 3, 2}).is_same(x));
  require_values(sum_to(x, {3, 2}), {3, 2}, {8, 10, 12, 14, 16, 18});
  require_values(sum_to(x, {3, 1}), {3, 1}, {18, 26, 34});
  require_values(sum_to(x, {2, 1, 2}), {2, 1, 2}, {9, 12, 27, 30});
  require_values(sum_to(x, {1, 1, 1}), {1, 1, 1}, {78});
  require_values(sum_to(x, {2}), {2}, {36, 42});
  require_values(sum_to(x, {}), {}, {78});
  REQUIRE_THAT(error_message([&] { sum_to(x, {4}); }), Catch::Contains("[2, 3, 2]") && Catch::Contains("[4]"));
  REQUIRE_THAT(error_message([&] { sum_to(x, {3, 3}); }), Catch::Contains("[3, 3]"));
  error_message([&] { sum_to(x, {1, 2, 3, 2}); });
}

TEST_CASE("argmax over each dim of a 3-D tensor matches a naive loop", "[reduce]") {
  const Tensor x = rand({4, 5, 6}, 4);
  const auto v = values(x);
  for (const Tensor& input : {x, x.to(DType::Float32), x.transpose(0, 2).contiguous().transpose(0, 2)}) {
    for (int dim = 0; dim < 3; ++dim) {
      INFO("dim " << dim);
      const Tensor got = argmax(input, dim);
      REQUIRE(got.dtype() == DType::Int64);
      Shape shape;
      for (int d = 0; d < 3; ++d)
        if (d != dim) shape.push_back(x.shape()[d]);
      REQUIRE(got.shape() == shape);
      const auto g = got.to_vector<std::int64_t>();
      std::size_t o = 0;
      for (std::int64_t p = 0; p < shape[0]; ++p)
        for (std::int64_t q = 0; q < shape[1]; ++q, ++o) {
          std::int64_t best = 0;
          double best_value = -1e300;
          for (std::int64_t r = 0; r < x.shape()[dim]; ++r) {
            std::int64_t idx[3];
            int pos = 0;
            for (int d = 0; d < 3; ++d) idx[d] = d == dim ? r : (pos++ == 0 ? p : q);
            const double value = v[(idx[0] * 5 + idx[1]) * 6 + idx[2]];
            if (value > best_value) best_value = value, best = r;
          }
          INFO("output " << o);
          REQUIRE(g[o] == best);
        }
    }
  }
  // -1 is the last dim; ties give the first index; integer tensors work.
  const Tensor t = Tensor::from_vector<std::int64_t>({3, 7, 7, 1, 2, 2}, {2, 3});
  REQUIRE(argmax(t, -1).to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 1});
  REQUIRE(argmax(t, 0).to_vector<std::int64_t>() == std::vector<std::int64_t>{0, 0, 0});
  REQUIRE_THAT(error_message([&] { argmax(t, 2); }), Catch::Contains("rank 2"));
  REQUIRE_THAT(error_message([&] { argmax(Tensor::scalar(1), 0); }), Catch::Contains("rank 0"));
}

TEST_CASE("gradients of sum, mean and sum_to", "[reduce][grad]") {
  const Tensor x = rand({3, 4, 2}, 5);
  for (const auto& dims : kDimSets) {
    for (bool keepdim : {false, true}) {
      INFO("dims " << dims.size() << " keepdim " << keepdim);
      require_gradcheck([dims, keepdim](const std::vector<Tensor>& in) { return sum(in[0], dims, keepdim); }, {x});
      require_gradcheck([dims, keepdim](const std::vector<Tensor>& in) { return mean(in[0], dims, keepdim); }, {x});
      require_gradcheck(
          [dims, keepdim](const std::vector<Tensor>& in) { return sum(in[0].transpose(0, 2), dims, keepdim); }, {x});
    }
  }
  require_gradcheck([](const std::vector<Tensor>& in) { return sum(in[0]); }, {x});
  require_gradcheck([](const std::vector<Tensor>& in) { return mean(in[0]); }, {x});
  for (const Shape& target : std::vector<Shape>{{4, 2}, {4, 1}, {3, 1, 2}, {1, 1, 1}, {2}, {}}) {
    INFO("sum_to " << shape_string(target));
    require_gradcheck([target](const std::vector<Tensor>& in) { return sum_to(in[0], target); }, {x});
  }
}

TEST_CASE("reductions accept zero-size tensors", "[reduce][empty]") {
  Tensor e = Tensor::zeros({0, 3}, DType::Float64).set_requires_grad(true);
  require_values(sum(e, {0}), {3}, {0, 0, 0});
  require_values(sum(e, {0}, true), {1, 3}, {0, 0, 0});
  REQUIRE(sum(e, {1}).shape() == Shape{0});
  require_values(sum(e), {}, {0});
  // The mean of no elements is reported as 0 (not NaN) so that an empty
  // batch contributes nothing.
  require_values(mean(e), {}, {0});
  require_values(mean(e, {0}), {3}, {0, 0, 0});
  REQUIRE(mean(e, {1}).shape() == Shape{0});
  REQUIRE(argmax(e, 1).shape() == Shape{0});
  REQUIRE_THAT(error_message([&] { argmax(e, 0); }), Catch::Contains("[0, 3]"));
  require_values(sum_to(Tensor::zeros({0, 3}), {3}), {3}, {0, 0, 0});
  REQUIRE(sum_to(Tensor::zeros({2, 0}), {1, 0}).shape() == Shape{1, 0});

  Tensor loss = mean(e) + sum(mean(e, {1})) + sum(sum(e, {0}));
  loss.backward();
  REQUIRE(e.grad().shape() == Shape{0, 3});
}

TEST_CASE("the reduction kernels record no graph; broadcast_reduced_dims lists what sum_to reduces", "[reduce]") {
  const Tensor x = rand({2, 3, 4}, 50);
  Tensor leaf = x.clone().set_requires_grad(true);
  const Tensor s = sum_kernel(leaf, {0, 2}, true);
  CHECK_FALSE(s.requires_grad());
  CHECK(s.shape() == Shape{1, 3, 1});
  require_identical(s, sum(x, {0, 2}, true));
  require_identical(argmax_kernel(leaf, 1), argmax(x, 1));
  CHECK(broadcast_reduced_dims({2, 3, 4}, {3, 1}) == std::vector<int>{0, 2});
  CHECK(broadcast_reduced_dims({2, 3}, {2, 3}).empty());
  CHECK(broadcast_reduced_dims({5, 1}, {1}) == std::vector<int>{0});
  REQUIRE_THAT(error_message([] { broadcast_reduced_dims({2, 3}, {4}); }), Catch::Contains("cannot reduce"));
  const ReduceKernels& cpu = reduce_kernels(Device::cpu());
  CHECK((cpu.sum != nullptr && cpu.argmax != nullptr));
}
