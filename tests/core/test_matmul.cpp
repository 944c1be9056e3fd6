// matmul: 2-D and batched against a naive triple loop, strided inputs,
// gradients, the threaded GEMM path and shape errors.
#include <catch2/catch.hpp>

#include <vector>

#include "support/core_check.h"
#include "veil/core/cpu/gemm.h"
#include "veil/autograd/ops.h"
#include "veil/core/parallel.h"
#include "veil/core/tensor.h"

using namespace veil;
using namespace veil::testing;

namespace {

// [..., M, K] x [..., K, N] by three loops in double, batch dims (0 or 1) in front.
std::vector<double> naive_matmul(const Tensor& a, const Tensor& b) {
  const bool batched = a.dim() == 3;
  const std::int64_t batch = batched ? a.size(0) : 1;
  const std::int64_t m = a.size(-2), k = a.size(-1), n = b.size(-1);
  const auto va = values(a), vb = values(b);
  std::vector<double> out(batch * m * n, 0.0);
  for (std::int64_t p = 0; p < batch; ++p)
    for (std::int64_t i = 0; i < m; ++i)
      for (std::int64_t j = 0; j < n; ++j) {
        double acc = 0.0;
        for (std::int64_t q = 0; q < k; ++q) acc += va[(p * m + i) * k + q] * vb[(p * k + q) * n + j];
        out[(p * m + i) * n + j] = acc;
      }
  return out;
}

Shape result_shape(const Tensor& a, const Tensor& b) {
  return a.dim() == 3 ? Shape{a.size(0), a.size(1), b.size(2)} : Shape{a.size(0), b.size(1)};
}

void require_matches_naive(const Tensor& a, const Tensor& b, double tol) {
  INFO(shape_string(a.shape()) << " x " << shape_string(b.shape()) << " " << a.dtype());
  require_values(matmul(a, b), result_shape(a, b), naive_matmul(a, b), tol, tol);
}

}  // namespace

TEST_CASE("2-D matmul matches the naive triple loop", "[matmul]") {
  const std::vector<std::tuple<std::int64_t, std::int64_t, std::int64_t>> sizes = {
      {1, 1, 1}, {2, 3, 4}, {5, 1, 3}, {7, 9, 1}, {17, 33, 13}, {64, 48, 31}};
  for (const auto& [m, k, n] : sizes) {
    const Tensor a = rand({m, k}, 1), b = rand({k, n}, 2);
    require_matches_naive(a, b, 1e-13);
    require_matches_naive(a.to(DType::Float32), b.to(DType::Float32), 1e-5);
  }
  // Exact small case.
  const Tensor a = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor b = Tensor::from_vector<float>({7, 8, 9, 10, 11, 12}, {3, 2});
  REQUIRE(matmul(a, b).to_vector<float>() == std::vector<float>{58, 64, 139, 154});
}

TEST_CASE("batched matmul matches the naive loop per batch element", "[matmul]") {
  for (std::int64_t batch : {1, 3, 8}) {
    const Tensor a = rand({batch, 4, 6}, 3), b = rand({batch, 6, 5}, 4);
    require_matches_naive(a, b, 1e-13);
    require_matches_naive(a.to(DType::Float32), b.to(DType::Float32), 1e-5);
  }
}

TEST_CASE("matmul of transposed and sliced (non-contiguous) operands", "[matmul]") {
  const Tensor at = rand({6, 4}, 5).transpose(0, 1);  // [4, 6]
  const Tensor bt = rand({3, 6}, 6).transpose(0, 1);  // [6, 3]
  REQUIRE(!at.is_contiguous());
  require_matches_naive(at, bt, 1e-13);
  require_matches_naive(at, bt.contiguous(), 1e-13);
  const Tensor as = rand({5, 9}, 7).slice(1, 2, 8);  // [5, 6], row stride 9
  require_matches_naive(as, bt, 1e-13);
  const Tensor ab = rand({2, 6, 4}, 8).transpose(1, 2);  // [2, 4, 6]
  const Tensor bb = rand({6, 2, 3}, 9).transpose(0, 1);  // [2, 6, 3]
  require_matches_naive(ab, bb, 1e-13);
}

