#include "veil/privacy/chacha20.h"

namespace veil {
namespace {

uint32_t rotl(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

}  // namespace

void chacha20_quarter_round(uint32_t& a, uint32_t& b, uint32_t& c, uint32_t& d) {
  a += b; d ^= a; d = rotl(d, 16);
  c += d; b ^= c; b = rotl(b, 12);
  a += b; d ^= a; d = rotl(d, 8);
  c += d; b ^= c; b = rotl(b, 7);
}

ChaChaBlock chacha20_block(const ChaChaKey& key, uint32_t counter, const ChaChaNonce& nonce) {
  // Words 0-3 are the constant "expand 32-byte k", then key, counter, nonce.
  const ChaChaBlock input{0x61707865u, 0x3320646eu, 0x79622d32u, 0x6b206574u,
                          key[0],      key[1],      key[2],      key[3],
                          key[4],      key[5],      key[6],      key[7],
                          counter,     nonce[0],    nonce[1],    nonce[2]};
  ChaChaBlock x = input;
  for (int i = 0; i < 10; ++i) {
    // A column round, then a diagonal round.
    chacha20_quarter_round(x[0], x[4], x[8], x[12]);
    chacha20_quarter_round(x[1], x[5], x[9], x[13]);
    chacha20_quarter_round(x[2], x[6], x[10], x[14]);
    chacha20_quarter_round(x[3], x[7], x[11], x[15]);
    chacha20_quarter_round(x[0], x[5], x[10], x[15]);
    chacha20_quarter_round(x[1], x[6], x[11], x[12]);
    chacha20_quarter_round(x[2], x[7], x[8], x[13]);
    chacha20_quarter_round(x[3], x[4], x[9], x[14]);
  }
  for (int i = 0; i < 16; ++i) x[i] += input[i];
  return x;
}

ChaChaKey chacha20_key_from_bytes(const std::array<uint8_t, 32>& bytes) {
  ChaChaKey key;
  for (int i = 0; i < 8; ++i) {
    key[i] = uint32_t{bytes[4 * i]} | uint32_t{bytes[4 * i + 1]} << 8 | uint32_t{bytes[4 * i + 2]} << 16 |
             uint32_t{bytes[4 * i + 3]} << 24;
  }
  return key;
}

std::array<uint8_t, 64> chacha20_block_bytes(const ChaChaBlock& block) {
  std::array<uint8_t, 64> bytes;
  for (int i = 0; i < 16; ++i) {
    for (int j = 0; j < 4; ++j) bytes[4 * i + j] = static_cast<uint8_t>(block[i] >> (8 * j));
  }
  return bytes;
}

}  // namespace veil
