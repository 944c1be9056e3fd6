// concat and index_select.
#include <catch2/catch.hpp>

#include <vector>

#include "support/core_check.h"
#include "veil/autograd/ops.h"
#include "veil/core/index_kernels.h"
#include "veil/core/tensor.h"

using namespace veil;
using namespace veil::testing;

TEST_CASE("concat along each dim of 3-D tensors places every block", "[shape]") {
  const Tensor a = rand({2, 3, 4}, 1);
  for (int dim = 0; dim < 3; ++dim) {
    INFO("dim " << dim);
    Shape sb = a.shape(), sc = a.shape();
    sb[dim] = 1;
    sc[dim] = 2;
    const Tensor b = rand(sb, 2), c = rand(sc, 3).transpose(0, 2).contiguous().transpose(0, 2);  // strided c
    const Tensor out = concat({a, b, c}, dim);
    Shape expected_shape = a.shape();
    expected_shape[dim] = a.shape()[dim] + 1 + 2;
    REQUIRE(out.shape() == expected_shape);
    // Every block reads back through a slice.
    require_same(out.slice(dim, 0, a.shape()[dim]), a);
    require_same(out.slice(dim, a.shape()[dim], a.shape()[dim] + 1), b);
    require_same(out.slice(dim, a.shape()[dim] + 1, expected_shape[dim]), c);
    require_same(concat({a, b, c}, dim - 3), out);  // negative dim
  }
  // Exact 2-D example.
  const Tensor x = Tensor::from_vector<float>({1, 2, 3, 4}, {2, 2});
  const Tensor y = Tensor::from_vector<float>({5, 6}, {2, 1});
  REQUIRE(concat({x, y}, 1).to_vector<float>() == std::vector<float>{1, 2, 5, 3, 4, 6});
  REQUIRE(concat({x, y.transpose(0, 1)}, 0).to_vector<float>() == std::vector<float>{1, 2, 3, 4, 5, 6});
  REQUIRE(concat({x}, 0).to_vector<float>() == x.to_vector<float>());
  // Integer tensors.
  const Tensor i = Tensor::from_vector<std::int64_t>({1, 2}, {2});
  REQUIRE(concat({i, i}, 0).to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 2, 1, 2});
}

TEST_CASE("concat rejects mismatched inputs with a message", "[shape][errors]") {
  const Tensor a = Tensor::zeros({2, 3});
  REQUIRE_THAT(error_message([&] { concat({}, 0); }), Catch::Contains("empty"));
  REQUIRE_THAT(error_message([&] { concat({a, Tensor::zeros({3, 3})}, 1); }),
               Catch::Contains("[2, 3]") && Catch::Contains("[3, 3]"));
  REQUIRE_THAT(error_message([&] { concat({a, Tensor::zeros({2})}, 0); }), Catch::Contains("[2]"));
  REQUIRE_THAT(error_message([&] { concat({a, Tensor::zeros({2, 3}, DType::Float64)}, 0); }),
               Catch::Contains("float64"));
  REQUIRE_THAT(error_message([&] { concat({a, a}, 2); }), Catch::Contains("rank 2"));
  REQUIRE_THAT(error_message([&] { concat({Tensor::scalar(1), Tensor::scalar(2)}, 0); }), Catch::Contains("rank 0"));
}

TEST_CASE("gradient of concat along each dim", "[shape][grad]") {
  for (int dim = 0; dim < 3; ++dim) {
    INFO("dim " << dim);
    Shape sb = {2, 3, 2};
    sb[dim] = 1;
    require_gradcheck([dim](const std::vector<Tensor>& in) { return concat({in[0], in[1], in[0]}, dim); },
                      {rand({2, 3, 2}, 4), rand(sb, 5)});
  }
  // One input without grad.
  require_gradcheck([](const std::vector<Tensor>& in) { return concat({in[0], in[1]}, 1); },
                    {rand({2, 2}, 6), rand({2, 3}, 7)}, {}, {1});
}

TEST_CASE("index_select gathers rows, with repeats and multi-dimensional indices", "[shape]") {
  const Tensor table = Tensor::from_vector<float>({0, 1, 10, 11, 20, 21, 30, 31}, {4, 2});
  const Tensor idx = Tensor::from_vector<std::int64_t>({3, 0, 3, 1}, {4});
  const Tensor rows = index_select(table, idx);
  REQUIRE(rows.shape() == Shape{4, 2});
  REQUIRE(rows.to_vector<float>() == std::vector<float>{30, 31, 0, 1, 30, 31, 10, 11});
  const Tensor idx2 = Tensor::from_vector<std::int64_t>({2, 2, 1, 0, 3, 3}, {2, 3});
  const Tensor rows2 = index_select(table, idx2);
  REQUIRE(rows2.shape() == Shape{2, 3, 2});
  REQUIRE(rows2.to_vector<float>() == std::vector<float>{20, 21, 20, 21, 10, 11, 0, 1, 30, 31, 30, 31});
  // 1-D table and a strided table.
  REQUIRE(index_select(Tensor::from_vector<double>({5, 6, 7}, {3}), Tensor::from_vector<std::int64_t>({2, 0}, {2}))
              .to_vector<double>() == std::vector<double>{7, 5});
  REQUIRE(index_select(table.transpose(0, 1), Tensor::from_vector<std::int64_t>({1}, {1})).to_vector<float>() ==
          std::vector<float>{1, 11, 21, 31});
  // Strided indices.
  const Tensor strided_idx = Tensor::from_vector<std::int64_t>({1, 9, 2, 9}, {2, 2}).slice(1, 0, 1);
  REQUIRE(index_select(table, strided_idx).to_vector<float>() == std::vector<float>{10, 11, 20, 21});
}

