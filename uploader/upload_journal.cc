#include "uploader/upload_journal.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "agent/base/file_util.h"
#include "agent/base/json.h"

namespace kb::uploader {

namespace fs = std::filesystem;

StatusOr<SourceIdentity> IdentifyFile(fs::path const& path) {
  std::error_code ec;
  fs::path abs = fs::absolute(path, ec).lexically_normal();
  if (ec) return ErrnoToStatus(ec.value(), path.string());
  struct stat st {};
  if (::stat(abs.c_str(), &st) != 0) return ErrnoToStatus(errno, abs.string());
  if (!S_ISREG(st.st_mode)) {
    return InvalidArgumentError(abs.string() + ": not a regular file");
  }
  SourceIdentity id;
  id.path = abs.string();
  id.size = static_cast<std::uint64_t>(st.st_size);
  id.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  id.inode = static_cast<std::uint64_t>(st.st_ino);
  return id;
}

std::string JournalToJson(UploadJournal const& j) {
  std::vector<PartInfo> parts = j.parts;
  std::sort(parts.begin(), parts.end(),
            [](PartInfo const& a, PartInfo const& b) { return a.number < b.number; });
  json::array arr;
  for (PartInfo const& p : parts) {
    arr.push_back(json::object{{"number", p.number}, {"size", p.size}, {"etag", p.etag},
                               {"sha256", p.sha256_hex}});
  }
  json::value source = nullptr;
  if (j.source) {
    source = json::object{{"path", j.source->path}, {"size", j.source->size},
                          {"mtime_ns", j.source->mtime_ns}, {"inode", j.source->inode}};
  }
  json::object o{{"version", j.version},     {"location", j.location},
                 {"key", j.key},             {"upload_id", j.upload_id},
                 {"part_size", j.part_size}, {"source", std::move(source)},
                 {"parts", std::move(arr)}};
  return json::serialize(o) + "\n";
}

StatusOr<UploadJournal> ParseJournal(std::string_view text, std::string const& what) {
  auto bad = [&](std::string_view why) {
    return DataLossError(fmt::format("upload journal {}: {}", what, why));
  };
  auto v = ParseJson(text, what);
  if (!v.ok()) return bad(v.status().message());
  if (!v->is_object()) return bad("not a JSON object");
  json::object const& o = v->as_object();
  UploadJournal j;
  j.version = static_cast<int>(JsonInt(o, "version", 0));
  if (j.version > kUploadJournalVersion) {
    return FailedPreconditionError(fmt::format(
        "upload journal {}: version {} needs a newer kbackup", what, j.version));
  }
  if (j.version < 1) return bad("no version");
  j.location = JsonString(o, "location");
  j.key = JsonString(o, "key");
  j.upload_id = JsonString(o, "upload_id");
  j.part_size = static_cast<std::uint64_t>(JsonInt(o, "part_size", 0));
  if (j.key.empty() || j.upload_id.empty() || j.part_size == 0) {
    return bad("key, upload_id or part_size missing");
  }
  if (auto const* s = o.if_contains("source"); s != nullptr && s->is_object()) {
    json::object const& so = s->as_object();
    SourceIdentity id;
    id.path = JsonString(so, "path");
    id.size = static_cast<std::uint64_t>(JsonInt(so, "size", 0));
    id.mtime_ns = JsonInt(so, "mtime_ns", 0);
    id.inode = static_cast<std::uint64_t>(JsonInt(so, "inode", 0));
    if (id.path.empty()) return bad("source without a path");
    j.source = std::move(id);
  }
  auto const* parts = o.if_contains("parts");
  if (parts == nullptr || !parts->is_array()) return bad("no parts array");
  for (json::value const& pv : parts->as_array()) {
    if (!pv.is_object()) return bad("a part is not an object");
    json::object const& po = pv.as_object();
    PartInfo p;
    p.number = static_cast<int>(JsonInt(po, "number", 0));
    p.size = static_cast<std::uint64_t>(JsonInt(po, "size", 0));
    p.etag = JsonString(po, "etag");
    p.sha256_hex = JsonString(po, "sha256");
    if (p.number < 1 || p.etag.empty()) return bad("a part without number or etag");
    j.parts.push_back(std::move(p));
  }
  std::sort(j.parts.begin(), j.parts.end(),
            [](PartInfo const& a, PartInfo const& b) { return a.number < b.number; });
  return j;
}

StatusOr<std::optional<UploadJournal>> ReadJournal(fs::path const& path) {
  auto text = ReadFileToString(path);
  if (text.status().code() == StatusCode::kNotFound) return std::optional<UploadJournal>();
  if (!text.ok()) return text.status();
  KB_ASSIGN_OR_RETURN(UploadJournal j, ParseJournal(*text, path.string()));
  return std::optional<UploadJournal>(std::move(j));
}

Status WriteJournal(fs::path const& path, UploadJournal const& journal) {
  return WriteFileAtomically(path, JournalToJson(journal));
}

Status RemoveJournal(fs::path const& path) {
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return OkStatus();
    return ErrnoToStatus(errno, path.string());
  }
  return SyncDir(path.parent_path());
}

fs::path DefaultJournalPath(fs::path const& source) {
  return source.parent_path() / ("." + source.filename().string() + ".upload.json");
}

}  // namespace kb::uploader
