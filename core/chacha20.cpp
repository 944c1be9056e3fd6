#include "veil/core/chacha20.h"

#include <sodium.h>
#include <string.h>  // explicit_bzero

#include <bit>
#include <cstring>

#include "veil/core/error.h"

namespace veil {

namespace {

std::array<uint8_t, 32> key_bytes(const ChaChaKey& key) {
  std::array<uint8_t, 32> bytes;
  for (int i = 0; i < 8; ++i)
    for (int j = 0; j < 4; ++j) bytes[4 * i + j] = static_cast<uint8_t>(key[i] >> (8 * j));
  return bytes;
}

}  // namespace

void ensure_sodium() {
  // sodium_init is thread-safe and idempotent; -1 means no usable entropy source.
  static const int status = sodium_init();
  VEIL_CHECK(status >= 0) << "libsodium could not be initialised (no entropy source available?)";
}

void chacha20_blocks(const ChaChaKey& key, uint32_t counter, const ChaChaNonce& nonce, ChaChaBlock* out,
                     std::size_t count) {
  VEIL_ASSERT(count <= (uint64_t{1} << 32) - counter) << "ChaCha20 block counter would wrap";
  ensure_sodium();
  // The keystream is the encryption of zeros: libsodium's IETF ChaCha20 is
  // RFC 8439's, with the block counter starting at `counter`. Its bytes are
  // the blocks' little-endian words, so they land in `out` as they are.
  static_assert(std::endian::native == std::endian::little, "keystream words are read as little-endian");
  std::array<uint8_t, crypto_stream_chacha20_ietf_NONCEBYTES> nonce_bytes;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 4; ++j) nonce_bytes[4 * i + j] = static_cast<uint8_t>(nonce[i] >> (8 * j));
  std::array<uint8_t, 32> secret = key_bytes(key);
  auto* bytes = reinterpret_cast<unsigned char*>(out);
  const std::size_t length = count * sizeof(ChaChaBlock);
  std::memset(bytes, 0, length);
  crypto_stream_chacha20_ietf_xor_ic(bytes, bytes, length, nonce_bytes.data(), counter, secret.data());
  explicit_bzero(secret.data(), secret.size());
}

ChaChaBlock chacha20_block(const ChaChaKey& key, uint32_t counter, const ChaChaNonce& nonce) {
  ChaChaBlock block;
  chacha20_blocks(key, counter, nonce, &block, 1);
  return block;
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
