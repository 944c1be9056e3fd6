#include "veil/core/shape.h"

#include <algorithm>
#include <sstream>

#include "veil/core/error.h"

namespace veil {

std::int64_t shape_numel(const Shape& shape) {
  std::int64_t n = 1;
  for (auto d : shape) VEIL_CHECK(!__builtin_mul_overflow(n, d, &n)) << "shape " << shape << " has too many elements";
  return n;
}

Shape contiguous_strides(const Shape& shape) {
  Shape strides(shape.size());
  std::int64_t stride = 1;
  for (std::size_t i = shape.size(); i-- > 0;) {
    strides[i] = stride;
    stride *= std::max<std::int64_t>(shape[i], 1);
  }
  return strides;
}

int normalize_dim(int dim, int rank) {
  // A rank-0 tensor has no dimension to index: accepting 0 or -1 there made
  // callers read shape()[0] past the end of an empty shape.
  const int normalized = dim < 0 ? dim + rank : dim;
  VEIL_CHECK(normalized >= 0 && normalized < rank)
      << "dimension " << dim << " out of range for a tensor of rank " << rank;
  return normalized;
}

Shape broadcast_shapes(const Shape& a, const Shape& b) {
  const std::size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (std::size_t i = 0; i < rank; ++i) {
    const std::int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const std::int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    VEIL_CHECK(da == db || da == 1 || db == 1) << "shapes " << a << " and " << b << " cannot be broadcast";
    out[i] = da == 1 ? db : da;
  }
  return out;
}

std::ostream& operator<<(std::ostream& os, const Shape& shape) {
  os << '[';
  for (std::size_t i = 0; i < shape.size(); ++i) os << (i ? ", " : "") << shape[i];
  return os << ']';
}

std::string shape_string(const Shape& shape) {
  std::ostringstream os;
  os << shape;
  return os.str();
}

}  // namespace veil
