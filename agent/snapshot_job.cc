#include "agent/snapshot_job.h"

#include <algorithm>

#include "agent/base/crypto.h"
#include "agent/base/file_util.h"
#include "agent/base/log.h"
#include "agent/base/zstd_sink.h"
#include "agent/progress.h"
#include "uploader/location.h"
#include "uploader/pipelined_upload_sink.h"

namespace kb::agent {

std::filesystem::path UploadJournalPath(std::filesystem::path const& snapshot_dir,
                                        std::string const& name) {
  return snapshot_dir / ("." + name + ".upload.json");
}

std::optional<std::string> SnapshotNameOfJournal(std::string const& file_name) {
  constexpr std::string_view kSuffix = ".upload.json";
  if (file_name.size() <= 1 + kSuffix.size() || !file_name.starts_with(".") ||
      !file_name.ends_with(kSuffix)) {
    return std::nullopt;
  }
  return file_name.substr(1, file_name.size() - 1 - kSuffix.size());
}

namespace {

/// Counts the raw bytes and keeps the last 32 (etcd's sha256 trailer), forwarding everything.
/// Cheaper than hashing again: the etcd client already checked the trailer against the data.
class RawTailSink final : public ChunkSink {
 public:
  explicit RawTailSink(std::unique_ptr<ChunkSink> next) : next_(std::move(next)) {}
  Status Write(ByteSpan chunk) override {
    bytes_ += chunk.size();
    auto const* p = reinterpret_cast<char const*>(chunk.data());
    if (chunk.size() >= 32) {
      tail_.assign(p + chunk.size() - 32, 32);
    } else {
      tail_.append(p, chunk.size());
      if (tail_.size() > 32) tail_.erase(0, tail_.size() - 32);
    }
    return next_->Write(chunk);
  }
  Status Finish() override { return next_->Finish(); }
  std::uint64_t bytes() const { return bytes_; }
  /// Hex of the last 32 bytes: the db's sha256 once the stream is complete.
  std::string trailer_hex() const { return HexEncode(tail_); }

