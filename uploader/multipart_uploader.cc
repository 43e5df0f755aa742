#include "uploader/multipart_uploader.h"

#include <algorithm>
#include <map>
#include <set>

#include "agent/base/log.h"
#include "uploader/file_range_hash.h"
#include "uploader/internal/part_pool.h"
#include "uploader/internal/upload_engine.h"
#include "uploader/upload_journal.h"

namespace kb::uploader {

namespace fs = std::filesystem;
using internal::ClockOf;

StatusOr<std::uint64_t> ChoosePartSize(std::uint64_t total_bytes, std::uint64_t requested,
                                       StoreCapabilities const& caps) {
  std::uint64_t size = std::max<std::uint64_t>(requested, caps.min_part_size);
  size = std::max<std::uint64_t>(size, 1);
  auto const max_parts = static_cast<std::uint64_t>(caps.max_parts);
  if (total_bytes > size * max_parts) {
    constexpr std::uint64_t kMiB = 1ull << 20;
    size = (total_bytes + max_parts - 1) / max_parts;
    size = (size + kMiB - 1) / kMiB * kMiB;
  }
  if (size > caps.max_part_size) {
    return InvalidArgumentError(fmt::format(
        "an object of {} bytes needs parts of {} bytes, above the store's maximum of {}",
        total_bytes, size, caps.max_part_size));
  }
  return size;
}

namespace {

int PartCount(std::uint64_t size, std::uint64_t part_size) {
  return size == 0 ? 1 : static_cast<int>((size + part_size - 1) / part_size);
}

std::uint64_t PartLength(int number, std::uint64_t size, std::uint64_t part_size) {
  std::uint64_t offset = static_cast<std::uint64_t>(number - 1) * part_size;
  return std::min(part_size, size - offset);
}

// Whether the server's `held` part is the file's bytes: by the journal (same ETag and, when both
// know it, SHA-256), else by hashing the local range (the server's SHA-256, or its ETag as MD5).
StatusOr<std::optional<PartInfo>> VerifyHeldPart(PartInfo const& held,
                                                 std::optional<PartInfo> const& journaled,
                                                 fs::path const& path, std::uint64_t offset) {
  if (journaled && journaled->etag == held.etag &&
      (held.sha256_hex.empty() || journaled->sha256_hex.empty() ||
       held.sha256_hex == journaled->sha256_hex)) {
    PartInfo p = held;
    if (p.sha256_hex.empty()) p.sha256_hex = journaled->sha256_hex;
    return std::optional<PartInfo>(p);
  }
  KB_ASSIGN_OR_RETURN(FileRangeDigests d, HashFileRange(path, offset, held.size, true));
  bool same = !held.sha256_hex.empty() ? held.sha256_hex == d.sha256_hex : held.etag == d.md5_hex;
  if (!same) return std::optional<PartInfo>();
  PartInfo p = held;
  p.sha256_hex = d.sha256_hex;
  return std::optional<PartInfo>(p);
}

StatusOr<UploadResult> PutWhole(ObjectStore& store, std::string const& key,
                                SourceIdentity const& id, UploadOptions const& o) {
  PartSource source{.path = id.path, .offset = 0, .length = id.size, .sha256_hex = {},
                    .max_send_bytes_per_second = o.rate_limit_bytes_per_second};
  KB_ASSIGN_OR_RETURN(FileRangeDigests d, HashFileRange(id.path, 0, id.size, false));
  source.sha256_hex = d.sha256_hex;
  KB_RETURN_IF_ERROR(RetryLoop(o.retry, o.backoff, Idempotency::kIdempotent, "PutObject",
                               ClockOf(o), [&] { return store.PutFile(key, source, o.put); }));
  KB_ASSIGN_OR_RETURN(ObjectInfo info,
                      RetryLoop(o.retry, o.backoff, Idempotency::kIdempotent, "HeadObject",
                                ClockOf(o), [&] { return store.Stat(key); }));
  if (o.progress) o.progress(id.size, id.size);
  return UploadResult{.bytes = id.size, .parts_total = 1, .parts_sent = 1, .parts_reused = 0,
                      .resumed = false, .upload_id = {}, .etag = info.etag};
}

}  // namespace

StatusOr<UploadResult> UploadFile(ObjectStore& store, std::string const& key,
                                  fs::path const& path, UploadOptions const& o) {
  auto const started = ClockOf(o).Monotonic();
  KB_ASSIGN_OR_RETURN(SourceIdentity id, IdentifyFile(path));
  fs::path const journal_path = o.journal_path.empty() ? DefaultJournalPath(id.path)
                                                       : o.journal_path;
  KB_ASSIGN_OR_RETURN(std::uint64_t part_size,
                      ChoosePartSize(id.size, o.part_size, store.Capabilities()));
  std::uint64_t const threshold = o.multipart_threshold != 0 ? o.multipart_threshold : part_size;

  // 1. An earlier run's journal: resume it, or abort its upload and start afresh.
  UploadPtr upload;
  UploadJournal journal;
  std::vector<PartInfo> held;
  auto old = ReadJournal(journal_path);
  if (!old.ok()) {
    if (old.status().code() != StatusCode::kDataLoss) return old.status();
    KB_LOG(uploader, warn, "upload journal discarded path={} error=\"{}\"", journal_path.string(),
           old.status().message());
    KB_RETURN_IF_ERROR(RemoveJournal(journal_path));
  } else if (*old) {
    UploadJournal& j = **old;
    bool same_target = j.location == store.Describe() && j.key == key;
    if (same_target && j.source && *j.source == id) {
      auto attached = store.ResumeUpload(key, j.upload_id);
      auto parts = !attached.ok() ? StatusOr<std::vector<PartInfo>>(attached.status())
                                  : RetryLoop(o.retry, o.backoff, Idempotency::kIdempotent,
                                              "ListParts", ClockOf(o),
                                              [&] { return (*attached)->ListParts(); });
      if (parts.ok()) {
        upload = std::move(*attached);
        held = std::move(*parts);
        journal = j;
        part_size = j.part_size;
      } else if (parts.status().code() == StatusCode::kNotFound) {
        // Gone: completed by a run that died before deleting the journal, or aborted.
        int n = PartCount(id.size, j.part_size);
        auto info = store.Stat(key);
        if (info.ok() && info->size == id.size && info->etag.ends_with("-" + std::to_string(n))) {
          KB_RETURN_IF_ERROR(RemoveJournal(journal_path));
          KB_LOG(uploader, info, "upload already complete key={} upload_id={}", key, j.upload_id);
          return UploadResult{.bytes = id.size, .parts_total = n, .parts_sent = 0,
                              .parts_reused = n, .resumed = true, .upload_id = j.upload_id,
                              .etag = info->etag};
        }
        KB_LOG(uploader, info, "upload gone, starting again key={} upload_id={}", key,
               j.upload_id);
        KB_RETURN_IF_ERROR(RemoveJournal(journal_path));
      } else {
        return parts.status();  // journal kept: a later run resumes
      }
    } else {
      KB_LOG(uploader, info, "upload journal stale key={} upload_id={} reason={}", j.key,
             j.upload_id, same_target ? "source changed" : "other location or key");
      if (same_target) {
        Status st = internal::AbortUpload(store, key, j.upload_id, o);
        if (!st.ok()) {
          KB_LOG(uploader, warn, "abort failed key={} upload_id={} error=\"{}\"", key,
                 j.upload_id, st.message());
        }
      }
      KB_RETURN_IF_ERROR(RemoveJournal(journal_path));
    }
  }
  bool const resumed = upload != nullptr;
  if (!resumed && id.size < threshold) return PutWhole(store, key, id, o);
  if (!resumed) {
    journal = UploadJournal{};
    journal.part_size = part_size;
    journal.source = id;
    KB_ASSIGN_OR_RETURN(upload,
                        internal::BeginJournaledUpload(store, key, o, journal_path, journal));
  }

  // 2. Reuse what the server holds; send the rest in parallel.
  int const total_parts = PartCount(id.size, part_size);
  std::map<int, PartInfo> journaled;
  for (PartInfo const& p : journal.parts) journaled[p.number] = p;
  journal.parts.clear();  // rebuilt from what the server confirms
  internal::PartSender sender(*upload, o, journal_path, journal, id.size);
  std::set<int> have;
  for (PartInfo const& h : held) {
    if (h.number < 1 || h.number > total_parts ||
        h.size != PartLength(h.number, id.size, part_size)) {
      continue;
    }
    auto j = journaled.count(h.number) ? std::optional<PartInfo>(journaled[h.number])
                                       : std::optional<PartInfo>();
    KB_ASSIGN_OR_RETURN(auto verified, VerifyHeldPart(h, j, id.path,
                                                      (h.number - 1) * part_size));
    if (!verified) continue;
    KB_RETURN_IF_ERROR(sender.Reuse(std::move(*verified)));
    have.insert(h.number);
  }
  {
    internal::PartPool pool(o.parallelism, o.parallelism);
    for (int n = 1; n <= total_parts; ++n) {
      if (have.count(n)) continue;
      std::uint64_t offset = static_cast<std::uint64_t>(n - 1) * part_size;
      std::uint64_t length = PartLength(n, id.size, part_size);
      Status st = pool.Submit([&, n, offset, length]() -> Status {
        KB_ASSIGN_OR_RETURN(FileRangeDigests d, HashFileRange(id.path, offset, length, false));
        return sender.Send(n, PartSource{.path = id.path, .offset = offset, .length = length,
                                         .sha256_hex = d.sha256_hex});
      });
      if (!st.ok()) break;
    }
    KB_RETURN_IF_ERROR(pool.Wait());
  }

  // 3. The parts must all come from one version of the file.
  KB_ASSIGN_OR_RETURN(SourceIdentity now, IdentifyFile(id.path));
  if (!(now == id)) {
    IgnoreError(internal::AbortUpload(store, key, upload->upload_id(), o));
    IgnoreError(RemoveJournal(journal_path));
    return AbortedError(fmt::format("{}: the file changed while it was uploaded to {}/{}; "
                                    "upload aborted",
                                    id.path, store.Describe(), key));
  }
  std::vector<PartInfo> parts = sender.Parts();
  KB_ASSIGN_OR_RETURN(std::string etag,
                      internal::CompleteChecked(store, *upload, parts, id.size, o));
  KB_RETURN_IF_ERROR(RemoveJournal(journal_path));
  UploadResult result{.bytes = id.size, .parts_total = total_parts, .parts_sent = sender.sent(),
                      .parts_reused = sender.reused(), .resumed = resumed,
                      .upload_id = upload->upload_id(), .etag = etag};
  KB_LOG(uploader, info,
         "upload done key={} bytes={} parts={} sent={} reused={} resumed={} seconds={:.1f}", key,
         result.bytes, result.parts_total, result.parts_sent, result.parts_reused,
         result.resumed,
         std::chrono::duration<double>(ClockOf(o).Monotonic() - started).count());
  return result;
}

StatusOr<int> AbortStaleUploads(ObjectStore& store, std::string const& prefix,
                                std::chrono::seconds older_than, Clock& clock,
                                std::vector<fs::path> const& journal_dirs) {
  // A journal protects its upload only while UploadFile could resume it: its source is recorded
  // and the file is still that file. Others (a sink killed mid-write, a deleted or rewritten
  // file) are dead: their uploads may go, and the journals with them.
  std::set<std::string> live;
  std::map<std::string, fs::path> dead;
  for (fs::path const& dir : journal_dirs) {
    std::error_code ec;
    for (auto const& entry : fs::directory_iterator(dir, ec)) {
      if (!entry.path().filename().string().ends_with(".upload.json")) continue;
      auto j = ReadJournal(entry.path());
      if (!j.ok() || !*j) continue;
      UploadJournal const& journal = **j;
      auto now = journal.source ? IdentifyFile(journal.source->path)
                                : StatusOr<SourceIdentity>(NotFoundError("no source yet"));
      if (now.ok() && *now == *journal.source) {
        live.insert(journal.upload_id);
      } else {
        dead[journal.upload_id] = entry.path();
      }
    }
  }
  UploadOptions o;
  o.clock = &clock;
  KB_ASSIGN_OR_RETURN(std::vector<PendingUpload> pending,
                      RetryLoop(o.retry, o.backoff, Idempotency::kIdempotent,
                                "ListMultipartUploads", clock,
                                [&] { return store.ListUploads(prefix); }));
  auto const cutoff = clock.Now() - older_than;
  int aborted = 0;
  for (PendingUpload const& u : pending) {
    if (u.initiated > cutoff || live.count(u.upload_id)) continue;
    KB_RETURN_IF_ERROR(internal::AbortUpload(store, u.key, u.upload_id, o));
    KB_LOG(uploader, info, "stale upload aborted key={} upload_id={}", u.key, u.upload_id);
    if (auto it = dead.find(u.upload_id); it != dead.end()) {
      IgnoreError(RemoveJournal(it->second));
    }
    ++aborted;
  }
  return aborted;
}

}  // namespace kb::uploader
