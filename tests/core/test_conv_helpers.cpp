// im2col / col2im and the pooling ops against naive loops, adjointness and
// gradients.
#include <catch2/catch.hpp>

#include <algorithm>
#include <limits>
#include <vector>

#include "support/core_check.h"
#include "veil/autograd/ops.h"
#include "veil/core/tensor.h"

using namespace veil;
using namespace veil::testing;

namespace {

Conv2dGeometry geometry(std::int64_t kh, std::int64_t kw, std::int64_t sh, std::int64_t sw, std::int64_t ph,
                        std::int64_t pw, std::int64_t dh = 1, std::int64_t dw = 1) {
  Conv2dGeometry g;
  g.kernel_h = kh, g.kernel_w = kw, g.stride_h = sh, g.stride_w = sw;
  g.pad_h = ph, g.pad_w = pw, g.dilation_h = dh, g.dilation_w = dw;
  return g;
}

std::string describe(const Conv2dGeometry& g) {
  std::ostringstream os;
  os << "k " << g.kernel_h << "x" << g.kernel_w << " s " << g.stride_h << "x" << g.stride_w << " p " << g.pad_h
     << "x" << g.pad_w << " d " << g.dilation_h << "x" << g.dilation_w;
  return os.str();
}

// Geometries for im2col (any padding) and for pooling (padding <= kernel / 2).
const std::vector<Conv2dGeometry> kConvGeometries = {
    geometry(3, 3, 1, 1, 1, 1),       geometry(1, 1, 1, 1, 0, 0),    geometry(2, 2, 2, 2, 0, 0),
    geometry(3, 3, 2, 2, 1, 1, 2, 2), geometry(2, 3, 1, 2, 1, 0, 2, 1), geometry(3, 2, 2, 1, 2, 3, 1, 2),
    geometry(5, 5, 3, 3, 2, 2),
};
const std::vector<Conv2dGeometry> kPoolGeometries = {
    geometry(2, 2, 2, 2, 0, 0), geometry(3, 3, 1, 1, 1, 1),       geometry(3, 3, 2, 2, 1, 1),
    geometry(2, 3, 1, 2, 1, 0), geometry(3, 3, 2, 1, 1, 1, 2, 1), geometry(1, 1, 1, 1, 0, 0),
};

struct Dims {
  std::int64_t b, c, h, w;
};

std::vector<double> naive_im2col(const Tensor& x, const Conv2dGeometry& g) {
  const Dims d{x.size(0), x.size(1), x.size(2), x.size(3)};
  const std::int64_t oh = g.out_h(d.h), ow = g.out_w(d.w), rows = d.c * g.kernel_h * g.kernel_w;
  const auto v = values(x);
  std::vector<double> out(d.b * rows * oh * ow, 0.0);
  for (std::int64_t b = 0; b < d.b; ++b)
    for (std::int64_t c = 0; c < d.c; ++c)
      for (std::int64_t ki = 0; ki < g.kernel_h; ++ki)
        for (std::int64_t kj = 0; kj < g.kernel_w; ++kj)
          for (std::int64_t oy = 0; oy < oh; ++oy)
            for (std::int64_t ox = 0; ox < ow; ++ox) {
              const std::int64_t iy = oy * g.stride_h - g.pad_h + ki * g.dilation_h;
              const std::int64_t ix = ox * g.stride_w - g.pad_w + kj * g.dilation_w;
              const std::int64_t row = (c * g.kernel_h + ki) * g.kernel_w + kj;
              if (iy >= 0 && iy < d.h && ix >= 0 && ix < d.w)
                out[(b * rows + row) * oh * ow + oy * ow + ox] = v[((b * d.c + c) * d.h + iy) * d.w + ix];
            }
  return out;
}

std::vector<double> naive_col2im(const Tensor& cols, const Dims& d, const Conv2dGeometry& g) {
  const std::int64_t oh = g.out_h(d.h), ow = g.out_w(d.w), rows = d.c * g.kernel_h * g.kernel_w;
  const auto v = values(cols);
  std::vector<double> out(d.b * d.c * d.h * d.w, 0.0);
  for (std::int64_t b = 0; b < d.b; ++b)
    for (std::int64_t c = 0; c < d.c; ++c)
      for (std::int64_t ki = 0; ki < g.kernel_h; ++ki)
        for (std::int64_t kj = 0; kj < g.kernel_w; ++kj)
          for (std::int64_t oy = 0; oy < oh; ++oy)
            for (std::int64_t ox = 0; ox < ow; ++ox) {
              const std::int64_t iy = oy * g.stride_h - g.pad_h + ki * g.dilation_h;
              const std::int64_t ix = ox * g.stride_w - g.pad_w + kj * g.dilation_w;
              const std::int64_t row = (c * g.kernel_h + ki) * g.kernel_w + kj;
              if (iy >= 0 && iy < d.h && ix >= 0 && ix < d.w)
                out[((b * d.c + c) * d.h + iy) * d.w + ix] += v[(b * rows + row) * oh * ow + oy * ow + ox];
            }
  return out;
}

// Max or average over each window's in-image taps (average divides by kh*kw).
std::vector<double> naive_pool(const Tensor& x, const Conv2dGeometry& g, bool max_pool) {
  const Dims d{x.size(0), x.size(1), x.size(2), x.size(3)};
  const std::int64_t oh = g.out_h(d.h), ow = g.out_w(d.w);
  const auto v = values(x);
  std::vector<double> out;
  for (std::int64_t p = 0; p < d.b * d.c; ++p)
    for (std::int64_t oy = 0; oy < oh; ++oy)
      for (std::int64_t ox = 0; ox < ow; ++ox) {
        double best = -std::numeric_limits<double>::infinity(), total = 0.0;
        for (std::int64_t ki = 0; ki < g.kernel_h; ++ki)
          for (std::int64_t kj = 0; kj < g.kernel_w; ++kj) {
            const std::int64_t iy = oy * g.stride_h - g.pad_h + ki * g.dilation_h;
            const std::int64_t ix = ox * g.stride_w - g.pad_w + kj * g.dilation_w;
            if (iy < 0 || iy >= d.h || ix < 0 || ix >= d.w) continue;
            const double value = v[(p * d.h + iy) * d.w + ix];
            best = std::max(best, value);
            total += value;
          }
        out.push_back(max_pool ? best : total / static_cast<double>(g.kernel_h * g.kernel_w));
      }
  return out;
}

double dot(const Tensor& a, const Tensor& b) {
  const auto va = values(a), vb = values(b);
  double total = 0.0;
  for (std::size_t i = 0; i < va.size(); ++i) total += va[i] * vb[i];
  return total;
}

}  // namespace

