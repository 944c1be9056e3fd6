#include "support/json_line.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace veil::cli {

namespace {

std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escape[8];
      std::snprintf(escape, sizeof(escape), "\\u%04x", c);
      out += escape;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

JsonLine& JsonLine::add_raw(const std::string& key, const std::string& json_value) {
  if (!body_.empty()) body_ += ",";
  body_ += quoted(key) + ":" + json_value;
  return *this;
}

JsonLine& JsonLine::add(const std::string& key, const std::string& value) {
  return add_raw(key, quoted(value));
}

JsonLine& JsonLine::add(const std::string& key, double value) {
  if (!std::isfinite(value)) return add_raw(key, "null");
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return add_raw(key, std::string(buffer, result.ptr));
}

JsonLine& JsonLine::add(const std::string& key, std::int64_t value) {
  return add_raw(key, std::to_string(value));
}

JsonLine& JsonLine::add(const std::string& key, bool value) {
  return add_raw(key, value ? "true" : "false");
}

}  // namespace veil::cli
