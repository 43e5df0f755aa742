// FileObjectStore multipart uploads, emulated as ROOT/.uploads/<upload id>/:
//   upload.json       {key, initiated_ns, content_type, metadata}
//   part-NNNNN        the part's bytes (temp → fsync → rename)
//   part-NNNNN.json   {size, etag (MD5 hex), sha256}, written after the bytes; a part counts only
//                     when both exist and the sizes agree.
// Complete concatenates the parts into a temp file and publishes it like Put.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "agent/base/crypto.h"
#include "agent/base/file_util.h"
#include "agent/base/json.h"
#include "uploader/file_object_store.h"
#include "uploader/internal/file_store_io.h"

namespace kb::uploader {

namespace fs = std::filesystem;

namespace {

std::string PartName(int number) { return fmt::format("part-{:05d}", number); }

class FileUpload final : public Upload {
 public:
  FileUpload(FileObjectStore& store, std::string key, std::string upload_id)
      : store_(store), key_(std::move(key)), upload_id_(std::move(upload_id)),
        dir_(store.UploadDir(upload_id_)) {}

  std::string const& key() const override { return key_; }
  std::string const& upload_id() const override { return upload_id_; }

  StatusOr<PartInfo> UploadPart(int number, PartSource const& source) override {
    if (number < 1 || number > store_.Capabilities().max_parts) {
      return InvalidArgumentError(fmt::format("part number {} not in 1..{}", number,
                                              store_.Capabilities().max_parts));
    }
    KB_RETURN_IF_ERROR(CheckExists());
    fs::path tmp = dir_ / fmt::format(".{}.{}.tmp", PartName(number),
                                      internal::UniqueName(store_.clock()));
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0) return Gone(errno, tmp);
    auto digests = internal::CopyRange(source.path, source.offset, source.length, fd,
                                       tmp.string(), source.max_send_bytes_per_second,
                                       store_.clock());
    Status st = digests.status();
    if (st.ok() && !source.sha256_hex.empty() && digests->sha256_hex != source.sha256_hex) {
      st = DataLossError(fmt::format("part {} from {}: sha256 {}, expected {} (the file changed "
                                     "while it was sent)",
                                     number, source.path.string(), digests->sha256_hex,
                                     source.sha256_hex));
    }
    if (st.ok() && ::fsync(fd) != 0) st = ErrnoToStatus(errno, tmp.string());
    ::close(fd);
    fs::path data = dir_ / PartName(number);
    if (st.ok() && ::rename(tmp.c_str(), data.c_str()) != 0) st = Gone(errno, data);
    if (!st.ok()) {
      ::unlink(tmp.c_str());
      return st;
    }
    PartInfo part{.number = number, .size = source.length, .etag = digests->md5_hex,
                  .sha256_hex = digests->sha256_hex};
    json::object meta{{"size", part.size}, {"etag", part.etag}, {"sha256", part.sha256_hex}};
    st = WriteFileAtomically(dir_ / (PartName(number) + ".json"), json::serialize(meta));
    if (!st.ok()) return st.code() == StatusCode::kNotFound ? Gone(ENOENT, dir_) : st;
    return part;
  }

  StatusOr<std::vector<PartInfo>> ListParts() override {
    KB_RETURN_IF_ERROR(CheckExists());
    std::vector<PartInfo> parts;
    std::error_code ec;
    for (auto const& entry : fs::directory_iterator(dir_, ec)) {
      std::string name = entry.path().filename().string();
      if (!name.starts_with("part-") || !name.ends_with(".json")) continue;
      auto text = ReadFileToString(entry.path());
      if (!text.ok()) continue;
      auto v = ParseJson(*text, entry.path().string());
      if (!v.ok() || !v->is_object()) continue;
      PartInfo p;
      p.number = std::atoi(name.c_str() + 5);
      p.size = static_cast<std::uint64_t>(JsonInt(v->as_object(), "size", -1));
      p.etag = JsonString(v->as_object(), "etag");
      p.sha256_hex = JsonString(v->as_object(), "sha256");
      std::error_code size_ec;
      if (fs::file_size(dir_ / PartName(p.number), size_ec) != p.size || size_ec) continue;
      parts.push_back(std::move(p));
    }
    if (ec) return Gone(ec.value(), dir_);
    std::sort(parts.begin(), parts.end(),
              [](PartInfo const& a, PartInfo const& b) { return a.number < b.number; });
    return parts;
  }

