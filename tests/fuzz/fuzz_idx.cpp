// libFuzzer harness: read_idx_file on arbitrary bytes (plain or gzip, by
// magic). A veil::Error is the expected answer to a bad file; any other
// exception, crash or sanitizer report is a finding.
#include "fuzz_input_file.h"
#include "veil/core/error.h"
#include "veil/data/idx_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = veil::fuzz::write_input(data, size, ".idx");
  for (std::size_t rank : {1, 3}) {
    try {
      const veil::data::IdxFile file = veil::data::read_idx_file(path, rank);
      std::size_t n = 1;
      for (std::size_t d : file.dims) n *= d;
      if (n != file.payload.size()) __builtin_trap();  // the reader's own promise
    } catch (const veil::Error&) {
    }
  }
  return 0;
}
