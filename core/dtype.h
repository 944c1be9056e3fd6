#pragma once
// Element types and the dispatch from a runtime DType to a C++ type.
#include <cstddef>
#include <cstdint>
#include <ostream>

#include "veil/core/error.h"

namespace veil {

enum class DType : std::uint8_t { Float32, Float64, Int64, UInt8 };

constexpr std::size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::Float32: return 4;
    case DType::Float64: return 8;
    case DType::Int64: return 8;
    case DType::UInt8: return 1;
  }
  return 0;
}

const char* dtype_name(DType dtype);
std::ostream& operator<<(std::ostream& os, DType dtype);

constexpr bool is_floating(DType dtype) { return dtype == DType::Float32 || dtype == DType::Float64; }

template <typename T> struct DTypeOf;
template <> struct DTypeOf<float> { static constexpr DType value = DType::Float32; };
template <> struct DTypeOf<double> { static constexpr DType value = DType::Float64; };
template <> struct DTypeOf<std::int64_t> { static constexpr DType value = DType::Int64; };
template <> struct DTypeOf<std::uint8_t> { static constexpr DType value = DType::UInt8; };
template <typename T> constexpr DType dtype_of = DTypeOf<T>::value;

// Calls fn.template operator()<T>() with T the C++ type of a floating dtype:
//   dispatch_floating(x.dtype(), "relu", [&]<typename T>() { ... });
template <typename Fn>
decltype(auto) dispatch_floating(DType dtype, const char* op, Fn&& fn) {
  switch (dtype) {
    case DType::Float32: return fn.template operator()<float>();
    case DType::Float64: return fn.template operator()<double>();
    default: break;
  }
  VEIL_FAIL() << op << " needs a floating-point tensor, got " << dtype_name(dtype);
  return fn.template operator()<float>();  // not reached: the line above throws
}

// Same over every dtype.
template <typename Fn>
decltype(auto) dispatch_all(DType dtype, const char* op, Fn&& fn) {
  switch (dtype) {
    case DType::Float32: return fn.template operator()<float>();
    case DType::Float64: return fn.template operator()<double>();
    case DType::Int64: return fn.template operator()<std::int64_t>();
    case DType::UInt8: return fn.template operator()<std::uint8_t>();
  }
  VEIL_FAIL() << op << ": unknown dtype";
  return fn.template operator()<float>();
}

}  // namespace veil