TEST_CASE("gradients of matmul, 2-D and batched, with strided inputs", "[matmul][grad]") {
  auto mm = [](const std::vector<Tensor>& in) { return matmul(in[0], in[1]); };
  require_gradcheck(mm, {rand({3, 4}, 10), rand({4, 5}, 11)});
  require_gradcheck(mm, {rand({1, 4}, 10), rand({4, 1}, 11)});
  require_gradcheck(mm, {rand({2, 3, 4}, 12), rand({2, 4, 2}, 13)});
  require_gradcheck([](const std::vector<Tensor>& in) { return matmul(in[0].transpose(0, 1), in[1]); },
                    {rand({4, 3}, 14), rand({4, 2}, 15)});
  require_gradcheck([](const std::vector<Tensor>& in) { return matmul(in[0], in[0].transpose(0, 1)); },
                    {rand({3, 4}, 16)});
  require_gradcheck([](const std::vector<Tensor>& in) { return matmul(in[0], in[1]); },
                    {rand({3, 4}, 17), rand({4, 5}, 18)}, {}, {0});
}

TEST_CASE("products over 4e6 multiply-adds (the threaded GEMM path) match the naive loop", "[matmul][threads]") {
  const int saved = num_threads();
  set_num_threads(2);
  // 150 x 200 x 160 = 4.8e6 MACs; m not a multiple of the thread count.
  const Tensor a = rand({151, 200}, 19), b = rand({200, 160}, 20);
  require_matches_naive(a, b, 1e-12);
  require_matches_naive(a.to(DType::Float32), b.to(DType::Float32), 1e-4);
  // Transposed operands through the same path.
  require_matches_naive(rand({200, 151}, 21).transpose(0, 1), rand({160, 200}, 22).transpose(0, 1), 1e-12);
  // A single-element batch leaves the threads to the GEMM.
  require_matches_naive(rand({1, 151, 200}, 23), rand({1, 200, 160}, 24), 1e-12);
  set_num_threads(saved);
}

TEST_CASE("matmul rejects bad shapes and dtypes, naming the shapes", "[matmul][errors]") {
  const Tensor a = Tensor::zeros({2, 3});
  REQUIRE_THAT(error_message([&] { matmul(a, Tensor::zeros({4, 5})); }),
               Catch::Contains("[2, 3]") && Catch::Contains("[4, 5]"));
  REQUIRE_THAT(error_message([&] { matmul(a, Tensor::zeros({3})); }), Catch::Contains("[3]"));
  REQUIRE_THAT(error_message([&] { matmul(Tensor::zeros({3}), Tensor::zeros({3, 1})); }), Catch::Contains("[3]"));
  REQUIRE_THAT(error_message([&] { matmul(Tensor::zeros({2, 2, 3}), Tensor::zeros({3, 3, 4})); }),
               Catch::Contains("[2, 2, 3]") && Catch::Contains("[3, 3, 4]"));
  REQUIRE_THAT(error_message([&] { matmul(Tensor::zeros({2, 2, 3}), Tensor::zeros({3, 4})); }),
               Catch::Contains("[2, 2, 3]") && Catch::Contains("[3, 4]"));
  REQUIRE_THAT(error_message([&] { matmul(a, Tensor::zeros({3, 2}, DType::Float64)); }), Catch::Contains("float64"));
  REQUIRE_THAT(error_message([&] { matmul(Tensor::zeros({2, 3}, DType::Int64), Tensor::zeros({3, 2}, DType::Int64)); }),
               Catch::Contains("int64"));
}

