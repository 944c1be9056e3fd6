#pragma once
// The fuzzers' input as a file: the IDX reader and the checkpoint loader take
// paths. One file per process, rewritten for every input.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

namespace veil::fuzz {

inline std::filesystem::path write_input(const std::uint8_t* data, std::size_t size, const std::string& suffix) {
  static const std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("veil-fuzz-" + std::to_string(getpid()) + suffix);
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(data),
                                                                 static_cast<std::streamsize>(size));
  return path;
}

}  // namespace veil::fuzz
