#pragma once
// Checks of etcd snapshot files: `db || sha256(db)`, the layout `etcdctl snapshot save` writes
// and `etcdutl snapshot restore` verifies (shared/spec/etcd-api.md §2.2).

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "agent/base/chunk_sink.h"
#include "agent/base/crypto.h"
#include "agent/base/status.h"

namespace kb::etcd {

/// Bytes of etcd's sha256 trailer.
inline constexpr std::uint64_t kSnapshotTrailerBytes = 32;

/// True when a snapshot of `size` bytes can hold a trailer: size % 512 == 32, the test etcdutl
/// uses (a bbolt DB is a whole number of pages of at least 512 bytes).
constexpr bool HasSnapshotTrailerSize(std::uint64_t size) {
  return size >= kSnapshotTrailerBytes && size % 512 == kSnapshotTrailerBytes;
}

/// The result of a successful VerifySnapshotFile.
struct SnapshotFileCheck {
  std::uint64_t file_bytes = 0;  ///< size of the file, trailer included
  std::uint64_t db_bytes = 0;    ///< bbolt DB bytes (file_bytes - 32)
  std::string db_sha256_hex;     ///< sha256 of the DB bytes (= the trailer), hex
};

/// Checks that the file at `path` is `db || sha256(db)`: size % 512 == 32 and the last 32
/// bytes equal the sha256 of the rest. Reads the file once in fixed-size chunks (constant
/// memory). Spec: etcd-api.md §2.2.
/// Errors: kDataLoss "PATH: no sha256 trailer (size N is not a multiple of 512 plus 32)" or
///   "PATH: snapshot hash mismatch: expected T, got H; the file is corrupt, do not restore it";
///   kNotFound/kPermissionDenied/kUnavailable when it cannot be read (message names PATH).
StatusOr<SnapshotFileCheck> VerifySnapshotFile(std::filesystem::path const& path);

/// A pipeline stage that checks the `db || sha256(db)` structure of the bytes passing through
/// (e.g. a decompressed snapshot) and forwards every byte, trailer included, to `next`.
/// The last 32 bytes are only known at Finish(), which checks size and hash and then finishes
/// `next`; on a mismatch it returns kDataLoss and does NOT finish `next` (which abandons).
/// Not thread-safe.
class SnapshotVerifierSink final : public ChunkSink {
 public:
  /// `next` receives the bytes unchanged; it must not be null.
  explicit SnapshotVerifierSink(std::unique_ptr<ChunkSink> next);
  /// Forwards `chunk`; hashes all bytes but the latest 32.
  Status Write(ByteSpan chunk) override;
  /// Errors: kDataLoss "no sha256 trailer (size N is not a multiple of 512 plus 32)" or
  ///   "snapshot hash mismatch: expected T, got H" (T: trailer, H: sha256 of the data);
  ///   `next`'s errors.
  Status Finish() override;
  /// DB bytes (trailer excluded); valid after a successful Finish().
  std::uint64_t db_bytes() const { return db_bytes_; }
  /// sha256 of the DB bytes, hex; valid after a successful Finish().
  std::string const& db_sha256_hex() const { return db_sha256_hex_; }

 private:
  std::unique_ptr<ChunkSink> next_;
  Sha256 sha_;
  std::string tail_;  // the latest <= 32 bytes, not hashed yet
  std::uint64_t hashed_ = 0;
  std::uint64_t db_bytes_ = 0;
  std::string db_sha256_hex_;
  Status error_;
};

}  // namespace kb::etcd