  StatusOr<std::string> Complete(std::vector<PartInfo> const& parts) override {
    KB_ASSIGN_OR_RETURN(std::vector<PartInfo> held, ListParts());
    if (parts.empty()) return FailedPreconditionError(Where() + ": Complete with no parts");
    std::uint64_t const min_part = store_.Capabilities().min_part_size;
    std::vector<PartInfo> chosen;  // the held parts named by `parts`, in order
    for (std::size_t i = 0; i < parts.size(); ++i) {
      PartInfo const& want = parts[i];
      if (i > 0 && want.number <= parts[i - 1].number) {
        return FailedPreconditionError(Where() + ": InvalidPartOrder: parts must ascend");
      }
      auto it = std::find_if(held.begin(), held.end(),
                             [&](PartInfo const& h) { return h.number == want.number; });
      if (it == held.end() || it->etag != want.etag) {
        return FailedPreconditionError(fmt::format(
            "{}: InvalidPart: part {} is missing or its ETag differs", Where(), want.number));
      }
      if (i + 1 < parts.size() && it->size < min_part) {
        return FailedPreconditionError(fmt::format(
            "{}: EntityTooSmall: part {} has {} bytes, the minimum is {}", Where(), want.number,
            it->size, min_part));
      }
      chosen.push_back(*it);
    }
    auto upload_meta = ReadFileToString(dir_ / "upload.json");
    if (!upload_meta.ok()) return Gone(ENOENT, dir_);
    KB_ASSIGN_OR_RETURN(fs::path tmp, store_.TempPath());
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0) return ErrnoToStatus(errno, tmp.string());
    // The parts' MD5s were computed when they were written; the bytes move in the kernel.
    std::string md5s;
    Status st;
    for (PartInfo const& p : chosen) {
      std::string const md5_raw = HexDecode(p.etag);
      if (md5_raw.size() != 16) {
        st = DataLossError(fmt::format("{}: part {} has a malformed ETag {}", Where(), p.number,
                                       p.etag));
        break;
      }
      st = internal::AppendFileRange(dir_ / PartName(p.number), p.size, fd, tmp.string());
      if (!st.ok()) break;
      md5s += md5_raw;
    }
    if (st.ok() && ::fsync(fd) != 0) st = ErrnoToStatus(errno, tmp.string());
    ::close(fd);
    if (!st.ok()) {
      ::unlink(tmp.c_str());
      return st;
    }
    Md5 md5;
    md5.Update(AsBytes(md5s));
    std::string etag = md5.FinalHex() + "-" + std::to_string(parts.size());
    PutOptions options;
    if (auto v = ParseJson(*upload_meta, "upload.json"); v.ok() && v->is_object()) {
      options.content_type = JsonString(v->as_object(), "content_type");
      if (auto const* m = v->as_object().if_contains("metadata"); m && m->is_object()) {
        for (auto const& [k, val] : m->as_object()) {
          if (val.is_string()) options.metadata[std::string(k)] = std::string(val.as_string());
        }
      }
    }
    KB_RETURN_IF_ERROR(store_.Publish(tmp, key_, etag, options));
    std::error_code ec;
    fs::remove_all(dir_, ec);
    return etag;
  }

  Status Abort() override {
    KB_RETURN_IF_ERROR(CheckExists());
    std::error_code ec;
    fs::remove_all(dir_, ec);
    if (ec) return ErrnoToStatus(ec.value(), dir_.string());
    return OkStatus();
  }

