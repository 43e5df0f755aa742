#include "kube/velero_tar.h"

#include <archive.h>
#include <archive_entry.h>

namespace kb::kube {
namespace {

Status ArchiveError(struct archive* a, std::string_view what) {
  char const* msg = archive_error_string(a);
  return InternalError(fmt::format("tarball: {}: {}", what, msg != nullptr ? msg : "unknown"));
}

}  // namespace

long VeleroTarWriter::WriteCallback(struct archive*, void* self, void const* buffer, std::size_t length) {
  auto* w = static_cast<VeleroTarWriter*>(self);
  if (!w->error_.ok()) return -1;
  w->error_ = w->sink_.Write(ByteSpan(static_cast<std::byte const*>(buffer), length));
  if (!w->error_.ok()) return -1;
  w->bytes_written_ += length;
  return static_cast<long>(length);
}

StatusOr<std::unique_ptr<VeleroTarWriter>> VeleroTarWriter::Create(
    ChunkSink& sink, std::chrono::system_clock::time_point mtime) {
  std::unique_ptr<VeleroTarWriter> w(new VeleroTarWriter(sink, mtime));
  struct archive* a = archive_write_new();
  if (a == nullptr) return InternalError("tarball: archive_write_new failed");
  w->archive_ = a;
  if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
      archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
      archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK) {
    return ArchiveError(a, "setup");
  }
  if (archive_write_open2(a, w.get(), nullptr, &VeleroTarWriter::WriteCallback, nullptr,
                          nullptr) != ARCHIVE_OK) {
    return ArchiveError(a, "open");
  }
  return w;
}

VeleroTarWriter::~VeleroTarWriter() {
  if (archive_ != nullptr) archive_write_free(static_cast<struct archive*>(archive_));
}

Status VeleroTarWriter::AddFile(std::string const& name, std::string_view content) {
  if (!error_.ok()) return error_;
  auto* a = static_cast<struct archive*>(archive_);
  struct archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, name.c_str());
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, 0755);
  archive_entry_set_size(e, static_cast<la_int64_t>(content.size()));
  archive_entry_set_uid(e, 0);
  archive_entry_set_gid(e, 0);
  archive_entry_set_mtime(e, std::chrono::system_clock::to_time_t(mtime_), 0);
  int rc = archive_write_header(a, e);
  archive_entry_free(e);
  if (rc != ARCHIVE_OK) return error_.ok() ? (error_ = ArchiveError(a, name)) : error_;
  std::size_t done = 0;
  while (done < content.size()) {
    la_ssize_t n = archive_write_data(a, content.data() + done, content.size() - done);
    if (n <= 0) return error_.ok() ? (error_ = ArchiveError(a, name)) : error_;
    done += static_cast<std::size_t>(n);
  }
  return OkStatus();
}

Status VeleroTarWriter::Close() {
  if (closed_) return error_;
  closed_ = true;
  if (!error_.ok()) return error_;
  auto* a = static_cast<struct archive*>(archive_);
  if (archive_write_close(a) != ARCHIVE_OK && error_.ok()) error_ = ArchiveError(a, "close");
  return error_;
}

StatusOr<std::string> Gzip(std::string_view data) {
  struct archive* a = archive_write_new();
  if (a == nullptr) return InternalError("gzip: archive_write_new failed");
  std::string out;
  out.resize(data.size() + data.size() / 2 + 1024);
  std::size_t used = 0;
  Status st;
  if (archive_write_set_format_raw(a) != ARCHIVE_OK ||
      archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
      archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
      archive_write_open_memory(a, out.data(), out.size(), &used) != ARCHIVE_OK) {
    st = ArchiveError(a, "gzip setup");
  } else {
    struct archive_entry* e = archive_entry_new();
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
    if (archive_write_header(a, e) != ARCHIVE_OK ||
        (data.size() > 0 &&
         archive_write_data(a, data.data(), data.size()) != static_cast<la_ssize_t>(data.size())) ||
        archive_write_close(a) != ARCHIVE_OK) {
      st = ArchiveError(a, "gzip");
    }
    archive_entry_free(e);
  }
  archive_write_free(a);
  KB_RETURN_IF_ERROR(st);
  out.resize(used);
  return out;
}

StatusOr<std::string> Gunzip(std::string_view data, std::string_view what) {
  struct archive* a = archive_read_new();
  if (a == nullptr) return InternalError("gunzip: archive_read_new failed");
  archive_read_support_filter_gzip(a);
  archive_read_support_format_raw(a);
  std::string out;
  Status st;
  struct archive_entry* e = nullptr;
  if (archive_read_open_memory(a, data.data(), data.size()) != ARCHIVE_OK ||
      archive_read_next_header(a, &e) != ARCHIVE_OK) {
    st = DataLossError(fmt::format("{}: not gzip: {}", what, archive_error_string(a)));
  } else {
    char buf[65536];
    for (;;) {
      la_ssize_t n = archive_read_data(a, buf, sizeof buf);
      if (n < 0) {
        st = DataLossError(fmt::format("{}: corrupt gzip: {}", what, archive_error_string(a)));
        break;
      }
      if (n == 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
  }
  archive_read_free(a);
  KB_RETURN_IF_ERROR(st);
  return out;
}

}  // namespace kb::kube
