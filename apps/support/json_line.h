#pragma once
// JsonLine: builds one flat JSON object for machine-readable app output (the
// last line an app prints with --json).
//
//   JsonLine json;
//   json.add("accountant", "rdp").add("epsilon", 1.21).add("steps", std::int64_t{3000});
//   std::cout << json.str() << "\n";   // {"accountant":"rdp","epsilon":1.21,"steps":3000}
//
// Doubles are written in the shortest form that reads back to the same value;
// NaN and infinities, which JSON cannot hold, become null.
#include <cstdint>
#include <string>

namespace veil::cli {

class JsonLine {
 public:
  JsonLine& add(const std::string& key, const std::string& value);
  JsonLine& add(const std::string& key, const char* value) { return add(key, std::string(value)); }
  JsonLine& add(const std::string& key, double value);
  JsonLine& add(const std::string& key, std::int64_t value);
  JsonLine& add(const std::string& key, bool value);

  std::string str() const { return "{" + body_ + "}"; }

 private:
  JsonLine& add_raw(const std::string& key, const std::string& json_value);

  std::string body_;
};

}  // namespace veil::cli
