#pragma once
// Files veil reads and writes for its users: data sets, checkpoints, summaries.
//
// Note [Only regular files]
// Opening a named pipe blocks until someone writes to it, and renaming a
// temporary file over a device (/dev/null, run as root) replaces the device.
// So readers open only regular files, and writers replace only regular files
// or create new ones: a character device (/dev/null) is written in place,
// anything else (a directory, a pipe, a socket, a block device) is refused.
#include <filesystem>
#include <string>
#include <string_view>

namespace veil {

// "a directory", "a named pipe", "a socket", "a character device", "a block
// device" or "not a regular file" for what stands at `path` (symbolic links
// followed); "" when it is a regular file or nothing is there.
std::string non_regular_kind(const std::filesystem::path& path);

// Why `bytes` could not be written to `path` by write_file_atomically, found
// without writing anything ("" when nothing is in the way): its directory
// is missing or not a directory, or the path itself is something it refuses.
// Lets programs check every output before hours of work.
std::string output_problem(const std::filesystem::path& path);

// The whole of the regular file at `path` (Note [Only regular files]).
// Throws veil::Error "<what> <path> is a named pipe, not a file" (or cannot
// be opened, or could not be read).
std::string read_regular_file(const std::filesystem::path& path, const std::string& what);

// Writes `bytes` to `path` so that a crash or power loss leaves either the
// old file or the new one, whole: into "<path>.tmp", fsync, rename over
// `path`, fsync of the directory. A character device is written in place
// (Note [Only regular files]). Throws veil::Error naming the path (and
// `what`, e.g. "checkpoint") when it cannot.
void write_file_atomically(const std::filesystem::path& path, std::string_view bytes, const std::string& what);

}  // namespace veil
