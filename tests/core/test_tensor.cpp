// Tensor creation, dtypes, element access, views that share storage, copies,
// dtype conversion and the errors that name shapes.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <sstream>
#include <vector>

#include "support/core_check.h"
#include "veil/core/compare.h"
#include "veil/autograd/ops.h"
#include "veil/core/tensor.h"

using namespace veil;
using veil::testing::error_message;
using veil::testing::require_values;

TEST_CASE("empty, zeros, ones, full and scalar have the requested shape, dtype and values", "[tensor]") {
  for (DType dtype : {DType::Float32, DType::Float64, DType::Int64, DType::UInt8}) {
    INFO("dtype " << dtype);
    Tensor e = Tensor::empty({2, 3, 4}, dtype);
    REQUIRE(e.shape() == Shape{2, 3, 4});
    REQUIRE(e.strides() == Shape{12, 4, 1});
    REQUIRE(e.dim() == 3);
    REQUIRE(e.numel() == 24);
    REQUIRE(e.dtype() == dtype);
    REQUIRE(e.device().is_cpu());
    REQUIRE(e.is_contiguous());
    REQUIRE(e.storage()->nbytes() == 24 * dtype_size(dtype));

    require_values(Tensor::zeros({2, 2}, dtype), {2, 2}, {0, 0, 0, 0});
    require_values(Tensor::ones({3}, dtype), {3}, {1, 1, 1});
    require_values(Tensor::full({2}, 7.0, dtype), {2}, {7, 7});
  }
  require_values(Tensor::full({2}, 2.5, DType::Float32), {2}, {2.5, 2.5});
  require_values(Tensor::full({2}, 2.5, DType::Int64), {2}, {2, 2});  // converted like static_cast

  Tensor s = Tensor::scalar(4.25, DType::Float64);
  REQUIRE(s.dim() == 0);
  REQUIRE(s.shape().empty());
  REQUIRE(s.numel() == 1);
  REQUIRE(s.item() == 4.25);
  REQUIRE(Tensor::scalar(3).dtype() == DType::Float32);
  REQUIRE(!Tensor().defined());
}

TEST_CASE("from_vector and to_vector round-trip every dtype and convert on the way out", "[tensor]") {
  Tensor f = Tensor::from_vector<float>({1.5f, -2.25f, 3.0f, 4.0f}, {2, 2});
  REQUIRE(f.dtype() == DType::Float32);
  REQUIRE(f.to_vector<float>() == std::vector<float>{1.5f, -2.25f, 3.0f, 4.0f});
  REQUIRE(f.to_vector<double>() == std::vector<double>{1.5, -2.25, 3.0, 4.0});
  REQUIRE(f.to_vector<std::int64_t>() == std::vector<std::int64_t>{1, -2, 3, 4});  // truncation

  Tensor d = Tensor::from_vector<double>({0.1, 0.2, 0.3}, {3});
  REQUIRE(d.dtype() == DType::Float64);
  REQUIRE(d.to_vector<double>() == std::vector<double>{0.1, 0.2, 0.3});

  Tensor i = Tensor::from_vector<std::int64_t>({-5, 0, 1LL << 40}, {3, 1});
  REQUIRE(i.dtype() == DType::Int64);
  REQUIRE(i.shape() == Shape{3, 1});
  REQUIRE(i.to_vector<std::int64_t>() == std::vector<std::int64_t>{-5, 0, 1LL << 40});

  Tensor u = Tensor::from_vector<std::uint8_t>({0, 7, 255}, {3});
  REQUIRE(u.dtype() == DType::UInt8);
  REQUIRE(u.to_vector<std::uint8_t>() == std::vector<std::uint8_t>{0, 7, 255});
  REQUIRE(u.to_vector<float>() == std::vector<float>{0, 7, 255});

  REQUIRE(Tensor::from_vector<float>({}, {0, 4}).to_vector<float>().empty());
}

