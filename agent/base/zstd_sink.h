#pragma once
// zstd compression and decompression as pipeline stages (RFC 8878 frames).

#include <memory>
#include <string>

#include "agent/base/chunk_sink.h"

namespace kb {

/// Compresses everything written into one zstd frame and writes it to `next`.
/// Multi-threaded when `workers` > 0 (zstd's own worker threads). Memory: a few MiB per worker
/// at low levels, independent of the input size.
class ZstdCompressSink final : public ChunkSink {
 public:
  /// `level`: 1..19 (3 is zstd's default). `workers`: 0 = single-threaded.
  /// Errors: kInvalidArgument for a level out of range.
  static StatusOr<std::unique_ptr<ZstdCompressSink>> Create(int level, int workers,
                                                            std::unique_ptr<ChunkSink> next);
  ~ZstdCompressSink() override;
  Status Write(ByteSpan chunk) override;
  /// Ends the frame, then finishes `next`.
  Status Finish() override;

 private:
  ZstdCompressSink(void* cctx, std::unique_ptr<ChunkSink> next);
  Status Drive(ByteSpan in, bool end);
  void* cctx_;
  std::unique_ptr<ChunkSink> next_;
  std::string out_;
  Status error_;
};

/// Decompresses a zstd stream (one or more frames) written into it and writes the plain bytes to
/// `next`. Finish fails with kDataLoss when the input ends inside a frame (truncated file).
class ZstdDecompressSink final : public ChunkSink {
 public:
  explicit ZstdDecompressSink(std::unique_ptr<ChunkSink> next);
  ~ZstdDecompressSink() override;
  Status Write(ByteSpan chunk) override;
  Status Finish() override;

 private:
  void* dctx_;
  std::unique_ptr<ChunkSink> next_;
  std::string out_;
  std::size_t last_hint_ = 0;
  Status error_;
};

}  // namespace kb
