// FileObjectStore multipart uploads, emulated as ROOT/.uploads/<upload id>/:
//   upload.json       {key, initiated_ns, content_type, metadata, part_size}
//   part-NNNNN        the part's bytes (temp → fsync → rename), or, when the upload declared a
//   data              part size P and the part is at most P bytes, bytes [(N-1)P, (N-1)P + size)
//                     of the one file `data` (the part is written in place)
//   part-NNNNN.json   {size, etag (MD5 hex), sha256, in_place}, written after the bytes (and
//                     removed before they are rewritten); a part counts only when its bytes exist
//                     and the sizes agree.
// Complete publishes `data` itself when the parts are 1..N in place, every one but the last of P
// bytes (no copy); otherwise it concatenates the parts into a temp file in the kernel. Either
// way the object is published like Put.
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

/// A part as the upload directory holds it.
struct HeldPart {
  PartInfo info;
  bool in_place = false;  ///< in `data` at (number - 1) × part size, not in its own file
};

class FileUpload final : public Upload {
 public:
  FileUpload(FileObjectStore& store, std::string key, std::string upload_id,
             std::uint64_t part_size)
      : store_(store), key_(std::move(key)), upload_id_(std::move(upload_id)),
        dir_(store.UploadDir(upload_id_)), part_size_(part_size) {}

  std::string const& key() const override { return key_; }
  std::string const& upload_id() const override { return upload_id_; }

