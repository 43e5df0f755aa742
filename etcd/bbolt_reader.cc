#include "etcd/bbolt_reader.h"

#include <sys/stat.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "agent/base/file_util.h"
#include "etcd/internal/bbolt_file.h"
#include "etcd/snapshot_file.h"

namespace kb::etcd {
namespace {

// etcd's bucket of key revisions (server/storage/schema/bucket.go: "key").
constexpr std::string_view kKeyBucket = "key";
// A "key" bucket key: 8-byte big-endian main revision, '_', 8-byte sub revision, then 't' for
// a tombstone.
constexpr std::size_t kRevisionKeyBytes = 17;

std::int64_t MainRevision(std::string_view key) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(key[i]);
  return static_cast<std::int64_t>(v);
}

}  // namespace

StatusOr<SnapshotDbInfo> ReadSnapshotDbInfo(std::filesystem::path const& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return ErrnoToStatus(errno, path.string());
  auto const size = static_cast<std::uint64_t>(st.st_size);
  SnapshotDbInfo info;
  // etcd's trailer: size % 512 == 32 (a bare DB is a whole number of pages).
  info.db_bytes = HasSnapshotTrailerSize(size) ? size - kSnapshotTrailerBytes : size;
  KB_ASSIGN_OR_RETURN(auto file, internal::BboltFile::Open(path, info.db_bytes));
  info.page_size = file->meta().page_size;
  info.txid = file->meta().txid;

  std::string key_bucket;  // the value of the "key" bucket element
  bool found = false;
  KB_RETURN_IF_ERROR(file->WalkTree(
      file->meta().root_pgid,
      [&](std::string_view name, std::string_view value, std::uint32_t flags) -> Status {
        if ((flags & internal::kBboltBucketLeafFlag) == 0) return OkStatus();
        info.buckets.emplace_back(name);
        if (name == kKeyBucket) {
          key_bucket.assign(value);
          found = true;
        }
        return OkStatus();
      }));
  if (!found) {
    return DataLossError(fmt::format("{}: no \"key\" bucket (buckets: {}); not an etcd DB",
                                     path.string(), fmt::join(info.buckets, ", ")));
  }
  KB_RETURN_IF_ERROR(file->WalkBucket(
      key_bucket, [&](std::string_view key, std::string_view, std::uint32_t flags) -> Status {
        if (flags & internal::kBboltBucketLeafFlag || key.size() < kRevisionKeyBytes) {
          return DataLossError(fmt::format(
              "{}: bucket \"key\" holds a {}-byte key{}; not an etcd revision key",
              path.string(), key.size(),
              (flags & internal::kBboltBucketLeafFlag) ? " that is a bucket" : ""));
        }
        ++info.total_keys;
        info.revision = std::max(info.revision, MainRevision(key));
        return OkStatus();
      }));
  return info;
}

}  // namespace kb::etcd
