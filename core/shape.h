#pragma once
// Shapes and strides. Shape letters used throughout veil: B batch, C
// channels, H, W spatial, T sequence, D features.
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace veil {

using Shape = std::vector<std::int64_t>;

std::int64_t shape_numel(const Shape& shape);
Shape contiguous_strides(const Shape& shape);
// Normalises a possibly negative dimension index into [0, rank); throws
// veil::Error when it is out of range (always for rank 0).
int normalize_dim(int dim, int rank);
// Numpy-style broadcast of two shapes; throws naming both when they don't fit.
Shape broadcast_shapes(const Shape& a, const Shape& b);

std::ostream& operator<<(std::ostream& os, const Shape& shape);
// "[2, 3]"; for code outside namespace veil, where << on a Shape (a
// std::vector) is not found by argument-dependent lookup.
std::string shape_string(const Shape& shape);

}  // namespace veil
