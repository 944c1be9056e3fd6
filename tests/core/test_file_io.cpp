// write_file_atomically and output_problem (core/file_io.h): only regular
// files are replaced, a character device is written in place, and a missing
// directory is found before anything is written.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "support/test_data.h"
#include "veil/core/file_io.h"

using namespace veil;
namespace fs = std::filesystem;

using veil::testing::read_text;

TEST_CASE("write_file_atomically replaces a regular file and leaves no temporary", "[core][files]") {
  testing::TempDir tmp;
  const fs::path target = tmp.path() / "out.json";
  write_file_atomically(target, "old", "summary");
  write_file_atomically(target, "new", "summary");
  REQUIRE(read_text(target) == "new");
  REQUIRE_FALSE(fs::exists(tmp.path() / "out.json.tmp"));
}

TEST_CASE("write_file_atomically never replaces a device, a pipe or a directory", "[core][files]") {
  testing::TempDir tmp;
  // A character device (through a link, so the test touches no system file
  // but the harmless /dev/null) is written in place: link and device stay.
  const fs::path null_link = tmp.path() / "null";
  fs::create_symlink("/dev/null", null_link);
  write_file_atomically(null_link, "discarded", "checkpoint");
  REQUIRE(fs::is_symlink(fs::symlink_status(null_link)));
  REQUIRE(fs::is_character_file("/dev/null"));
  // A named pipe is refused (writing would block for a reader), and stays.
  const fs::path pipe = tmp.path() / "pipe";
  REQUIRE(mkfifo(pipe.c_str(), 0600) == 0);
  const std::string message = testing::error_message([&] { write_file_atomically(pipe, "x", "checkpoint"); });
  REQUIRE(message.find("named pipe") != std::string::npos);
  REQUIRE(message.find(pipe.string()) != std::string::npos);
  REQUIRE(fs::is_fifo(pipe));
  REQUIRE(testing::error_message([&] { write_file_atomically(tmp.path(), "x", "summary"); }).find("directory") !=
          std::string::npos);
}

TEST_CASE("output_problem finds a missing directory before anything is written", "[core][files]") {
  testing::TempDir tmp;
  const fs::path target = tmp.path() / "absent" / "out.ckpt";
  REQUIRE(output_problem(target).find("does not exist") != std::string::npos);
  REQUIRE(output_problem(tmp.path() / "fine.ckpt").empty());
  REQUIRE(output_problem("/dev/null").empty());
  const std::string message = testing::error_message([&] { write_file_atomically(target, "x", "checkpoint"); });
  REQUIRE(message.find(target.string()) != std::string::npos);
  REQUIRE_FALSE(fs::exists(target.parent_path()));
}
