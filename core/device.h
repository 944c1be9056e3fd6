#pragma once
// Where a tensor's bytes live. The device comes from the tensors an op is
// given, never from a global mode.
#include <ostream>
#include <string>

namespace veil {

enum class DeviceType : unsigned char { CPU, CUDA };

struct Device {
  DeviceType type = DeviceType::CPU;
  int index = 0;  // GPU ordinal; 0 for the CPU

  static Device cpu() { return {}; }
  static Device cuda(int index = 0) { return {DeviceType::CUDA, index}; }
  // Parses "cpu", "cuda" or "cuda:N"; throws veil::Error otherwise.
  static Device parse(const std::string& text);

  bool is_cpu() const { return type == DeviceType::CPU; }
  bool is_cuda() const { return type == DeviceType::CUDA; }
  bool operator==(const Device&) const = default;
};

std::ostream& operator<<(std::ostream& os, Device device);

// True when veil was built with CUDA and a GPU is visible.
bool cuda_available();

}  // namespace veil
