#pragma once
// Hashes and encodings on OpenSSL: SHA-256, MD5, HMAC-SHA256, hex, base64.

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "agent/base/chunk_sink.h"

namespace kb {

/// Incremental SHA-256 (FIPS 180-4). Not thread-safe.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256 const&) = delete;
  Sha256& operator=(Sha256 const&) = delete;
  void Update(ByteSpan data);
  void Update(std::string_view data) { Update(AsBytes(data)); }
  /// Returns the 32-byte digest; the object must not be updated afterwards.
  std::array<std::uint8_t, 32> Final();
  /// Lower-case hex of Final().
  std::string FinalHex();

 private:
  void* ctx_;
};

/// Incremental MD5 (RFC 1321), for S3 Content-MD5 and ETags only, never for integrity.
class Md5 {
 public:
  Md5();
  ~Md5();
  Md5(Md5 const&) = delete;
  Md5& operator=(Md5 const&) = delete;
  void Update(ByteSpan data);
  std::array<std::uint8_t, 16> Final();
  /// Lower-case hex of Final().
  std::string FinalHex();

 private:
  void* ctx_;
};

/// SHA-256 of `data` as 64 lower-case hex characters.
std::string Sha256Hex(std::string_view data);
/// HMAC-SHA256 (RFC 2104) of `data` under raw-byte `key`; 32 raw bytes.
std::string HmacSha256(std::string_view key, std::string_view data);
/// Lower-case hex of raw bytes.
std::string HexEncode(std::string_view raw);
/// Raw bytes of a hex string; empty on malformed input (odd length, non-hex).
std::string HexDecode(std::string_view hex);
/// Standard base64 with padding (RFC 4648 §4).
std::string Base64Encode(std::string_view raw);
/// Decodes standard or URL-safe base64 (RFC 4648 §4/§5), padding optional; false on bad input.
bool Base64Decode(std::string_view text, std::string& out);

/// A pipeline stage that hashes every byte with SHA-256 and forwards it. After Finish, hex()
/// returns the digest of everything written.
class Sha256Sink final : public ChunkSink {
 public:
  explicit Sha256Sink(std::unique_ptr<ChunkSink> next) : next_(std::move(next)) {}
  Status Write(ByteSpan chunk) override;
  Status Finish() override;
  /// Digest as hex; valid after Finish().
  std::string const& hex() const { return hex_; }
  std::uint64_t bytes() const { return bytes_; }

 private:
  std::unique_ptr<ChunkSink> next_;
  Sha256 sha_;
  std::string hex_;
  std::uint64_t bytes_ = 0;
};

}  // namespace kb