  StatusOr<PartInfo> UploadPart(int number, PartSource const& source) override {
    if (number < 1 || number > store_.Capabilities().max_parts) {
      return InvalidArgumentError(fmt::format("part number {} not in 1..{}", number,
                                              store_.Capabilities().max_parts));
    }
    KB_RETURN_IF_ERROR(CheckExists());
    bool const in_place = part_size_ != 0 && source.length <= part_size_;
    fs::path const meta_path = dir_ / (PartName(number) + ".json");
    fs::path target;
    if (in_place) {
      // The part's old bytes are overwritten where they lie: it stops counting first.
      if (::unlink(meta_path.c_str()) != 0 && errno != ENOENT) {
        return ErrnoToStatus(errno, meta_path.string());
      }
      target = dir_ / "data";
    } else {
      target = dir_ / fmt::format(".{}.{}.tmp", PartName(number),
                                  internal::UniqueName(store_.clock()));
    }
    int fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (in_place ? 0 : O_EXCL),
                    0640);
    if (fd < 0) return Gone(errno, target);
    Status st;
    if (in_place &&
        ::lseek(fd, static_cast<off_t>((number - 1) * part_size_), SEEK_SET) < 0) {
      st = ErrnoToStatus(errno, target.string());
    }
    StatusOr<internal::CopyDigests> digests =
        st.ok() ? internal::CopyRange(source.path, source.offset, source.length, fd,
                                      target.string(), source.max_send_bytes_per_second,
                                      store_.clock())
                : StatusOr<internal::CopyDigests>(st);
    st = digests.status();
    if (st.ok() && !source.sha256_hex.empty() && digests->sha256_hex != source.sha256_hex) {
      st = DataLossError(fmt::format("part {} from {}: sha256 {}, expected {} (the file changed "
                                     "while it was sent)",
                                     number, source.path.string(), digests->sha256_hex,
                                     source.sha256_hex));
    }
    if (st.ok() && ::fsync(fd) != 0) st = ErrnoToStatus(errno, target.string());
    ::close(fd);
    if (!in_place) {
      fs::path data = dir_ / PartName(number);
      if (st.ok() && ::rename(target.c_str(), data.c_str()) != 0) st = Gone(errno, data);
      if (!st.ok()) ::unlink(target.c_str());
    }
    if (!st.ok()) return st;
    PartInfo part{.number = number, .size = source.length, .etag = digests->md5_hex,
                  .sha256_hex = digests->sha256_hex};
    json::object meta{{"size", part.size},
                      {"etag", part.etag},
                      {"sha256", part.sha256_hex},
                      {"in_place", in_place}};
    st = WriteFileAtomically(meta_path, json::serialize(meta));
    if (!st.ok()) return st.code() == StatusCode::kNotFound ? Gone(ENOENT, dir_) : st;
    return part;
  }

  StatusOr<std::vector<PartInfo>> ListParts() override {
    KB_ASSIGN_OR_RETURN(std::vector<HeldPart> held, ListHeld());
    std::vector<PartInfo> parts;
    parts.reserve(held.size());
    for (HeldPart& h : held) parts.push_back(std::move(h.info));
    return parts;
  }

  StatusOr<std::string> Complete(std::vector<PartInfo> const& parts) override {
    KB_ASSIGN_OR_RETURN(std::vector<HeldPart> held, ListHeld());
    if (parts.empty()) return FailedPreconditionError(Where() + ": Complete with no parts");
    std::uint64_t const min_part = store_.Capabilities().min_part_size;
    std::vector<HeldPart> chosen;  // the held parts named by `parts`, in order
    for (std::size_t i = 0; i < parts.size(); ++i) {
      PartInfo const& want = parts[i];
      if (i > 0 && want.number <= parts[i - 1].number) {
        return FailedPreconditionError(Where() + ": InvalidPartOrder: parts must ascend");
      }
      auto it = std::find_if(held.begin(), held.end(),
                             [&](HeldPart const& h) { return h.info.number == want.number; });
      if (it == held.end() || it->info.etag != want.etag) {
        return FailedPreconditionError(fmt::format(
            "{}: InvalidPart: part {} is missing or its ETag differs", Where(), want.number));
      }
      if (i + 1 < parts.size() && it->info.size < min_part) {
        return FailedPreconditionError(fmt::format(
            "{}: EntityTooSmall: part {} has {} bytes, the minimum is {}", Where(), want.number,
            it->info.size, min_part));
      }
      chosen.push_back(*it);
    }
    auto upload_meta = ReadFileToString(dir_ / "upload.json");
    if (!upload_meta.ok()) return Gone(ENOENT, dir_);
    // The parts' MD5s were computed when they were written.
    std::string md5s;
    for (HeldPart const& p : chosen) {
      std::string const md5_raw = HexDecode(p.info.etag);
      if (md5_raw.size() != 16) {
        return DataLossError(fmt::format("{}: part {} has a malformed ETag {}", Where(),
                                         p.info.number, p.info.etag));
      }
      md5s += md5_raw;
    }
    // `data` is the object already when the parts are 1..N in place, all full but the last.
    bool direct = true;
    for (std::size_t i = 0; i < chosen.size() && direct; ++i) {
      direct = chosen[i].in_place && chosen[i].info.number == static_cast<int>(i + 1) &&
               (i + 1 == chosen.size() || chosen[i].info.size == part_size_);
    }
    fs::path tmp;
    Status st;
    if (direct) {
      tmp = dir_ / "data";
      std::uint64_t const total = (chosen.size() - 1) * part_size_ + chosen.back().info.size;
      int fd = ::open(tmp.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd < 0) return Gone(errno, tmp);
      if (::ftruncate(fd, static_cast<off_t>(total)) != 0 || ::fsync(fd) != 0) {
        st = ErrnoToStatus(errno, tmp.string());
      }
      ::close(fd);
      if (!st.ok()) return st;
    } else {
      // Concatenate in the kernel.
      KB_ASSIGN_OR_RETURN(tmp, store_.TempPath());
      int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
      if (fd < 0) return ErrnoToStatus(errno, tmp.string());
      for (HeldPart const& p : chosen) {
        st = p.in_place ? internal::AppendFileRange(dir_ / "data",
                                                    (p.info.number - 1) * part_size_,
                                                    p.info.size, fd, tmp.string())
                        : internal::AppendFileRange(dir_ / PartName(p.info.number), 0,
                                                    p.info.size, fd, tmp.string());
        if (!st.ok()) break;
      }
      if (st.ok() && ::fsync(fd) != 0) st = ErrnoToStatus(errno, tmp.string());
      ::close(fd);
      if (!st.ok()) {
        ::unlink(tmp.c_str());
        return st;
      }
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
  StatusOr<std::vector<HeldPart>> ListHeld() const {
    KB_RETURN_IF_ERROR(CheckExists());
    std::vector<HeldPart> parts;
    std::error_code ec;
    std::error_code data_ec;
    std::uint64_t const data_size = fs::file_size(dir_ / "data", data_ec);
    for (auto const& entry : fs::directory_iterator(dir_, ec)) {
      std::string name = entry.path().filename().string();
      if (!name.starts_with("part-") || !name.ends_with(".json")) continue;
      auto text = ReadFileToString(entry.path());
      if (!text.ok()) continue;
      auto v = ParseJson(*text, entry.path().string());
      if (!v.ok() || !v->is_object()) continue;
      auto const& o = v->as_object();
      HeldPart h;
      h.info.number = std::atoi(name.c_str() + 5);
      h.info.size = static_cast<std::uint64_t>(JsonInt(o, "size", -1));
      h.info.etag = JsonString(o, "etag");
      h.info.sha256_hex = JsonString(o, "sha256");
      auto const* in_place = o.if_contains("in_place");
      h.in_place = in_place != nullptr && in_place->is_bool() && in_place->as_bool();
      if (h.in_place) {
        // Its bytes lie in `data`, which must reach the part's end.
        if (part_size_ == 0 || data_ec ||
            data_size < (h.info.number - 1) * part_size_ + h.info.size) {
          continue;
        }
      } else {
        std::error_code size_ec;
        if (fs::file_size(dir_ / PartName(h.info.number), size_ec) != h.info.size || size_ec) {
          continue;
        }
      }
      parts.push_back(std::move(h));
    }
    if (ec) return Gone(ec.value(), dir_);
    std::sort(parts.begin(), parts.end(), [](HeldPart const& a, HeldPart const& b) {
      return a.info.number < b.info.number;
    });
    return parts;
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
  std::uint64_t part_size_;  ///< declared at BeginUpload; 0 = none, every part in its own file
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
                 {"metadata", std::move(meta)},
                 {"part_size", options.part_size}};
  KB_RETURN_IF_ERROR(WriteFileAtomically(dir / "upload.json", json::serialize(o)));
  return UploadPtr(new FileUpload(*this, key, id, options.part_size));
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
  std::int64_t part_size = JsonInt(v->as_object(), "part_size", 0);
  return UploadPtr(
      new FileUpload(*this, key, upload_id, static_cast<std::uint64_t>(std::max<std::int64_t>(0, part_size))));
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
