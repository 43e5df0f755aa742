#pragma once
// Pipeline stages (STYLE.md §8): Write(chunk) ... Finish(). A stage does one job and owns the next.

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "agent/base/status.h"

namespace kb {

using ByteSpan = std::span<std::byte const>;

/// Returns the bytes of `s` as a ByteSpan (no copy).
inline ByteSpan AsBytes(std::string_view s) {
  return {reinterpret_cast<std::byte const*>(s.data()), s.size()};
}

/// A stage of a byte pipeline. Not thread-safe: one producer calls Write then Finish.
/// Destroyed without Finish(): the stage abandons its work (unlinks temp files, aborts uploads).
class ChunkSink {
 public:
  virtual ~ChunkSink() = default;
  /// Consumes `chunk`. The first error sticks: later calls return it again.
  virtual Status Write(ByteSpan chunk) = 0;
  /// Flushes, finishes the next stage, commits. Called once, after the last Write.
  virtual Status Finish() = 0;
};

/// Collects everything written into memory; for tests and small objects.
class CollectingSink final : public ChunkSink {
 public:
  Status Write(ByteSpan chunk) override;
  Status Finish() override;
  std::string const& data() const { return data_; }
  bool finished() const { return finished_; }

 private:
  std::string data_;
  bool finished_ = false;
};

/// Passes each chunk to every sink in order; Finish finishes them in order. The first error of
/// any sink sticks. Owns the sinks.
class TeeSink final : public ChunkSink {
 public:
  explicit TeeSink(std::vector<std::unique_ptr<ChunkSink>> sinks) : sinks_(std::move(sinks)) {}
  Status Write(ByteSpan chunk) override;
  Status Finish() override;

 private:
  std::vector<std::unique_ptr<ChunkSink>> sinks_;
  Status error_;
};

/// Counts bytes and forwards them unchanged. `count` is read after Finish.
class CountingSink final : public ChunkSink {
 public:
  explicit CountingSink(std::unique_ptr<ChunkSink> next) : next_(std::move(next)) {}
  Status Write(ByteSpan chunk) override {
    bytes_ += chunk.size();
    return next_->Write(chunk);
  }
  Status Finish() override { return next_->Finish(); }
  std::uint64_t bytes() const { return bytes_; }

 private:
  std::unique_ptr<ChunkSink> next_;
  std::uint64_t bytes_ = 0;
};

}  // namespace kb
