#pragma once
// The client side of Maintenance.Snapshot: reads SnapshotResponse messages from a stream,
// verifies etcd's sha256 trailer with the state machine of etcd-api.md §2.1 and forwards every
// blob to a ChunkSink. Private to etcd/; the gRPC stream is one implementation, tests use fakes.

#include <cstdint>
#include <string>
#include <string_view>

#include "agent/base/chunk_sink.h"
#include "agent/base/status.h"
#include "etcd/etcd_client.h"
#include "etcd/proto/rpc.pb.h"
#include "etcd/snapshot_file.h"

namespace kb::etcd::internal {

/// A source of SnapshotResponse messages.
class SnapshotStream {
 public:
  virtual ~SnapshotStream() = default;
  /// Reads the next message into `msg`. Returns true when one was read, false when the stream
  /// ended with OK, or the stream's error (already mapped to a kb::Status naming the endpoint).
  virtual StatusOr<bool> Next(etcdserverpb::SnapshotResponse& msg) = 0;
  /// Asks a blocked or later Next() to end with an error soon. Thread-safe (may be called while
  /// another thread is inside Next). Default: nothing to cancel.
  virtual void Cancel() {}
};

/// What a verified stream carried.
struct SnapshotStreamResult {
  std::uint64_t db_bytes = 0;   ///< bytes of all data blobs (trailer excluded)
  std::string db_sha256_hex;    ///< their sha256 = the trailer, hex
  std::string storage_version;  ///< first non-empty `version` field (3.6+), else empty
};

/// Reads `stream` to its end. Every blob (data and trailer) is written to `sink` as received;
/// after a message with remaining_bytes == 0 the next must be the 32-byte trailer equal to
/// sha256(data), then the stream must end. Only then is sink.Finish() called.
/// `progress` (may be empty) gets bytes received (trailer included) and the expected total.
/// Errors: kDataLoss naming `endpoint` (trailer mismatch or missing, wrong size, truncated
///   stream, inconsistent remaining_bytes, data after the trailer): the sink is NOT finished;
///   the stream's own errors; the sink's Write/Finish errors.
StatusOr<SnapshotStreamResult> ReadSnapshotStream(SnapshotStream& stream, ChunkSink& sink,
                                                  std::string_view endpoint,
                                                  SnapshotProgressFn const& progress);

}  // namespace kb::etcd::internal
