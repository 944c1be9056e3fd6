#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "veil/core/error.h"
#include "veil/privacy/privacy_ledger.h"
#include "veil/privacy/rdp_accountant.h"

using namespace veil::privacy;

namespace {

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof(double)) == 0; }

}  // namespace

TEST_CASE("ledger merges consecutive equal (q, sigma) only", "[privacy][ledger]") {
  PrivacyLedger ledger;
  ledger.record(0.01, 1.0, 5);
  ledger.record(0.01, 1.0, 3);
  ledger.record(0.02, 1.0);
  ledger.record(0.01, 1.0);
  ledger.record(0.01, 1.5, 0);  // nothing
  REQUIRE(ledger.entries().size() == 3);
  CHECK(ledger.entries()[0] == LedgerEntry{0.01, 1.0, 8});
  CHECK(ledger.entries()[1] == LedgerEntry{0.02, 1.0, 1});
  CHECK(ledger.entries()[2] == LedgerEntry{0.01, 1.0, 1});
  CHECK(ledger.total_steps() == 10);
  CHECK_FALSE(ledger.empty());
  CHECK(PrivacyLedger().empty());
}

TEST_CASE("ledger records noiseless steps and flags them", "[privacy][ledger]") {
  PrivacyLedger ledger;
  ledger.record(0.01, 0.0, 20);
  ledger.record(0.01, 1.0, 20);
  REQUIRE(ledger.entries().size() == 2);
  CHECK(ledger.entries()[0] == LedgerEntry{0.01, 0.0, 20});
  CHECK(ledger.total_steps() == 40);
  CHECK(ledger.has_noiseless_step());
  CHECK(PrivacyLedger::from_string(ledger.to_string()) == ledger);
  // q = 0 samples nobody: no privacy is spent, with or without noise.
  PrivacyLedger empty_batches;
  empty_batches.record(0.0, 0.0, 5);
  CHECK_FALSE(empty_batches.has_noiseless_step());
}

TEST_CASE("ledger rejects invalid records", "[privacy][ledger]") {
  PrivacyLedger ledger;
  CHECK_THROWS_AS(ledger.record(-0.1, 1.0), veil::Error);
  CHECK_THROWS_AS(ledger.record(1.1, 1.0), veil::Error);
  CHECK_THROWS_AS(ledger.record(std::nan(""), 1.0), veil::Error);
  CHECK_THROWS_AS(ledger.record(0.1, -1.0), veil::Error);
  CHECK_THROWS_AS(ledger.record(0.1, std::numeric_limits<double>::infinity()), veil::Error);
  CHECK_THROWS_AS(ledger.record(0.1, 1.0, -1), veil::Error);
  ledger.record(0.1, 1.0, std::numeric_limits<std::int64_t>::max());
  CHECK_THROWS_AS(ledger.record(0.2, 1.0, 1), veil::Error);
  CHECK(ledger.total_steps() == std::numeric_limits<std::int64_t>::max());
  CHECK(ledger.entries().size() == 1);
}

TEST_CASE("ledger text format is the documented one", "[privacy][ledger]") {
  PrivacyLedger ledger;
  ledger.record(0.01, 1.5, 100);
  ledger.record(0.25, 0.8, 7);
  CHECK(ledger.to_string() == "veil-privacy-ledger 1\nentries 2\n0.01 1.5 100\n0.25 0.8 7\n");
  CHECK(PrivacyLedger().to_string() == "veil-privacy-ledger 1\nentries 0\n");
}

TEST_CASE("ledger round trip is exact to the bit", "[privacy][ledger]") {
  PrivacyLedger ledger;
  ledger.record(1.0 / 3, 0.1 + 0.2, 1);
  ledger.record(std::nextafter(1.0, 0.0), 1e300, 42);
  ledger.record(std::numeric_limits<double>::denorm_min(), std::numeric_limits<double>::min(), 3);
  ledger.record(256.0 / 60000, 1.1, std::numeric_limits<std::int64_t>::max() - 46);
  const PrivacyLedger restored = PrivacyLedger::from_string(ledger.to_string());
  REQUIRE(restored.entries().size() == ledger.entries().size());
  for (std::size_t i = 0; i < ledger.entries().size(); ++i) {
    CHECK(same_bits(restored.entries()[i].sample_rate, ledger.entries()[i].sample_rate));
    CHECK(same_bits(restored.entries()[i].noise_multiplier, ledger.entries()[i].noise_multiplier));
    CHECK(restored.entries()[i].steps == ledger.entries()[i].steps);
  }
  CHECK(restored.total_steps() == ledger.total_steps());
  CHECK(restored == ledger);
  CHECK(PrivacyLedger::from_string(PrivacyLedger().to_string()).empty());
  // The final newline is optional.
  CHECK(PrivacyLedger::from_string("veil-privacy-ledger 1\nentries 1\n0.5 2 9").total_steps() == 9);
}

TEST_CASE("ledger parser rejects malformed text with the line", "[privacy][ledger]") {
  const std::string head = "veil-privacy-ledger 1\nentries 1\n";
  CHECK_THROWS_AS(PrivacyLedger::from_string(""), veil::Error);
  CHECK_THROWS_WITH(PrivacyLedger::from_string("veil-privacy-ledger 2\nentries 0\n"), Catch::Contains("line 1"));
  CHECK_THROWS_WITH(PrivacyLedger::from_string("veil-privacy-ledger 1\n"), Catch::Contains("line 2"));
  CHECK_THROWS_WITH(PrivacyLedger::from_string("veil-privacy-ledger 1\nentries x\n"), Catch::Contains("line 2"));
  CHECK_THROWS_WITH(PrivacyLedger::from_string("veil-privacy-ledger 1\nentries 2\n0.1 1 5\n"),
                    Catch::Contains("truncated"));
  CHECK_THROWS_WITH(PrivacyLedger::from_string(head + "0.1 1 5\n0.2 1 5\n"), Catch::Contains("truncated"));
  for (const std::string bad_line :
       {"abc 1 5", "0.1 1", "0.1 1 5 6", "0.1 1 5 ", " 0.1 1 5", "0.1  1 5", "1.5 1 5", "-0.1 1 5",
        "nan 1 5", "0.1 -1 5", "0.1 inf 5", "0.1 1 0", "0.1 1 -3", "0.1 1 1.5", "0.1 1 5x",
        "0x1p-3 1 5", "0.1 1 99999999999999999999", "0.1 1 5\r"}) {
    INFO("line: '" << bad_line << "'");
    CHECK_THROWS_WITH(PrivacyLedger::from_string(head + bad_line + "\n"), Catch::Contains("line 3"));
  }
  CHECK_THROWS_AS(PrivacyLedger::from_string(head + "0.1 1 5\n\n"), veil::Error);
}

TEST_CASE("replaying a ledger reproduces the accountant's history", "[privacy][ledger]") {
  RdpAccountant direct;
  direct.step(1.0, 0.01, 500);
  direct.step(1.3, 0.02, 200);
  direct.step(1.0, 0.01, 100);

  const PrivacyLedger saved = PrivacyLedger::from_string(direct.history().to_string());
  RdpAccountant resumed;
  replay(saved, resumed);
  CHECK(resumed.history() == direct.history());
  CHECK(resumed.get_epsilon(1e-5).epsilon == direct.get_epsilon(1e-5).epsilon);

  // Resuming and training on adds to what was spent.
  resumed.step(1.0, 0.01, 100);
  CHECK(resumed.get_epsilon(1e-5).epsilon > direct.get_epsilon(1e-5).epsilon);
}