 private:
  std::string Where() const {
    return fmt::format("{}/{} upload {}", store_.Describe(), key_, upload_id_);
  }
  Status Gone(int err, fs::path const& path) const {
    if (err == ENOENT) {
      return NotFoundError(fmt::format(
          "{}: NoSuchUpload: the upload no longer exists (completed or aborted)", Where()));
    }
    return ErrnoToStatus(err, path.string());
  }
  Status CheckExists() const {
    std::error_code ec;
    if (!fs::exists(dir_ / "upload.json", ec)) return Gone(ENOENT, dir_);
    return OkStatus();
  }

  FileObjectStore& store_;
  std::string key_;
  std::string upload_id_;
  fs::path dir_;
};

}  // namespace

StatusOr<UploadPtr> FileObjectStore::BeginUpload(std::string const& key,
                                                 PutOptions const& options) {
  KB_RETURN_IF_ERROR(CheckKey(key));
  std::string id = internal::UniqueName(clock());
  fs::path dir = UploadDir(id);
  KB_RETURN_IF_ERROR(EnsureDir(dir));
  json::object meta;
  for (auto const& [k, v] : options.metadata) meta[k] = v;
  json::object o{{"key", key},
                 {"initiated_ns", std::chrono::duration_cast<std::chrono::nanoseconds>(
                                      clock().Now().time_since_epoch())
                                      .count()},
                 {"content_type", options.content_type},
                 {"metadata", std::move(meta)}};
  KB_RETURN_IF_ERROR(WriteFileAtomically(dir / "upload.json", json::serialize(o)));
  return UploadPtr(new FileUpload(*this, key, id));
}

StatusOr<UploadPtr> FileObjectStore::ResumeUpload(std::string const& key,
                                                  std::string const& upload_id) {
  KB_RETURN_IF_ERROR(CheckKey(key));
  bool valid_id = !upload_id.empty() && upload_id.find_first_of("/.") == std::string::npos;
  auto text = valid_id ? ReadFileToString(UploadDir(upload_id) / "upload.json")
                       : StatusOr<std::string>(NotFoundError("bad upload id"));
  auto v = text.ok() ? ParseJson(*text, "upload.json") : StatusOr<json::value>(text.status());
  if (!v.ok() || !v->is_object() || JsonString(v->as_object(), "key") != key) {
    return NotFoundError(fmt::format("{}/{}: upload {} no longer exists (completed or aborted)",
                                     Describe(), key, upload_id));
  }
  return UploadPtr(new FileUpload(*this, key, upload_id));
}

StatusOr<std::vector<PendingUpload>> FileObjectStore::ListUploads(std::string const& prefix) {
  std::vector<PendingUpload> out;
  std::error_code ec;
  fs::path dir = root_ / ".uploads";
  if (!fs::is_directory(dir, ec)) return out;
  for (auto const& entry : fs::directory_iterator(dir, ec)) {
    std::string id = entry.path().filename().string();
    if (id.starts_with(".")) continue;
    auto text = ReadFileToString(entry.path() / "upload.json");
    if (!text.ok()) continue;
    auto v = ParseJson(*text, "upload.json");
    if (!v.ok() || !v->is_object()) continue;
    PendingUpload u;
    u.key = JsonString(v->as_object(), "key");
    if (!u.key.starts_with(prefix)) continue;
    u.upload_id = id;
    u.initiated = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::nanoseconds(JsonInt(v->as_object(), "initiated_ns"))));
    out.push_back(std::move(u));
  }
  if (ec) return ErrnoToStatus(ec.value(), dir.string());
  std::sort(out.begin(), out.end(), [](PendingUpload const& a, PendingUpload const& b) {
    return a.key != b.key ? a.key < b.key : a.upload_id < b.upload_id;
  });
  return out;
}

}  // namespace kb::uploader