TEST_CASE("im2col and col2im match naive loops for stride, padding and dilation", "[conv]") {
  for (const auto& g : kConvGeometries) {
    INFO(describe(g));
    const Dims d{2, 3, 7, 8};
    const Tensor x = rand({d.b, d.c, d.h, d.w}, 1);
    const std::int64_t rows = d.c * g.kernel_h * g.kernel_w, l = g.out_h(d.h) * g.out_w(d.w);
    require_values(im2col(x, g), {d.b, rows, l}, naive_im2col(x, g));
    require_values(im2col(x.to(DType::Float32), g), {d.b, rows, l}, naive_im2col(x, g), 1e-7);
    // A strided input gives the same columns.
    const Tensor xs = rand({d.b, d.c, d.w, d.h}, 2).transpose(2, 3);
    require_values(im2col(xs, g), {d.b, rows, l}, naive_im2col(xs, g));

    const Tensor cols = rand({d.b, rows, l}, 3);
    require_values(col2im(cols, d.c, d.h, d.w, g), {d.b, d.c, d.h, d.w}, naive_col2im(cols, d, g), 1e-14);
    // Adjointness: <im2col(x), y> = <x, col2im(y)>.
    REQUIRE(dot(im2col(x, g), cols) == Approx(dot(x, col2im(cols, d.c, d.h, d.w, g))).epsilon(1e-12));
  }
  // A 1x1 kernel without padding is a reshape.
  const Tensor x = rand({2, 3, 4, 5}, 4);
  require_same(im2col(x, geometry(1, 1, 1, 1, 0, 0)), x.reshape({2, 3, 20}));
}

