#include "veil/privacy/privacy_ledger.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <string_view>
#include <system_error>

#include "veil/core/error.h"
#include "veil/privacy/accountant.h"

namespace veil::privacy {

namespace {

constexpr std::string_view kFormatHeader = "veil-privacy-ledger 1";
constexpr std::string_view kCountKey = "entries ";

// Shortest text that std::from_chars reads back to the same double.
std::string format_double(double value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  VEIL_ASSERT(result.ec == std::errc()) << "to_chars failed for " << value;
  return std::string(buffer, result.ptr);
}

// Parses all of `text` as T; false on any leftover or malformed character.
template <typename T>
bool parse_whole(std::string_view text, T& value) {
  const char* end = text.data() + text.size();
  const auto result = std::from_chars(text.data(), end, value);
  return result.ec == std::errc() && result.ptr == end && !text.empty();
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t stop = text.find(separator, start);
    if (stop == std::string_view::npos) {
      parts.push_back(text.substr(start));
      return parts;
    }
    parts.push_back(text.substr(start, stop - start));
    start = stop + 1;
  }
}

}  // namespace

void PrivacyLedger::record(double sample_rate, double noise_multiplier, std::int64_t steps) {
  VEIL_CHECK(sample_rate >= 0.0 && sample_rate <= 1.0)
      << "sample rate must lie in [0, 1], got " << sample_rate;
  VEIL_CHECK(noise_multiplier >= 0.0 && std::isfinite(noise_multiplier))
      << "noise multiplier must be finite and >= 0, got " << noise_multiplier;
  VEIL_CHECK(steps >= 0) << "step count must be >= 0, got " << steps;
  if (steps == 0) return;
  VEIL_CHECK(steps <= std::numeric_limits<std::int64_t>::max() - total_steps_)
      << "total step count overflows: " << total_steps_ << " + " << steps;
  total_steps_ += steps;
  if (!entries_.empty() && entries_.back().sample_rate == sample_rate &&
      entries_.back().noise_multiplier == noise_multiplier) {
    entries_.back().steps += steps;
    return;
  }
  entries_.push_back({sample_rate, noise_multiplier, steps});
}

bool PrivacyLedger::has_noiseless_step() const {
  return std::any_of(entries_.begin(), entries_.end(),
                     [](const LedgerEntry& e) { return e.noise_multiplier == 0.0 && e.sample_rate > 0.0; });
}

std::string PrivacyLedger::to_string() const {
  std::string text;
  text.append(kFormatHeader).append("\n");
  text.append(kCountKey).append(std::to_string(entries_.size())).append("\n");
  for (const LedgerEntry& entry : entries_) {
    text.append(format_double(entry.sample_rate)).append(" ");
    text.append(format_double(entry.noise_multiplier)).append(" ");
    text.append(std::to_string(entry.steps)).append("\n");
  }
  return text;
}

PrivacyLedger PrivacyLedger::from_string(const std::string& text) {
  std::vector<std::string_view> lines = split(text, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();  // the final newline
  VEIL_CHECK(!lines.empty() && lines[0] == kFormatHeader)
      << "privacy ledger: line 1 must be '" << kFormatHeader << "'";
  VEIL_CHECK(lines.size() >= 2 && lines[1].starts_with(kCountKey))
      << "privacy ledger: line 2 must be 'entries <count>'";
  std::size_t count = 0;
  VEIL_CHECK(parse_whole(lines[1].substr(kCountKey.size()), count))
      << "privacy ledger: line 2: bad entry count '" << lines[1] << "'";
  VEIL_CHECK(lines.size() - 2 == count) << "privacy ledger: header announces " << count
                                        << " entries but " << lines.size() - 2
                                        << " entry lines follow (truncated or padded text)";

  PrivacyLedger ledger;
  for (std::size_t i = 2; i < lines.size(); ++i) {
    const std::size_t line_number = i + 1;
    const std::vector<std::string_view> fields = split(lines[i], ' ');
    VEIL_CHECK(fields.size() == 3) << "privacy ledger: line " << line_number
                                   << ": expected 'sample_rate noise_multiplier steps', got '"
                                   << lines[i] << "'";
    LedgerEntry entry{};
    VEIL_CHECK(parse_whole(fields[0], entry.sample_rate) &&
               parse_whole(fields[1], entry.noise_multiplier) && parse_whole(fields[2], entry.steps))
        << "privacy ledger: line " << line_number << ": malformed number in '" << lines[i] << "'";
    VEIL_CHECK(entry.steps >= 1) << "privacy ledger: line " << line_number
                                 << ": step count must be >= 1, got " << entry.steps;
    try {
      ledger.record(entry.sample_rate, entry.noise_multiplier, entry.steps);
    } catch (const Error& error) {
      throw Error("privacy ledger: line " + std::to_string(line_number) + ": " + error.what());
    }
  }
  return ledger;
}

void replay(const PrivacyLedger& ledger, Accountant& accountant) {
  for (const LedgerEntry& entry : ledger.entries()) {
    accountant.step(entry.noise_multiplier, entry.sample_rate, entry.steps);
  }
}

}  // namespace veil::privacy
