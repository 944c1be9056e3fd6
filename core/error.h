#pragma once
// Errors. Library code reports failures by throwing veil::Error, never by
// printing or exiting. VEIL_CHECK is for conditions callers can violate (bad
// shapes, bad files, bad arguments); VEIL_ASSERT is for veil's own bugs.
//
//   VEIL_CHECK(a.dim() == 2) << "linear expects [B, D], got " << a.shape();
//
// The message names file, line, the failed condition and whatever the
// streamed context adds.
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace veil {

// Shapes (std::vector<int64_t>) print as [2, 3]; declared here so that error
// messages can stream them (defined in core/shape.cpp).
std::ostream& operator<<(std::ostream& os, const std::vector<std::int64_t>& shape);

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

namespace detail {

// A free function, so that unqualified lookup of << reaches namespace veil
// (from inside ErrorBuilder its own operator<< would hide it).
template <typename T>
void write_value(std::ostream& os, const T& value) {
  os << value;
}

// Collects the streamed context and throws when destroyed at the end of the
// full expression. Throwing from a destructor is deliberate here.
class ErrorBuilder {
 public:
  ErrorBuilder(const char* file, int line, const char* condition, const char* kind) {
    stream_ << kind << " failed: " << condition << " (" << file << ":" << line << ")";
    has_context_ = false;
  }
  ErrorBuilder(const ErrorBuilder&) = delete;
  ErrorBuilder& operator=(const ErrorBuilder&) = delete;
  ~ErrorBuilder() noexcept(false) { throw Error(stream_.str()); }

  template <typename T>
  ErrorBuilder& operator<<(const T& value) {
    if (!has_context_) {
      stream_ << ": ";
      has_context_ = true;
    }
    write_value(stream_, value);
    return *this;
  }

 private:
  std::ostringstream stream_;
  bool has_context_;
};

}  // namespace detail
}  // namespace veil

#define VEIL_CHECK(cond)   \
  if (cond) {              \
  } else                   \
    ::veil::detail::ErrorBuilder(__FILE__, __LINE__, #cond, "check")

#define VEIL_ASSERT(cond)  \
  if (cond) {              \
  } else                   \
    ::veil::detail::ErrorBuilder(__FILE__, __LINE__, #cond, "internal assertion (a veil bug)")

// Unconditional failure with context, e.g. VEIL_FAIL() << "unknown dtype".
#define VEIL_FAIL() ::veil::detail::ErrorBuilder(__FILE__, __LINE__, "unreachable", "check")
