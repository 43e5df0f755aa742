#include "agent/base/zstd_sink.h"

#include <zstd.h>

namespace kb {
namespace {
constexpr int kZstdJobSizeBytes = 2 << 20;
}  // namespace

StatusOr<std::unique_ptr<ZstdCompressSink>> ZstdCompressSink::Create(
    int level, int workers, std::unique_ptr<ChunkSink> next) {
  if (level < 1 || level > ZSTD_maxCLevel()) {
    return InvalidArgumentError(
        fmt::format("compression level {} is out of range 1..{}", level, ZSTD_maxCLevel()));
  }
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
  if (workers > 0) {
    // Silently single-threaded if libzstd was built without threads.
    (void)ZSTD_CCtx_setParameter(cctx, ZSTD_c_nbWorkers, workers);
    // Each worker holds a job's input and output: 2 MiB jobs keep memory near 50 MiB at any
    // level up to 9 (zstd's default would be 4 windows: 8 MiB at level 3, more above).
    (void)ZSTD_CCtx_setParameter(cctx, ZSTD_c_jobSize, kZstdJobSizeBytes);
  }
  return std::unique_ptr<ZstdCompressSink>(new ZstdCompressSink(cctx, std::move(next)));
}

ZstdCompressSink::ZstdCompressSink(void* cctx, std::unique_ptr<ChunkSink> next)
    : cctx_(cctx), next_(std::move(next)), out_(ZSTD_CStreamOutSize(), '\0') {}

ZstdCompressSink::~ZstdCompressSink() { ZSTD_freeCCtx(static_cast<ZSTD_CCtx*>(cctx_)); }

Status ZstdCompressSink::Drive(ByteSpan in_bytes, bool end) {
  ZSTD_inBuffer in{in_bytes.data(), in_bytes.size(), 0};
  for (;;) {
    ZSTD_outBuffer out{out_.data(), out_.size(), 0};
    std::size_t rc = ZSTD_compressStream2(static_cast<ZSTD_CCtx*>(cctx_), &out, &in,
                                          end ? ZSTD_e_end : ZSTD_e_continue);
    if (ZSTD_isError(rc)) return InternalError(fmt::format("zstd: {}", ZSTD_getErrorName(rc)));
    if (out.pos > 0) {
      KB_RETURN_IF_ERROR(next_->Write(ByteSpan(reinterpret_cast<std::byte*>(out_.data()), out.pos)));
    }
    bool done = end ? rc == 0 : in.pos == in.size;
    if (done) return OkStatus();
  }
}

Status ZstdCompressSink::Write(ByteSpan chunk) {
  if (!error_.ok()) return error_;
  error_ = Drive(chunk, false);
  return error_;
}

Status ZstdCompressSink::Finish() {
  if (!error_.ok()) return error_;
  error_ = Drive({}, true);
  KB_RETURN_IF_ERROR(error_);
  return next_->Finish();
}

ZstdDecompressSink::ZstdDecompressSink(std::unique_ptr<ChunkSink> next)
    : dctx_(ZSTD_createDCtx()), next_(std::move(next)), out_(ZSTD_DStreamOutSize(), '\0') {}

ZstdDecompressSink::~ZstdDecompressSink() { ZSTD_freeDCtx(static_cast<ZSTD_DCtx*>(dctx_)); }

Status ZstdDecompressSink::Write(ByteSpan chunk) {
  if (!error_.ok()) return error_;
  ZSTD_inBuffer in{chunk.data(), chunk.size(), 0};
  while (in.pos < in.size) {
    ZSTD_outBuffer out{out_.data(), out_.size(), 0};
    std::size_t rc = ZSTD_decompressStream(static_cast<ZSTD_DCtx*>(dctx_), &out, &in);
    if (ZSTD_isError(rc)) {
      return error_ = DataLossError(
                 fmt::format("zstd stream is corrupt: {}", ZSTD_getErrorName(rc)));
    }
    last_hint_ = rc;
    if (out.pos > 0) {
      error_ = next_->Write(ByteSpan(reinterpret_cast<std::byte*>(out_.data()), out.pos));
      KB_RETURN_IF_ERROR(error_);
    }
  }
  // Flush output still buffered inside the decoder.
  for (;;) {
    ZSTD_inBuffer empty{nullptr, 0, 0};
    ZSTD_outBuffer out{out_.data(), out_.size(), 0};
    std::size_t rc = ZSTD_decompressStream(static_cast<ZSTD_DCtx*>(dctx_), &out, &empty);
    if (ZSTD_isError(rc)) {
      return error_ = DataLossError(
                 fmt::format("zstd stream is corrupt: {}", ZSTD_getErrorName(rc)));
    }
    if (out.pos == 0) break;
    last_hint_ = rc;
    error_ = next_->Write(ByteSpan(reinterpret_cast<std::byte*>(out_.data()), out.pos));
    KB_RETURN_IF_ERROR(error_);
  }
  return OkStatus();
}

Status ZstdDecompressSink::Finish() {
  if (!error_.ok()) return error_;
  if (last_hint_ != 0) {
    return error_ = DataLossError("zstd stream ends inside a frame: the file is truncated");
  }
  return next_->Finish();
}

}  // namespace kb
