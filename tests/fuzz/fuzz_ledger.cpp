// libFuzzer harness: PrivacyLedger::from_string on arbitrary text, and the
// round trip of what it accepts.
#include <string>

#include "veil/core/error.h"
#include "veil/privacy/privacy_ledger.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const auto ledger = veil::privacy::PrivacyLedger::from_string(text);
    const auto again = veil::privacy::PrivacyLedger::from_string(ledger.to_string());
    if (again.to_string() != ledger.to_string()) __builtin_trap();
  } catch (const veil::Error&) {
  }
  return 0;
}