TEST_CASE("data<T>, item and from_vector reject misuse with useful messages", "[tensor][errors]") {
  Tensor f = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  std::string msg = error_message([&] { Tensor::from_vector<float>({1, 2, 3}, {2, 2}); });
  REQUIRE_THAT(msg, Catch::Contains("3 values") && Catch::Contains("[2, 2]"));
  msg = error_message([&] { f.data<double>(); });
  REQUIRE_THAT(msg, Catch::Contains("float64") && Catch::Contains("float32"));
  msg = error_message([&] { f.item(); });
  REQUIRE_THAT(msg, Catch::Contains("[2, 3]"));
  REQUIRE(f.slice(0, 1, 2).slice(1, 2, 3).item() == 6.0);
  REQUIRE(f.slice(0, 1, 2).slice(1, 2, 3).reshape({}).item() == 6.0);

  msg = error_message([&] { Tensor::empty({2, -1}); });
  REQUIRE_THAT(msg, Catch::Contains("[2, -1]"));
  msg = error_message([&] { Tensor::empty(Shape(17, 1)); });
  REQUIRE_THAT(msg, Catch::Contains("16"));
  msg = error_message([&] { f.size(2); });
  REQUIRE_THAT(msg, Catch::Contains("dimension 2") && Catch::Contains("rank 2"));
  REQUIRE(f.size(-1) == 3);
  REQUIRE(f.size(-2) == 2);
  // A scalar has no dimension 0: indexing it must throw, not read past the shape.
  Tensor s = Tensor::scalar(1.0);
  msg = error_message([&] { s.size(0); });
  REQUIRE_THAT(msg, Catch::Contains("rank 0"));
  error_message([&] { s.transpose(0, 0); });
  error_message([&] { s.slice(0, 0, 1); });
  error_message([&] { Tensor().raw_data(); });
}

TEST_CASE("reshape of contiguous data is a view sharing storage", "[tensor][views]") {
  Tensor a = Tensor::from_vector<float>({0, 1, 2, 3, 4, 5}, {2, 3});
  Tensor r = a.reshape({3, 2});
  REQUIRE(r.shape() == Shape{3, 2});
  REQUIRE(r.strides() == Shape{2, 1});
  REQUIRE(r.storage() == a.storage());
  r.data<float>()[5] = 50;  // writes through to a
  REQUIRE(a.to_vector<float>()[5] == 50);

  REQUIRE(a.reshape({-1}).shape() == Shape{6});
  REQUIRE(a.reshape({-1, 2}).shape() == Shape{3, 2});
  REQUIRE(a.reshape({1, -1, 1}).shape() == Shape{1, 6, 1});
  REQUIRE(Tensor::scalar(2).reshape({1, 1}).shape() == Shape{1, 1});
  error_message([&] { a.reshape({}); });

  std::string msg = error_message([&] { a.reshape({4, 2}); });
  REQUIRE_THAT(msg, Catch::Contains("[2, 3]") && Catch::Contains("[4, 2]"));
  msg = error_message([&] { a.reshape({-1, -1}); });
  REQUIRE_THAT(msg, Catch::Contains("-1"));
  msg = error_message([&] { a.reshape({4, -1}); });
  REQUIRE_THAT(msg, Catch::Contains("[2, 3]") && Catch::Contains("[4, -1]"));

  // A reshaped slice that is contiguous stays a view with the slice's offset.
  Tensor row = a.slice(0, 1, 2).reshape({3});
  REQUIRE(row.storage() == a.storage());
  REQUIRE(row.offset() == 3);
  REQUIRE(row.to_vector<float>() == std::vector<float>{3, 4, 50});
}

TEST_CASE("reshape of non-contiguous data copies the values in row-major order", "[tensor][views]") {
  Tensor a = Tensor::from_vector<float>({0, 1, 2, 3, 4, 5}, {2, 3});
  Tensor t = a.transpose(0, 1);  // [3, 2]: 0 3 1 4 2 5
  Tensor r = t.reshape({6});
  REQUIRE(r.storage() != a.storage());
  REQUIRE(r.to_vector<float>() == std::vector<float>{0, 3, 1, 4, 2, 5});
}

