// libFuzzer harness: load_safetensors on arbitrary bytes. A veil::Error is the
// expected answer to a bad file; any other exception, crash or sanitizer
// report is a finding, and so is an accepted file whose tensors do not fill
// exactly the data after its header (the loader's own promise).
#include <cstring>

#include "fuzz_input_file.h"
#include "veil/core/error.h"
#include "veil/layers/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = veil::fuzz::write_input(data, size, ".safetensors");
  try {
    const veil::StateDict tensors = veil::load_safetensors(path);
    std::uint64_t header = 0;
    std::memcpy(&header, data, sizeof(header));  // accepted, so at least 8 bytes
    std::uint64_t bytes = 0;
    for (const auto& [name, t] : tensors) bytes += static_cast<std::uint64_t>(t.numel()) * veil::dtype_size(t.dtype());
    if (bytes != size - sizeof(header) - header) __builtin_trap();
  } catch (const veil::Error&) {
  }
  return 0;
}
