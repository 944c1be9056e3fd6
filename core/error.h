#pragma once
// Errors. Library code reports failures by throwing veil::Error, never by
// printing or exiting. VEIL_CHECK is for conditions callers can violate (bad
// shapes, bad files, bad arguments); VEIL_ASSERT is for veil's own bugs.
//
//   VEIL_CHECK(a.dim() == 2) << "linear expects [B, D], got " << a.shape();
//
// Two kinds of message, for their two readers. A VEIL_CHECK with context is
// that context alone, one plain sentence for the user who gave the input:
// no C++ condition, no source location. A VEIL_ASSERT (and a VEIL_CHECK
// without context, which has nothing else to say) names file, line and the
// failed condition, for whoever fixes veil.
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
  // user_facing: the message is the streamed context alone, when there is one.
  ErrorBuilder(const char* file, int line, const char* condition, const char* kind, bool user_facing)
      : user_facing_(user_facing) {
    location_ << kind << " failed: " << condition << " (" << file << ":" << line << ")";
  }
  ErrorBuilder(const ErrorBuilder&) = delete;
  ErrorBuilder& operator=(const ErrorBuilder&) = delete;
  ~ErrorBuilder() noexcept(false) {
    const std::string context = context_.str();
    if (context.empty()) throw Error(location_.str());
    throw Error(user_facing_ ? context : location_.str() + ": " + context);
  }

  template <typename T>
  ErrorBuilder& operator<<(const T& value) {
    write_value(context_, value);
    return *this;
  }

 private:
  std::ostringstream location_, context_;
  bool user_facing_;
};

}  // namespace detail
}  // namespace veil

#define VEIL_CHECK(cond)   \
  if (cond) {              \
  } else                   \
    ::veil::detail::ErrorBuilder(__FILE__, __LINE__, #cond, "check", true)

#define VEIL_ASSERT(cond)  \
  if (cond) {              \
  } else                   \
    ::veil::detail::ErrorBuilder(__FILE__, __LINE__, #cond, "internal assertion (a veil bug)", false)

// Unconditional failure of a check, e.g. VEIL_FAIL() << "unknown dtype".
#define VEIL_FAIL() ::veil::detail::ErrorBuilder(__FILE__, __LINE__, "unreachable", "check", true)
