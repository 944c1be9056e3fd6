// The im2row kernel table (core/im2row.h): the row layout is im2col
// transposed per sample, row2im is its adjoint, transpose_samples swaps the
// last two dimensions.
#include <catch2/catch.hpp>

#include "support/core_check.h"
#include "veil/autograd/ops.h"
#include "veil/core/im2row.h"

using namespace veil;
using namespace veil::testing;

TEST_CASE("im2row is im2col transposed, and row2im its adjoint", "[conv]") {
  for (const Conv2dGeometry& g : {Conv2dGeometry{3, 3, 1, 1, 1, 1, 1, 1}, Conv2dGeometry{2, 3, 2, 1, 0, 2, 1, 2},
                                  Conv2dGeometry{1, 4, 1, 3, 0, 1, 1, 1}}) {
    const Tensor x = rand({2, 3, 7, 8}, 1);
    const Tensor rows = im2row_kernel(x, g);
    require_identical(rows, im2col_kernel(x, g).transpose(1, 2).contiguous());
    const Tensor y = rand(rows.shape(), 2);
    // <im2row(x), y> = <x, row2im(y)>.
    REQUIRE(sum(mul(rows, y)).item() == Approx(sum(mul(x, row2im_kernel(y, x.shape(), g))).item()).epsilon(1e-12));
    require_same(row2im_kernel(y, x.shape(), g), col2im_kernel(y.transpose(1, 2).contiguous(), x.shape(), g), 1e-12);
  }
  REQUIRE_THROWS_AS(row2im_kernel(Tensor::zeros({1, 5, 9}), {1, 1, 4, 4}, Conv2dGeometry{3, 3, 1, 1, 0, 0, 1, 1}),
                    Error);
}

TEST_CASE("transpose_samples swaps the last two dimensions", "[conv]") {
  // Shapes smaller than, equal to and crossing the CPU kernel's 16 x 16 tiles.
  for (const Shape& shape : {Shape{3, 4, 5}, Shape{2, 196, 16}, Shape{3, 37, 20}, Shape{1, 16, 33}}) {
    const Tensor x = rand(shape, 3);
    require_identical(transpose_samples_kernel(x), x.transpose(1, 2).contiguous());
  }
}