TEST_CASE("flatten merges the requested dimension range", "[tensor][views]") {
  Tensor a = Tensor::zeros({2, 3, 4, 5});
  REQUIRE(a.flatten().shape() == Shape{120});
  REQUIRE(a.flatten(1).shape() == Shape{2, 60});
  REQUIRE(a.flatten(1, 2).shape() == Shape{2, 12, 5});
  REQUIRE(a.flatten(-2, -1).shape() == Shape{2, 3, 20});
  REQUIRE(a.flatten(2, 2).shape() == Shape{2, 3, 4, 5});
  REQUIRE(a.flatten(1).storage() == a.storage());
  REQUIRE(Tensor::scalar(2).flatten().shape() == Shape{1});
  error_message([&] { a.flatten(2, 1); });
  error_message([&] { a.flatten(0, 4); });
}

TEST_CASE("slice is a view with an offset; writes through it reach the base", "[tensor][views]") {
  Tensor a = Tensor::from_vector<double>({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, {3, 4});
  Tensor rows = a.slice(0, 1, 3);
  REQUIRE(rows.shape() == Shape{2, 4});
  REQUIRE(rows.offset() == 4);
  REQUIRE(rows.storage() == a.storage());
  REQUIRE(rows.is_contiguous());
  REQUIRE(rows.to_vector<double>() == std::vector<double>{4, 5, 6, 7, 8, 9, 10, 11});

  Tensor cols = a.slice(1, 1, 3);
  REQUIRE(cols.shape() == Shape{3, 2});
  REQUIRE(cols.offset() == 1);
  REQUIRE(cols.strides() == Shape{4, 1});
  REQUIRE(!cols.is_contiguous());
  REQUIRE(cols.to_vector<double>() == std::vector<double>{1, 2, 5, 6, 9, 10});

  Tensor inner = cols.slice(0, 1, 3).slice(1, 1, 2);  // a[1:3, 2:3]
  REQUIRE(inner.to_vector<double>() == std::vector<double>{6, 10});
  inner.fill_(-1);
  REQUIRE(a.to_vector<double>() == std::vector<double>{0, 1, 2, 3, 4, 5, -1, 7, 8, 9, -1, 11});

  REQUIRE(a.slice(0, 2, 2).shape() == Shape{0, 4});
  REQUIRE(a.slice(-1, 0, 4).shape() == Shape{3, 4});
  std::string msg = error_message([&] { a.slice(1, 2, 5); });
  REQUIRE_THAT(msg, Catch::Contains("[2, 5)") && Catch::Contains("[3, 4]"));
  error_message([&] { a.slice(0, 2, 1); });
  error_message([&] { a.slice(0, -1, 1); });
  error_message([&] { a.slice(2, 0, 1); });
}

TEST_CASE("transpose swaps strides without copying; contiguous() and clone() copy", "[tensor][views]") {
  Tensor a = Tensor::from_vector<float>({0, 1, 2, 3, 4, 5}, {2, 3});
  Tensor t = a.transpose(0, 1);
  REQUIRE(t.shape() == Shape{3, 2});
  REQUIRE(t.strides() == Shape{1, 3});
  REQUIRE(t.storage() == a.storage());
  REQUIRE(!t.is_contiguous());
  REQUIRE(t.to_vector<float>() == std::vector<float>{0, 3, 1, 4, 2, 5});
  REQUIRE(a.transpose(-1, 0).to_vector<float>() == t.to_vector<float>());
  REQUIRE(a.transpose(1, 1).to_vector<float>() == a.to_vector<float>());

  Tensor c = t.contiguous();
  REQUIRE(c.is_contiguous());
  REQUIRE(c.storage() != a.storage());
  REQUIRE(c.strides() == Shape{2, 1});
  REQUIRE(c.to_vector<float>() == std::vector<float>{0, 3, 1, 4, 2, 5});
  REQUIRE(a.contiguous().is_same(a));  // already contiguous: no copy

  Tensor k = a.clone();
  REQUIRE(k.storage() != a.storage());
  k.fill_(9);
  REQUIRE(a.to_vector<float>() == std::vector<float>{0, 1, 2, 3, 4, 5});

  // 3-D transpose of the outer dims, then a slice: strides compose.
  Tensor b = Tensor::from_vector<std::int64_t>({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, {2, 3, 2});
  Tensor bt = b.transpose(0, 2);  // [2, 3, 2], bt[i][j][k] = b[k][j][i]
  REQUIRE(bt.to_vector<std::int64_t>() == std::vector<std::int64_t>{0, 6, 2, 8, 4, 10, 1, 7, 3, 9, 5, 11});
  REQUIRE(bt.slice(1, 1, 2).to_vector<std::int64_t>() == std::vector<std::int64_t>{2, 8, 3, 9});

  // Size-1 dimensions do not count against contiguity.
  Tensor v = Tensor::zeros({3, 1}).transpose(0, 1);
  REQUIRE(v.shape() == Shape{1, 3});
  REQUIRE(v.is_contiguous());
}

TEST_CASE("to(dtype) converts values and returns the same tensor for the same dtype", "[tensor]") {
  Tensor f = Tensor::from_vector<float>({1.75f, -2.5f, 300.0f}, {3});
  REQUIRE(f.to(DType::Float32).is_same(f));
  Tensor d = f.to(DType::Float64);
  REQUIRE(d.dtype() == DType::Float64);
  REQUIRE(d.storage() != f.storage());
  REQUIRE(d.to_vector<double>() == std::vector<double>{1.75, -2.5, 300.0});
  REQUIRE(f.to(DType::Int64).to_vector<std::int64_t>() == std::vector<std::int64_t>{1, -2, 300});
  Tensor u = Tensor::from_vector<std::uint8_t>({1, 200}, {2});
  REQUIRE(u.to(DType::Float32).to_vector<float>() == std::vector<float>{1, 200});
  // A non-contiguous source converts in logical order.
  Tensor m = Tensor::from_vector<double>({1, 2, 3, 4}, {2, 2}).transpose(0, 1).to(DType::Float32);
  REQUIRE(m.to_vector<float>() == std::vector<float>{1, 3, 2, 4});
}

TEST_CASE("to_string shows shape, dtype and values", "[tensor]") {
  Tensor a = Tensor::from_vector<float>({1, 2}, {1, 2});
  const std::string s = a.to_string();
  REQUIRE_THAT(s, Catch::Contains("[1, 2]") && Catch::Contains("float32") && Catch::Contains("cpu"));
  std::ostringstream os;
  os << Tensor();
  REQUIRE(os.str() == "Tensor(undefined)");
}

TEST_CASE("zero-size tensors are created, viewed and copied without error", "[tensor][empty]") {
  Tensor e = Tensor::zeros({0, 3});
  REQUIRE(e.numel() == 0);
  REQUIRE(e.is_contiguous());
  REQUIRE(e.to_vector<float>().empty());
  REQUIRE(e.reshape({-1, 3}).shape() == Shape{0, 3});
  REQUIRE(e.reshape({3, 0}).shape() == Shape{3, 0});
  REQUIRE(e.flatten().shape() == Shape{0});
  REQUIRE(e.transpose(0, 1).shape() == Shape{3, 0});
  REQUIRE(e.transpose(0, 1).contiguous().shape() == Shape{3, 0});
  REQUIRE(e.slice(1, 1, 2).shape() == Shape{0, 1});
  REQUIRE(e.clone().shape() == Shape{0, 3});
  REQUIRE(e.to(DType::Float64).shape() == Shape{0, 3});
  REQUIRE(e.fill_(3).numel() == 0);
  Tensor f = Tensor::empty({0, 3});
  f.copy_(e);
  f.add_(e);
  f.mul_(2);
  REQUIRE(Tensor::from_vector<float>({}, {0}).to_string().find("[0]") != std::string::npos);
  std::string msg = error_message([&] { e.item(); });
  REQUIRE_THAT(msg, Catch::Contains("[0, 3]"));
  // [B, -1] cannot be inferred for B = 0; flatten can.
  Tensor images = Tensor::zeros({0, 4, 2, 2});
  msg = error_message([&] { images.reshape({0, -1}); });
  REQUIRE_THAT(msg, Catch::Contains("[0, 4, 2, 2]") && Catch::Contains("flatten"));
  REQUIRE(images.flatten(1).shape() == Shape{0, 16});
}

TEST_CASE("copy_ between overlapping views of one storage reads before it writes", "[tensor]") {
  // Contiguous overlap: shift rows down by one.
  Tensor a = Tensor::from_vector<double>({0, 1, 2, 3, 4, 5, 6, 7}, {4, 2});
  a.slice(0, 1, 4).copy_(a.slice(0, 0, 3));
  require_values(a, {4, 2}, {0, 1, 0, 1, 2, 3, 4, 5});
  // And up by one.
  Tensor b = Tensor::from_vector<double>({0, 1, 2, 3, 4, 5, 6, 7}, {4, 2});
  b.slice(0, 0, 3).copy_(b.slice(0, 1, 4));
  require_values(b, {4, 2}, {2, 3, 4, 5, 6, 7, 6, 7});
}

TEST_CASE("Device parses and prints cpu, cuda and cuda:N", "[tensor][device]") {
  REQUIRE(Device::parse("cpu") == Device::cpu());
  REQUIRE(Device::parse("cuda") == Device::cuda(0));
  REQUIRE(Device::parse("cuda:3") == Device::cuda(3));
  REQUIRE_THAT(error_message([] { Device::parse("gpu"); }), Catch::Contains("'gpu'"));
  REQUIRE_THAT(error_message([] { Device::parse("cuda:"); }), Catch::Contains("'cuda:'"));
  REQUIRE_THAT(error_message([] { Device::parse("cuda:1x"); }), Catch::Contains("'cuda:1x'"));
  std::ostringstream os;
  os << Device::cpu() << " " << Device::cuda(2) << " " << DType::UInt8;
  REQUIRE(os.str() == "cpu cuda:2 uint8");
  REQUIRE(Tensor::zeros({1}).to(Device::cpu()).device().is_cpu());
}

TEST_CASE("max_abs_diff and allclose compare values across dtypes and layouts", "[tensor][compare]") {
  const Tensor a = Tensor::from_vector<double>({1.0, 2.0, 3.0, 4.0}, {2, 2});
  const Tensor b = Tensor::from_vector<float>({1.0f, 2.5f, 3.0f, 3.0f}, {2, 2});
  REQUIRE(max_abs_diff(a, b) == 1.0);
  REQUIRE(max_abs_diff(a, a.transpose(0, 1).contiguous().transpose(0, 1)) == 0.0);
  REQUIRE(max_abs_diff(a.transpose(0, 1), a.transpose(0, 1).contiguous()) == 0.0);
  REQUIRE(allclose(a, a));
  REQUIRE(!allclose(a, b));
  REQUIRE(allclose(a, b, 0.0, 1.0));   // atol covers the largest difference
  REQUIRE(!allclose(a, b, 0.0, 0.99));
  REQUIRE(allclose(a, b, 0.34, 0.0));  // |4 - 3| <= 0.34 * 3, |2 - 2.5| <= 0.34 * 2.5
  REQUIRE(!allclose(a, b, 0.33, 0.0));
  REQUIRE(!allclose(a, a.reshape({4})));  // shapes differ
  REQUIRE_THAT(error_message([&] { max_abs_diff(a, a.reshape({4})); }), Catch::Contains("[2, 2]") && Catch::Contains("[4]"));
  const Tensor nan = Tensor::from_vector<double>({1.0, 2.0, std::nan(""), 4.0}, {2, 2});
  REQUIRE(std::isnan(max_abs_diff(a, nan)));
  REQUIRE(!allclose(nan, nan));
  REQUIRE(max_abs_diff(Tensor::zeros({0, 2}), Tensor::zeros({0, 2})) == 0.0);
}