 private:
  std::unique_ptr<ChunkSink> next_;
  std::uint64_t bytes_ = 0;
  std::string tail_;
};

// Deletes the oldest local snapshots of `prefix` beyond `keep`. The manifest goes first, so an
// interrupted prune never leaves a listed snapshot without its data.
std::vector<std::string> PruneLocal(std::filesystem::path const& dir, std::string const& prefix,
                                    int keep) {
  std::vector<std::string> names;
  std::error_code ec;
  for (auto const& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string file = entry.path().filename().string();
    std::string const suffix = ".manifest.json";
    if (file.size() > suffix.size() && file.ends_with(suffix) && file.starts_with(prefix)) {
      names.push_back(file.substr(0, file.size() - suffix.size()));
    }
  }
  // Names end in a UTC stamp, so for one cluster and node they sort by time.
  std::sort(names.begin(), names.end());
  std::vector<std::string> pruned;
  while (static_cast<int>(names.size()) > keep) {
    std::string const& victim = names.front();
    std::filesystem::remove(dir / etcd::ManifestFileName(victim), ec);
    std::filesystem::remove(dir / etcd::SnapshotFileName(victim), ec);
    std::filesystem::remove(UploadJournalPath(dir, victim), ec);
    KB_LOG(agent, info, "local snapshot pruned name={}", victim);
    pruned.push_back(victim);
    names.erase(names.begin());
  }
  return pruned;
}

}  // namespace

std::vector<std::string> RemoveLeftoverFiles(std::filesystem::path const& dir) {
  std::vector<std::string> removed;
  auto remove = [&](std::filesystem::path const& p) {
    std::error_code ec;
    if (std::filesystem::remove(p, ec)) {
      KB_LOG(agent, info, "leftover file removed file={}", p.string());
      removed.push_back(p.string());
    }
  };
  std::error_code ec;
  std::vector<std::string> journaled;  // snapshot names with an upload journal
  for (auto const& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string const file = entry.path().filename().string();
    if (!file.starts_with(".")) continue;
    if (file.ends_with(".part") || file.ends_with(".tmp")) {
      if (!TempFileHasWriter(entry.path())) remove(entry.path());
    } else if (auto name = SnapshotNameOfJournal(file)) {
      journaled.push_back(*std::move(name));
    }
  }
  // A journal whose snapshot never got its manifest (the run died while streaming): the
  // snapshot is gone, so its upload cannot be resumed. Its multipart upload is aborted later
  // by AbortStaleUploads (stale_after).
  for (auto const& name : journaled) {
    auto const part = dir / ("." + etcd::SnapshotFileName(name) + ".part");
    if (std::filesystem::exists(dir / etcd::ManifestFileName(name), ec) ||
        std::filesystem::exists(dir / etcd::SnapshotFileName(name), ec) ||
        TempFileHasWriter(part)) {
      continue;
    }
    remove(UploadJournalPath(dir, name));
  }
  return removed;
}

StatusOr<SnapshotJobResult> RunSnapshotJob(SnapshotJobOptions const& options, Clock& clock) {
  auto const started = clock.Monotonic();
  KB_RETURN_IF_ERROR(EnsureDir(options.snapshot_dir));
  // Leftovers of a killed run go first: they must not count against a quota, nor linger.
  std::vector<std::string> leftovers_removed = RemoveLeftoverFiles(options.snapshot_dir);
  std::unique_ptr<uploader::ObjectStore> store;
  if (options.upload_enabled) {
    KB_ASSIGN_OR_RETURN(store, uploader::OpenLocation(options.location, options.location_options));
  }
  KB_ASSIGN_OR_RETURN(auto client, etcd::EtcdClient::Connect(options.etcd));
  KB_ASSIGN_OR_RETURN(etcd::MemberStatus member, client->Status());

  SnapshotJobResult result;
  etcd::SnapshotManifest& m = result.manifest;
  m.created_at = clock.Now();
  m.cluster = options.cluster_name;
  m.node = options.node_name;
  m.name = etcd::MakeSnapshotName(m.cluster, m.node, m.created_at);
  if (options.ttl) m.expires_at = m.created_at + *options.ttl;
  m.compression_level = options.compression_level;
  m.member_id = member.member_id;
  m.cluster_id = member.cluster_id;
  m.etcd_version = member.version;

  result.location = options.location;
  result.key = std::string(etcd::kSnapshotKeyPrefix) + etcd::SnapshotFileName(m.name);
  result.local_path = options.snapshot_dir / etcd::SnapshotFileName(m.name);

  Progress progress("snapshot", options.progress && Progress::StderrIsTty(), clock);
  uploader::UploadOptions upload = options.upload;
  upload.journal_path = UploadJournalPath(options.snapshot_dir, m.name);

  // etcd stream (trailer verified by the client) → zstd → sha256(zst) → local file + upload.
  KB_ASSIGN_OR_RETURN(auto start_rev, client->CurrentRevision());
  std::unique_ptr<ChunkSink> out;
  uploader::PipelinedUploadSink* upload_ptr = nullptr;
  if (store) {
    KB_ASSIGN_OR_RETURN(auto upload_sink, uploader::PipelinedUploadSink::Create(
                                              *store, result.key, result.local_path, upload));
    upload_ptr = upload_sink.get();
    out = std::move(upload_sink);
  } else {
    KB_ASSIGN_OR_RETURN(out, AtomicFileSink::Create(result.local_path));
  }
  auto zst_sha = std::make_unique<Sha256Sink>(std::move(out));
  Sha256Sink* zst_sha_ptr = zst_sha.get();
  KB_ASSIGN_OR_RETURN(auto zstd, ZstdCompressSink::Create(options.compression_level,
                                                          options.compression_workers,
                                                          std::move(zst_sha)));
  RawTailSink raw(std::move(zstd));

  auto info = client->Snapshot(raw, [&](std::uint64_t done, std::uint64_t total) {
    progress.Update(done, total);
  });
  progress.Done();
  std::error_code ec;
  bool local_complete = std::filesystem::exists(result.local_path, ec);
  if (!info.ok() && !local_complete) return info.status();

  auto rev_after = client->CurrentRevision();
  m.etcd_endpoint = client->endpoint();
  m.revision = start_rev;
  m.revision_exact = rev_after.ok() && *rev_after == start_rev;
  m.raw_size = raw.bytes();
  m.db_size = raw.bytes() - 32;
  m.db_sha256 = raw.trailer_hex();
  m.compressed_size = zst_sha_ptr->bytes();
  m.compressed_sha256 = zst_sha_ptr->hex();
  if (info.ok()) {
    m.storage_version = info->storage_version;
    if (upload_ptr != nullptr) result.upload = upload_ptr->result();
  }

  // The manifest is written last, locally and remotely: no manifest, no snapshot.
  std::string manifest_json = etcd::ManifestToJson(m);
  KB_RETURN_IF_ERROR(
      WriteFileAtomically(options.snapshot_dir / etcd::ManifestFileName(m.name), manifest_json));
  if (!info.ok()) {
    // The local snapshot is complete and verified; only the upload failed.
    return Status(info.status().code(),
                  fmt::format("snapshot {} is saved in {} but its upload failed: {}; run "
                              "`kbackup etcd upload {}` to resume it",
                              m.name, options.snapshot_dir.string(), info.status().message(),
                              m.name));
  }
  if (store) {
    uploader::PutOptions put;
    put.content_type = "application/json";
    KB_RETURN_IF_ERROR(store->Put(std::string(etcd::kSnapshotKeyPrefix) +
                                      etcd::ManifestFileName(m.name),
                                  manifest_json, put));
  }

  result.pruned_local =
      PruneLocal(options.snapshot_dir, m.cluster + "-etcd-" + m.node + "-", options.keep_local);
  // Leftovers of killed runs. The snapshot is done: a failure here is only a warning.
  if (store) {
    auto aborted = uploader::AbortStaleUploads(*store, etcd::kSnapshotKeyPrefix,
                                               options.stale_after, clock, {options.snapshot_dir});
    if (aborted.ok()) {
      result.stale_uploads_aborted = *aborted;
    } else {
      KB_LOG(agent, warn, "stale uploads not cleaned location={} error=\"{}\"", options.location,
             aborted.status().message());
    }
  }
  result.stale_files_removed = std::move(leftovers_removed);
  result.seconds = std::chrono::duration<double>(clock.Monotonic() - started).count();
  KB_LOG(agent, info,
         "snapshot done name={} revision={} db_bytes={} compressed_bytes={} parts={} seconds={:.1f}",
         m.name, m.revision, m.db_size, m.compressed_size, result.upload.parts_total,
         result.seconds);
  return result;
}

StatusOr<uploader::UploadResult> ResumeSnapshotUpload(std::filesystem::path const& snapshot_dir,
                                                      std::string const& name,
                                                      std::string const& location,
                                                      uploader::LocationOptions const& location_options,
                                                      uploader::UploadOptions options) {
  auto manifest_path = snapshot_dir / etcd::ManifestFileName(name);
  KB_ASSIGN_OR_RETURN(std::string manifest_json, ReadFileToString(manifest_path));
  KB_ASSIGN_OR_RETURN(etcd::SnapshotManifest m,
                      etcd::ParseManifestJson(manifest_json, manifest_path.string()));
  KB_ASSIGN_OR_RETURN(auto store, uploader::OpenLocation(location, location_options));
  options.journal_path = UploadJournalPath(snapshot_dir, name);
  auto key = std::string(etcd::kSnapshotKeyPrefix) + etcd::SnapshotFileName(m.name);
  KB_ASSIGN_OR_RETURN(uploader::UploadResult r,
                      uploader::UploadFile(*store, key, snapshot_dir / etcd::SnapshotFileName(name),
                                           options));
  uploader::PutOptions put;
  put.content_type = "application/json";
  KB_RETURN_IF_ERROR(
      store->Put(std::string(etcd::kSnapshotKeyPrefix) + etcd::ManifestFileName(name),
                 manifest_json, put));
  return r;
}

}  // namespace kb::agent