TEST_CASE("im2col and col2im check their shapes", "[conv][errors]") {
  const Conv2dGeometry g = geometry(3, 3, 1, 1, 0, 0);
  REQUIRE_THAT(error_message([&] { im2col(Tensor::zeros({3, 4, 4}), g); }), Catch::Contains("[3, 4, 4]"));
  REQUIRE_THAT(error_message([&] { im2col(Tensor::zeros({1, 1, 2, 5}), g); }), Catch::Contains("height 2"));
  REQUIRE_THAT(error_message([&] { col2im(Tensor::zeros({1, 9, 5}), 1, 4, 4, g); }), Catch::Contains("[1, 9, 5]"));
  error_message([&] { col2im(Tensor::zeros({9, 4}), 1, 4, 4, g); });
  error_message([&] { im2col(Tensor::zeros({1, 1, 4, 4}), geometry(3, 3, 0, 1, 0, 0)); });  // stride 0
  error_message([&] { im2col(Tensor::zeros({1, 1, 4, 4}), geometry(0, 3, 1, 1, 0, 0)); });  // empty kernel
}

TEST_CASE("gradients of im2col and col2im", "[conv][grad]") {
  for (const auto& g : kConvGeometries) {
    INFO(describe(g));
    const Dims d{2, 2, 5, 6};
    require_gradcheck([g](const std::vector<Tensor>& in) { return im2col(in[0], g); }, {rand({d.b, d.c, d.h, d.w}, 5)});
    const std::int64_t rows = d.c * g.kernel_h * g.kernel_w, l = g.out_h(d.h) * g.out_w(d.w);
    require_gradcheck([g, d](const std::vector<Tensor>& in) { return col2im(in[0], d.c, d.h, d.w, g); },
                      {rand({d.b, rows, l}, 6)});
  }
}

TEST_CASE("max_pool2d and avg_pool2d match naive loops", "[pool]") {
  for (const auto& g : kPoolGeometries) {
    INFO(describe(g));
    const Tensor x = rand({2, 3, 7, 6}, 7);
    const Shape out_shape{2, 3, g.out_h(7), g.out_w(6)};
    require_values(max_pool2d(x, g), out_shape, naive_pool(x, g, true));
    require_values(avg_pool2d(x, g), out_shape, naive_pool(x, g, false), 1e-15);
    require_values(max_pool2d(x.to(DType::Float32), g), out_shape, naive_pool(x, g, true), 1e-7);
    require_values(avg_pool2d(x.to(DType::Float32), g), out_shape, naive_pool(x, g, false), 1e-6);
    const Tensor xs = rand({3, 2, 7, 6}, 8).transpose(0, 1);
    require_values(max_pool2d(xs, g), out_shape, naive_pool(xs, g, true));
    require_values(avg_pool2d(xs, g), out_shape, naive_pool(xs, g, false), 1e-15);
  }
  // All-negative input with padding: the padded taps do not win the max.
  const Tensor neg_x = Tensor::full({1, 1, 2, 2}, -5.0, DType::Float64);
  require_values(max_pool2d(neg_x, geometry(3, 3, 1, 1, 1, 1)), {1, 1, 2, 2}, {-5, -5, -5, -5});
  // Average pooling counts padding as zeros: corner window sees 4 of 9 taps.
  require_values(avg_pool2d(neg_x, geometry(3, 3, 1, 1, 1, 1)), {1, 1, 2, 2}, {-20.0 / 9, -20.0 / 9, -20.0 / 9, -20.0 / 9},
                 1e-15);
}

