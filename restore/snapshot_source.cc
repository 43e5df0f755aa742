#include "restore/snapshot_source.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "agent/base/crypto.h"
#include "agent/base/file_util.h"
#include "agent/base/zstd_sink.h"
#include "etcd/snapshot_file.h"
#include "uploader/download.h"

namespace kb::restore {
namespace {

class NullSink final : public ChunkSink {
 public:
  Status Write(ByteSpan) override { return OkStatus(); }
  Status Finish() override { return OkStatus(); }
};

/// Forwards to a sink it does not own, without finishing it (for reading a store into a chain).
class ProgressSink final : public ChunkSink {
 public:
  ProgressSink(std::unique_ptr<ChunkSink> next, std::function<void(std::uint64_t)> cb)
      : next_(std::move(next)), cb_(std::move(cb)) {}
  Status Write(ByteSpan c) override {
    done_ += c.size();
    if (cb_) cb_(done_);
    return next_->Write(c);
  }
  Status Finish() override { return next_->Finish(); }

 private:
  std::unique_ptr<ChunkSink> next_;
  std::function<void(std::uint64_t)> cb_;
  std::uint64_t done_ = 0;
};


Status StreamFile(std::filesystem::path const& path, ChunkSink& sink) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoToStatus(errno, path.string());
  std::string buf(1 << 20, '\0');
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      return ErrnoToStatus(e, path.string());
    }
    if (n == 0) break;
    Status st = sink.Write(ByteSpan(reinterpret_cast<std::byte*>(buf.data()),
                                    static_cast<std::size_t>(n)));
    if (!st.ok()) {
      ::close(fd);
      return st;
    }
  }
  ::close(fd);
  return OkStatus();
}

StatusOr<SnapshotRef> FromManifestFile(std::filesystem::path const& manifest_path) {
  KB_ASSIGN_OR_RETURN(std::string text, ReadFileToString(manifest_path));
  KB_ASSIGN_OR_RETURN(etcd::SnapshotManifest m,
                      etcd::ParseManifestJson(text, manifest_path.string()));
  SnapshotRef ref;
  ref.kind = SnapshotKind::kLocalCompressed;
  ref.local_path = manifest_path.parent_path() / etcd::SnapshotFileName(m.name);
  ref.where = ref.local_path.string();
  ref.manifest = std::move(m);
  return ref;
}

}  // namespace

StatusOr<SnapshotRef> ResolveSnapshot(std::string const& name_or_file,
                                      std::filesystem::path const& snapshot_dir,
                                      uploader::ObjectStore* store) {
  std::error_code ec;
  std::filesystem::path p(name_or_file);
  if (std::filesystem::is_regular_file(p, ec)) {
    std::string file = p.filename().string();
    if (file.ends_with(".manifest.json")) return FromManifestFile(p);
    if (file.ends_with(".db.zst")) {
      auto manifest = p.parent_path() /
                      etcd::ManifestFileName(file.substr(0, file.size() - std::strlen(".db.zst")));
      if (!std::filesystem::exists(manifest, ec)) {
        return FailedPreconditionError(fmt::format(
            "{}: no manifest {} beside it; a kbackup snapshot is only complete with its manifest",
            p.string(), manifest.string()));
      }
      return FromManifestFile(manifest);
    }
    SnapshotRef ref;
    ref.kind = SnapshotKind::kLocalRaw;
    ref.local_path = p;
    ref.where = p.string();
    return ref;
  }
  if (name_or_file.find('/') != std::string::npos) {
    return NotFoundError(fmt::format("{}: no such file", name_or_file));
  }
  auto local_manifest = snapshot_dir / etcd::ManifestFileName(name_or_file);
  if (std::filesystem::exists(local_manifest, ec)) return FromManifestFile(local_manifest);
  if (store == nullptr) {
    return NotFoundError(fmt::format("snapshot {} is neither a file nor in {}", name_or_file,
                                     snapshot_dir.string()));
  }
  std::string manifest_key =
      std::string(etcd::kSnapshotKeyPrefix) + etcd::ManifestFileName(name_or_file);
  auto text = uploader::ReadObjectToString(*store, manifest_key);
  if (!text.ok()) {
    if (text.status().code() == StatusCode::kNotFound) {
      return NotFoundError(fmt::format(
          "snapshot {} is not in {} nor in {} (run `kbackup etcd list` to see the names)",
          name_or_file, snapshot_dir.string(), store->Describe()));
    }
    return text.status();
  }
  KB_ASSIGN_OR_RETURN(etcd::SnapshotManifest m,
                      etcd::ParseManifestJson(*text, store->Describe() + "/" + manifest_key));
  SnapshotRef ref;
  ref.kind = SnapshotKind::kRemote;
  ref.key = std::string(etcd::kSnapshotKeyPrefix) + etcd::SnapshotFileName(m.name);
  ref.where = store->Describe() + "/" + ref.key;
  ref.manifest = std::move(m);
  return ref;
}