TEST_CASE("matmul with zero-size dimensions", "[matmul][empty]") {
  Tensor a = Tensor::zeros({0, 3}, DType::Float64).set_requires_grad(true);
  Tensor w = rand({3, 4}, 25).set_requires_grad(true);
  Tensor y = matmul(a, w);
  REQUIRE(y.shape() == Shape{0, 4});
  sum(y).backward();
  REQUIRE(a.grad().shape() == Shape{0, 3});
  require_values(w.grad(), {3, 4}, std::vector<double>(12, 0.0));
  // K = 0: the product is all zeros (the output buffer is not left uninitialised).
  require_values(matmul(Tensor::zeros({2, 0}), Tensor::zeros({0, 3})), {2, 3}, std::vector<double>(6, 0.0));
  REQUIRE(matmul(Tensor::zeros({0, 2, 3}), Tensor::zeros({0, 3, 4})).shape() == Shape{0, 2, 4});
  REQUIRE(matmul(Tensor::zeros({2, 0, 3}), Tensor::zeros({2, 3, 4})).shape() == Shape{2, 0, 4});
  require_values(matmul(Tensor::zeros({2, 2, 0}), Tensor::zeros({2, 0, 1})), {2, 2, 1}, {0, 0, 0, 0});
}

namespace {

// C = alpha op(A) op(B) + beta C through cpu::gemm, with leading dimensions
// larger than the rows, against the naive loop.
template <typename T>
void check_gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, double alpha,
                double beta, double tol) {
  INFO("gemm trans_a " << trans_a << " trans_b " << trans_b << " " << m << "x" << n << "x" << k << " alpha "
                       << alpha << " beta " << beta);
  const DType dtype = dtype_of<T>;
  const std::int64_t pad = 3;  // extra columns in every stored row
  const Tensor a_store = rand({trans_a ? k : m, (trans_a ? m : k) + pad}, 30, dtype);
  const Tensor b_store = rand({trans_b ? n : k, (trans_b ? k : n) + pad}, 31, dtype);
  Tensor c = rand({m, n + pad}, 32, dtype);
  const Tensor c_before = c.clone();
  // op(A), op(B) as tensors for the reference.
  Tensor a_op = a_store.slice(1, 0, trans_a ? m : k);
  if (trans_a) a_op = a_op.transpose(0, 1);
  Tensor b_op = b_store.slice(1, 0, trans_b ? k : n);
  if (trans_b) b_op = b_op.transpose(0, 1);
  const auto product = naive_matmul(a_op, b_op);
  const auto before = values(c_before);
  cpu::gemm<T>(trans_a, trans_b, m, n, k, static_cast<T>(alpha), a_store.data<T>(), a_store.size(1),
               b_store.data<T>(), b_store.size(1), static_cast<T>(beta), c.data<T>(), c.size(1));
  const auto got = values(c);
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t j = 0; j < n + pad; ++j) {
      const std::size_t o = i * (n + pad) + j;
      // Columns past n are padding and must be left alone.
      const double expected = j < n ? alpha * product[i * n + j] + beta * before[o] : before[o];
      INFO("C[" << i << ", " << j << "]");
      REQUIRE(std::fabs(got[o] - expected) <= tol * (1 + std::fabs(expected)));
    }
}

}  // namespace

TEST_CASE("cpu::gemm handles transposes, alpha, beta and leading dimensions", "[matmul][gemm]") {
  const int saved = num_threads();
  set_num_threads(2);
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      check_gemm<double>(ta, tb, 5, 7, 3, 1.0, 0.0, 1e-14);
      check_gemm<double>(ta, tb, 6, 4, 9, -0.5, 1.0, 1e-14);
      check_gemm<double>(ta, tb, 6, 4, 9, 2.0, 0.25, 1e-14);
      check_gemm<float>(ta, tb, 9, 8, 33, 1.0, 0.5, 1e-5);
      check_gemm<double>(ta, tb, 3, 4, 0, 1.0, 0.5, 1e-14);  // k = 0 scales C by beta
      // Threaded (> 4e6 MACs), with beta.
      check_gemm<double>(ta, tb, 150, 170, 160, 1.5, 0.5, 1e-12);
    }
  check_gemm<float>(false, false, 151, 160, 200, 1.0, 0.0, 1e-4);
  set_num_threads(saved);
}
