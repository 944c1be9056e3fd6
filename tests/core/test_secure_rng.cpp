#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <vector>

#include "veil/core/error.h"
#include "veil/core/chacha20.h"
#include "veil/core/secure_rng.h"

using namespace veil;

namespace {

std::array<uint8_t, 32> sequential_key() {
  std::array<uint8_t, 32> key;
  for (int i = 0; i < 32; ++i) key[i] = static_cast<uint8_t>(i);
  return key;
}

// Chi-square bound used throughout: mean + 5 standard deviations.
double chi_square_bound(double df) { return df + 5 * std::sqrt(2 * df); }

}  // namespace

TEST_CASE("ChaCha20 block function matches RFC 8439 section 2.3.2", "[secure_rng]") {
  const ChaChaKey key = chacha20_key_from_bytes(sequential_key());
  CHECK(key[0] == 0x03020100u);
  CHECK(key[7] == 0x1f1e1d1cu);
  // Nonce bytes 00:00:00:09:00:00:00:4a:00:00:00:00 as little-endian words.
  const ChaChaBlock block = chacha20_block(key, 1, ChaChaNonce{0x09000000u, 0x4a000000u, 0});
  const ChaChaBlock expected{0xe4e7f110u, 0x15593bd1u, 0x1fdd0f50u, 0xc47120a3u, 0xc7f4d1c7u, 0x0368c033u,
                             0x9aaa2204u, 0x4e6cd4c3u, 0x466482d2u, 0x09aa9f07u, 0x05d7c214u, 0xa2028bd9u,
                             0xd19c12b5u, 0xb94e16deu, 0xe883d0cbu, 0x4e3c50a2u};
  CHECK(block == expected);
  const std::array<uint8_t, 64> bytes = chacha20_block_bytes(block);
  const std::array<uint8_t, 16> first_row{0x10, 0xf1, 0xe7, 0xe4, 0xd1, 0x3b, 0x59, 0x15,
                                          0x50, 0x0f, 0xdd, 0x1f, 0xa3, 0x20, 0x71, 0xc4};
  for (int i = 0; i < 16; ++i) CHECK(bytes[i] == first_row[i]);
  CHECK(bytes[63] == 0x4e);
}

TEST_CASE("ChaCha20 all-zero block matches RFC 8439 appendix A.1, test vector 1", "[secure_rng]") {
  const ChaChaBlock block = chacha20_block(ChaChaKey{}, 0, ChaChaNonce{});
  const std::array<uint8_t, 64> expected{
      0x76, 0xb8, 0xe0, 0xad, 0xa0, 0xf1, 0x3d, 0x90, 0x40, 0x5d, 0x6a, 0xe5, 0x53, 0x86, 0xbd, 0x28,
      0xbd, 0xd2, 0x19, 0xb8, 0xa0, 0x8d, 0xed, 0x1a, 0xa8, 0x36, 0xef, 0xcc, 0x8b, 0x77, 0x0d, 0xc7,
      0xda, 0x41, 0x59, 0x7c, 0x51, 0x57, 0x48, 0x8d, 0x77, 0x24, 0xe0, 0x3f, 0xb8, 0xd8, 0x4a, 0x37,
      0x6a, 0x43, 0xb8, 0xf4, 0x15, 0x18, 0xa1, 0x1c, 0xc3, 0x87, 0xb6, 0x69, 0xb2, 0xee, 0x65, 0x86};
  CHECK(chacha20_block_bytes(block) == expected);
}

TEST_CASE("SecureRng reads the ChaCha20 keystream in order", "[secure_rng]") {
  SecureRng rng(std::array<uint8_t, 32>{});
  // Block 0 of the all-zero key is the appendix vector above.
  CHECK(rng.next_u32() == 0xade0b876u);
  CHECK(rng.next_u64() == 0xe56a5d40903df1a0ull);  // words 1 (low) and 2 (high)
  for (int i = 3; i < 16; ++i) rng.next_u32();
  const ChaChaBlock block1 = chacha20_block(ChaChaKey{}, 1, ChaChaNonce{});
  CHECK(rng.next_u32() == block1[0]);

  SecureRng keyed(sequential_key());
  SecureRng again(sequential_key());
  CHECK(keyed.next_u128() == again.next_u128());
}

TEST_CASE("os_random_bytes fills large requests with unbiased bytes", "[secure_rng]") {
  std::vector<uint8_t> bytes(1 << 20);
  os_random_bytes(bytes.data(), bytes.size());
  std::vector<double> counts(256, 0);
  for (uint8_t b : bytes) counts[b] += 1;
  const double expected = bytes.size() / 256.0;
  double chi2 = 0;
  for (double c : counts) chi2 += (c - expected) * (c - expected) / expected;
  CHECK(chi2 < chi_square_bound(255));

  std::array<uint8_t, 32> a{}, b{};
  os_random_bytes(a.data(), a.size());
  os_random_bytes(b.data(), b.size());
  CHECK(a != b);  // equal with probability 2^-256
  os_random_bytes(nullptr, 0);
}

TEST_CASE("OS-keyed generators are all different", "[secure_rng]") {
  SecureRng a, b;
  CHECK(a.next_u128() != b.next_u128());
}

TEST_CASE("uniform_below is exact and uniform for 64- and 128-bit bounds", "[secure_rng]") {
  SecureRng rng(sequential_key());
  CHECK_THROWS_AS(rng.uniform_below(0), Error);
  CHECK_THROWS_AS(rng.uniform_below_u128(0), Error);
  CHECK(rng.uniform_below(1) == 0);

  const int n = 60000;
  std::vector<double> counts(10, 0);
  int out_of_range = 0;
  for (int i = 0; i < n; ++i) {
    const uint64_t x = rng.uniform_below(10);
    if (x >= 10) ++out_of_range;
    else counts[x] += 1;
  }
  CHECK(out_of_range == 0);
  double chi2 = 0;
  for (double c : counts) chi2 += (c - n / 10.0) * (c - n / 10.0) / (n / 10.0);
  CHECK(chi2 < chi_square_bound(9));

  // A bound of 3 * 2^100: the top part x / 2^100 must be uniform on {0, 1, 2}.
  const uint128 bound = uint128{3} << 100;
  std::vector<double> thirds(3, 0);
  for (int i = 0; i < 30000; ++i) {
    const uint128 x = rng.uniform_below_u128(bound);
    if (x >= bound) ++out_of_range;
    else thirds[static_cast<int>(x >> 100)] += 1;
  }
  CHECK(out_of_range == 0);
  chi2 = 0;
  for (double c : thirds) chi2 += (c - 10000) * (c - 10000) / 10000;
  CHECK(chi2 < chi_square_bound(2));
}

TEST_CASE("split generators are keyed by the parent's stream and independent of it", "[secure_rng]") {
  SecureRng parent(sequential_key());
  SecureRng child = parent.split();
  SecureRng twin_parent(sequential_key());
  SecureRng twin = twin_parent.split();
  const uint128 c = child.next_u128();
  CHECK(c == twin.next_u128());
  CHECK(c != parent.next_u128());
  SecureRng second = parent.split();
  CHECK(second.next_u128() != c);
}
