#pragma once
// Raw checkpoint files for tests that need malformed ones: the records are
// written as given (any length, rank or dimension), and seal() sets the size
// field and appends the CRC-32 that layers/serialization.h describes, so the
// loader gets past its checksum and meets the malformed record itself.
#include <cstdint>
#include <string>
#include <vector>

namespace veil::testing {

class CheckpointBytes {
 public:
  CheckpointBytes();  // magic, version 2, a size placeholder
  CheckpointBytes& u8(std::uint8_t value);
  CheckpointBytes& u32(std::uint32_t value);
  CheckpointBytes& i64(std::int64_t value);
  CheckpointBytes& text(const std::string& s);  // u32 length, then the bytes
  CheckpointBytes& raw(const std::string& bytes);
  // The whole file: the size field filled in and the checksum appended.
  std::string seal() const;

 private:
  std::string bytes_;
};

// `file`, a sealed checkpoint whose body bytes a test changed in place, with
// its size field and checksum made right again.
std::string reseal(std::string file);

}  // namespace veil::testing
