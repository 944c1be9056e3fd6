#include "veil/core/device.h"

#include "veil/core/dtype.h"
#include "veil/core/error.h"

namespace veil {

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::Float32: return "float32";
    case DType::Float64: return "float64";
    case DType::Int64: return "int64";
    case DType::UInt8: return "uint8";
  }
  return "unknown";
}

std::ostream& operator<<(std::ostream& os, DType dtype) { return os << dtype_name(dtype); }

Device Device::parse(const std::string& text) {
  if (text == "cpu") return cpu();
  if (text == "cuda") return cuda(0);
  if (text.rfind("cuda:", 0) == 0) {
    const std::string index = text.substr(5);
    VEIL_CHECK(!index.empty() && index.find_first_not_of("0123456789") == std::string::npos)
        << "bad device '" << text << "' (expected cpu, cuda or cuda:N)";
    return cuda(std::stoi(index));
  }
  VEIL_FAIL() << "bad device '" << text << "' (expected cpu, cuda or cuda:N)";
  return cpu();
}

std::ostream& operator<<(std::ostream& os, Device device) {
  if (device.is_cpu()) return os << "cpu";
  return os << "cuda:" << device.index;
}

#ifndef VEIL_WITH_CUDA
bool cuda_available() { return false; }
#endif

}  // namespace veil