TEST_CASE("index_select names an index outside the rows and counts them", "[shape]") {
  const Tensor table = Tensor::from_vector<float>({0, 1, 10, 11}, {2, 2});
  REQUIRE_THROWS_WITH(index_select_kernel(table, Tensor::from_vector<std::int64_t>({1, 2, 0}, {3})),
                      "index 2 out of range for 2 rows");
  REQUIRE_THROWS_WITH(index_select_kernel(table, Tensor::from_vector<std::int64_t>({-1, 0, 5}, {3})),
                      "index -1 out of range for 2 rows (2 indices out of range in all)");
}

TEST_CASE("index_select rejects bad indices", "[shape][errors]") {
  const Tensor table = Tensor::zeros({4, 2});
  REQUIRE_THAT(error_message([&] { index_select(table, Tensor::from_vector<std::int64_t>({0, 4}, {2})); }),
               Catch::Contains("index 4") && Catch::Contains("4 rows"));
  REQUIRE_THAT(error_message([&] { index_select(table, Tensor::from_vector<std::int64_t>({-1}, {1})); }),
               Catch::Contains("index -1"));
  REQUIRE_THAT(error_message([&] { index_select(table, Tensor::from_vector<float>({0}, {1})); }),
               Catch::Contains("int64"));
  error_message([&] { index_select(Tensor::scalar(1), Tensor::from_vector<std::int64_t>({0}, {1})); });
}

TEST_CASE("gradient of index_select sums repeated rows", "[shape][grad]") {
  const Tensor idx = Tensor::from_vector<std::int64_t>({2, 0, 2, 2, 4}, {5});
  require_gradcheck([idx](const std::vector<Tensor>& in) { return index_select(in[0], idx); }, {rand({5, 3}, 8)});
  const Tensor idx2 = Tensor::from_vector<std::int64_t>({1, 1, 0, 1}, {2, 2});
  require_gradcheck([idx2](const std::vector<Tensor>& in) { return index_select(in[0], idx2); },
                    {rand({3, 2, 2}, 9)});
  require_gradcheck([idx2](const std::vector<Tensor>& in) { return index_select(in[0].transpose(0, 1), idx2); },
                    {rand({2, 3}, 10)});
  // Explicit: row 2 picked three times gets three times the gradient.
  Tensor w = Tensor::zeros({5, 3}, DType::Float64).set_requires_grad(true);
  sum(index_select(w, idx)).backward();
  require_values(w.grad(), {5, 3}, {1, 1, 1, 0, 0, 0, 3, 3, 3, 0, 0, 0, 1, 1, 1});
}

TEST_CASE("concat and index_select with zero-size inputs", "[shape][empty]") {
  Tensor e = Tensor::zeros({0, 3}, DType::Float64).set_requires_grad(true);
  Tensor a = rand({2, 3}, 11).set_requires_grad(true);
  Tensor c = concat({e, a, e}, 0);
  require_same(c, a);
  sum(c).backward();
  REQUIRE(e.grad().shape() == Shape{0, 3});
  require_values(a.grad(), {2, 3}, std::vector<double>(6, 1.0));
  REQUIRE(concat({e, e}, 0).shape() == Shape{0, 3});
  REQUIRE(concat({e, e}, 1).shape() == Shape{0, 6});

  const Tensor none = Tensor::zeros({0}, DType::Int64);
  Tensor w = rand({4, 2}, 12).set_requires_grad(true);
  Tensor picked = index_select(w, none);
  REQUIRE(picked.shape() == Shape{0, 2});
  sum(picked).backward();
  require_values(w.grad(), {4, 2}, std::vector<double>(8, 0.0));
  REQUIRE(index_select(Tensor::zeros({0, 5}), none).shape() == Shape{0, 5});
  REQUIRE(index_select(Tensor::zeros({3, 0}), Tensor::from_vector<std::int64_t>({2, 1}, {2})).shape() ==
          Shape{2, 0});
}

TEST_CASE("index kernels: gather rows and add them back in index order", "[shape]") {
  const Tensor src = rand({4, 2}, 70);
  const Tensor idx = Tensor::from_vector<std::int64_t>({3, 0, 3}, {3});
  const auto gathered = values(index_select_kernel(src, idx)), s = values(src);
  CHECK(gathered == std::vector<double>{s[6], s[7], s[0], s[1], s[6], s[7]});
  const Tensor g = Tensor::from_vector<double>({1, 2, 3, 4, 5, 6}, {3, 2});
  CHECK(values(index_select_backward_kernel(g, idx, {4, 2})) == std::vector<double>{3, 4, 0, 0, 0, 0, 6, 8});
}
