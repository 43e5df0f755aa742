#include "etcd/internal/snapshot_stream.h"

#include <fmt/format.h>

#include "agent/base/crypto.h"

namespace kb::etcd::internal {
namespace {

// kData: data blobs; kTrailer: the last data blob was seen, the next message is the trailer;
// kDone: the trailer matched, only the end of the stream may follow (etcd-api.md §2.1).
enum class State { kData, kTrailer, kDone };

}  // namespace

StatusOr<SnapshotStreamResult> ReadSnapshotStream(SnapshotStream& stream, ChunkSink& sink,
                                                  std::string_view endpoint,
                                                  SnapshotProgressFn const& progress) {
  auto data_loss = [&](std::string const& what) {
    return DataLossError(fmt::format(
        "snapshot from {}: {}; the stream is corrupt or truncated, take a new snapshot",
        endpoint, what));
  };
  Sha256 sha;
  SnapshotStreamResult result;
  State state = State::kData;
  std::uint64_t total = 0;  // DB bytes announced by the first message
  std::uint64_t messages = 0;
  std::string digest_hex;
  etcdserverpb::SnapshotResponse msg;
  while (true) {
    msg.Clear();
    KB_ASSIGN_OR_RETURN(bool got, stream.Next(msg));
    if (!got) break;
    ++messages;
    if (result.storage_version.empty() && !msg.version().empty()) {
      result.storage_version = msg.version();
    }
    std::string const& blob = msg.blob();
    switch (state) {
      case State::kData: {
        if (messages == 1) total = msg.remaining_bytes() + blob.size();
        std::uint64_t const received = result.db_bytes + blob.size();
        if (received > total || msg.remaining_bytes() != total - received) {
          return data_loss(fmt::format(
              "message {} says {} bytes remain after {} of {} announced bytes", messages,
              msg.remaining_bytes(), received, total));
        }
        sha.Update(AsBytes(blob));
        KB_RETURN_IF_ERROR(sink.Write(AsBytes(blob)));
        result.db_bytes = received;
        if (msg.remaining_bytes() == 0) {
          digest_hex = sha.FinalHex();
          state = State::kTrailer;
        }
        break;
      }
      case State::kTrailer: {
        if (blob.size() != kSnapshotTrailerBytes || msg.remaining_bytes() != 0) {
          return data_loss(fmt::format(
              "expected the 32-byte sha256 trailer after {} DB bytes, got a {}-byte blob with "
              "remaining_bytes={}",
              result.db_bytes, blob.size(), msg.remaining_bytes()));
        }
        std::string const trailer_hex = HexEncode(blob);
        if (trailer_hex != digest_hex) {
          return data_loss(fmt::format("snapshot hash mismatch: trailer says {}, data has {}",
                                       trailer_hex, digest_hex));
        }
        KB_RETURN_IF_ERROR(sink.Write(AsBytes(blob)));
        state = State::kDone;
        break;
      }
      case State::kDone:
        return data_loss(fmt::format("unexpected {}-byte message after the sha256 trailer",
                                     blob.size()));
    }
    if (progress) {
      std::uint64_t const received =
          result.db_bytes + (state == State::kDone ? kSnapshotTrailerBytes : 0);
      progress(received, total + kSnapshotTrailerBytes);
    }
  }
  if (state == State::kData) {
    return data_loss(fmt::format("stream ended after {} of {} DB bytes", result.db_bytes, total));
  }
  if (state == State::kTrailer) {
    return data_loss(
        fmt::format("stream ended after {} DB bytes without the sha256 trailer", result.db_bytes));
  }
  KB_RETURN_IF_ERROR(sink.Finish());
  result.db_sha256_hex = digest_hex;
  return result;
}

}  // namespace kb::etcd::internal
