// libFuzzer harness: load_checkpoint on arbitrary bytes. Most inputs stop at
// the checksum, so the harness also reseals each input (fixing its size field
// and CRC-32) to reach the record parser. A veil::Error is the expected
// answer; anything else is a finding.
#include <zlib.h>

#include <cstring>
#include <string>

#include "fuzz_input_file.h"
#include "veil/core/error.h"
#include "veil/layers/serialization.h"

namespace {

void load(const std::string& bytes) {
  const auto path = veil::fuzz::write_input(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), ".ck");
  try {
    veil::load_checkpoint(path);
  } catch (const veil::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  load(bytes);
  constexpr std::size_t kSizeOffset = 12, kHeader = 20;
  if (bytes.size() >= kHeader) {
    const std::uint64_t total = bytes.size() + 4;
    std::memcpy(bytes.data() + kSizeOffset, &total, sizeof(total));
    const auto crc = static_cast<std::uint32_t>(
        crc32_z(0, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<z_size_t>(bytes.size())));
    bytes.append(reinterpret_cast<const char*>(&crc), sizeof(crc));
    load(bytes);
  }
  return 0;
}