TEST_CASE("pooling checks shapes and padding", "[pool][errors]") {
  REQUIRE_THAT(error_message([] { max_pool2d(Tensor::zeros({2, 4, 4}), geometry(2, 2, 2, 2, 0, 0)); }),
               Catch::Contains("[2, 4, 4]"));
  REQUIRE_THAT(error_message([] { avg_pool2d(Tensor::zeros({1, 1, 4, 4}), geometry(2, 2, 1, 1, 2, 0)); }),
               Catch::Contains("padding"));
  error_message([] { max_pool2d(Tensor::zeros({1, 1, 1, 4}), geometry(2, 2, 1, 1, 0, 0)); });
}

TEST_CASE("gradients of max_pool2d and avg_pool2d", "[pool][grad]") {
  for (const auto& g : kPoolGeometries) {
    INFO(describe(g));
    // Distinct random values: no ties within eps in any window.
    const Tensor x = rand({2, 2, 5, 6}, 9);
    require_gradcheck([g](const std::vector<Tensor>& in) { return max_pool2d(in[0], g); }, {x});
    require_gradcheck([g](const std::vector<Tensor>& in) { return avg_pool2d(in[0], g); }, {x});
    require_gradcheck([g](const std::vector<Tensor>& in) { return max_pool2d(in[0].transpose(2, 3), g); }, {x});
  }
  // A dilated window can fall entirely on padding (k 2, pad 1, dilation 3 on
  // a 2x2 image: taps at -1 and 2). Its output is -inf and its gradient goes
  // nowhere; in particular not to the previous plane's last element.
  Tensor y = rand({1, 2, 2, 2}, 10).set_requires_grad(true);
  Tensor pooled = max_pool2d(y, geometry(2, 2, 1, 1, 1, 1, 3, 3));
  REQUIRE(pooled.shape() == Shape{1, 2, 1, 1});
  for (double v : values(pooled)) REQUIRE(v == -std::numeric_limits<double>::infinity());
  pooled.backward(Tensor::ones({1, 2, 1, 1}, DType::Float64));
  require_values(y.grad(), {1, 2, 2, 2}, std::vector<double>(8, 0.0));

  // Overlapping windows: a shared maximum collects the gradient of every window it wins.
  Tensor x = Tensor::from_vector<double>({1, 2, 3, 4, 9, 5, 6, 7, 8}, {1, 1, 3, 3}).set_requires_grad(true);
  sum(max_pool2d(x, geometry(2, 2, 1, 1, 0, 0))).backward();
  require_values(x.grad(), {1, 1, 3, 3}, {0, 0, 0, 0, 4, 0, 0, 0, 0});

  // Ties go to the first tap in row-major order, for the flat stride-1
  // kernel and the strided one alike.
  for (const auto& [g, expected] :
       {std::pair{geometry(2, 2, 1, 1, 0, 0), std::vector<double>{1, 1, 0, 1, 1, 0, 0, 0, 0}},
        std::pair{geometry(2, 2, 2, 2, 0, 0), std::vector<double>{1, 0, 0, 0, 0, 0, 0, 0, 0}}}) {
    Tensor same = Tensor::full({1, 1, 3, 3}, 2.0, DType::Float32).set_requires_grad(true);
    sum(max_pool2d(same, g)).backward();
    require_values(same.grad(), {1, 1, 3, 3}, expected);
  }
}

TEST_CASE("conv helpers and pooling accept an empty batch", "[conv][pool][empty]") {
  const Conv2dGeometry g = geometry(3, 3, 1, 1, 1, 1);
  Tensor x = Tensor::zeros({0, 2, 4, 4}, DType::Float64).set_requires_grad(true);
  Tensor cols = im2col(x, g);
  REQUIRE(cols.shape() == Shape{0, 18, 16});
  REQUIRE(col2im(cols, 2, 4, 4, g).shape() == Shape{0, 2, 4, 4});
  Tensor loss = sum(cols) + sum(max_pool2d(x, g)) + sum(avg_pool2d(x, g)) + sum(col2im(cols, 2, 4, 4, g));
  loss.backward();
  REQUIRE(x.grad().shape() == Shape{0, 2, 4, 4});
  REQUIRE(max_pool2d(Tensor::zeros({0, 3, 5, 5}), geometry(2, 2, 2, 2, 0, 0)).shape() == Shape{0, 3, 2, 2});
}
