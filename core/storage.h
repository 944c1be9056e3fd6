#pragma once
// Storage owns a tensor's bytes on one device; tensors share it through a
// shared_ptr, so copying a Tensor never copies data (see Tensor).
#include <cstddef>
#include <memory>

#include "veil/core/device.h"

namespace veil {

class Storage {
 public:
  // Allocates nbytes on device through its caching allocator.
  Storage(std::size_t nbytes, Device device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  std::size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }

 private:
  void* data_;
  std::size_t nbytes_;
  Device device_;
};

}  // namespace veil