StatusOr<std::vector<etcd::SnapshotManifest>> ListRemoteSnapshots(uploader::ObjectStore& store) {
  std::vector<etcd::SnapshotManifest> out;
  std::string token;
  do {
    KB_ASSIGN_OR_RETURN(uploader::ListPage page, store.List(etcd::kSnapshotKeyPrefix, "", token));
    for (auto const& obj : page.objects) {
      if (!obj.key.ends_with(".manifest.json")) continue;
      KB_ASSIGN_OR_RETURN(std::string text, uploader::ReadObjectToString(store, obj.key));
      KB_ASSIGN_OR_RETURN(etcd::SnapshotManifest m,
                          etcd::ParseManifestJson(text, store.Describe() + "/" + obj.key));
      out.push_back(std::move(m));
    }
    token = page.next_page_token;
  } while (!token.empty());
  std::sort(out.begin(), out.end(), [](auto const& a, auto const& b) {
    return a.created_at != b.created_at ? a.created_at > b.created_at : a.name > b.name;
  });
  return out;
}

StatusOr<VerifyReport> VerifySnapshot(SnapshotRef const& ref, uploader::ObjectStore* store,
                                      std::optional<std::filesystem::path> const& raw_out,
                                      std::function<void(std::uint64_t)> progress) {
  // bytes → [sha256(zst) → zstd -d] → sha256(raw) → etcd trailer check → raw file or nowhere.
  std::unique_ptr<ChunkSink> tail;
  if (raw_out) {
    std::error_code ec;
    std::filesystem::remove(*raw_out, ec);
    KB_ASSIGN_OR_RETURN(tail, AtomicFileSink::Create(*raw_out));
  } else {
    tail = std::make_unique<NullSink>();
  }
  auto verifier = std::make_unique<etcd::SnapshotVerifierSink>(std::move(tail));
  etcd::SnapshotVerifierSink* verifier_ptr = verifier.get();
  auto raw_sha = std::make_unique<Sha256Sink>(std::move(verifier));
  Sha256Sink* raw_sha_ptr = raw_sha.get();
  Sha256Sink* zst_sha_ptr = nullptr;
  std::unique_ptr<ChunkSink> head;
  if (ref.kind == SnapshotKind::kLocalRaw) {
    head = std::move(raw_sha);
  } else {
    auto zst_sha =
        std::make_unique<Sha256Sink>(std::make_unique<ZstdDecompressSink>(std::move(raw_sha)));
    zst_sha_ptr = zst_sha.get();
    head = std::move(zst_sha);
  }
  ProgressSink source(std::move(head), std::move(progress));

  Status st;
  if (ref.kind == SnapshotKind::kRemote) {
    if (store == nullptr) return InternalError("VerifySnapshot of a remote snapshot without a store");
    st = store->Read(ref.key, {}, source);
  } else {
    st = StreamFile(ref.local_path, source);
  }
  if (st.ok()) st = source.Finish();
  auto fail = [&](Status s) -> Status {
    if (raw_out) {
      std::error_code ec;
      std::filesystem::remove(*raw_out, ec);
    }
    return s;
  };
  if (!st.ok()) {
    if (st.code() == StatusCode::kDataLoss) {
      return fail(DataLossError(fmt::format("{}: {}; the snapshot is corrupt, do not restore it",
                                            ref.where, st.message())));
    }
    return fail(st.WithPrefix(ref.where));
  }
  VerifyReport r;
  r.raw_bytes = raw_sha_ptr->bytes();
  r.raw_sha256 = raw_sha_ptr->hex();
  r.db_bytes = verifier_ptr->db_bytes();
  r.db_sha256 = verifier_ptr->db_sha256_hex();
  if (zst_sha_ptr != nullptr) {
    r.compressed_bytes = zst_sha_ptr->bytes();
    r.compressed_sha256 = zst_sha_ptr->hex();
  }
  if (ref.manifest) {
    auto const& m = *ref.manifest;
    auto mismatch = [&](char const* what, auto const& want, auto const& got) {
      return fail(DataLossError(fmt::format(
          "{}: {} mismatch: manifest says {}, the data has {}; the snapshot is corrupt or its "
          "manifest is wrong, do not restore it",
          ref.where, what, want, got)));
    };
    if (r.compressed_bytes != m.compressed_size)
      return mismatch("compressed size", m.compressed_size, r.compressed_bytes);
    if (r.compressed_sha256 != m.compressed_sha256)
      return mismatch("compressed sha256", m.compressed_sha256, r.compressed_sha256);
    if (r.raw_bytes != m.raw_size) return mismatch("raw size", m.raw_size, r.raw_bytes);
    if (!m.raw_sha256.empty() && r.raw_sha256 != m.raw_sha256) return mismatch("raw sha256", m.raw_sha256, r.raw_sha256);
    if (r.db_sha256 != m.db_sha256) return mismatch("etcd db sha256", m.db_sha256, r.db_sha256);
  }
  return r;
}

}  // namespace kb::restore
