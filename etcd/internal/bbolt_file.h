#pragma once
// Page-level access to a bbolt file: meta page selection, page reads, B+tree walks.
// Private to etcd/ (used by bbolt_reader.cc; unit tests build files with the same layout).

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "agent/base/status.h"

namespace kb::etcd::internal {

/// Layout constants of the bbolt format.
inline constexpr std::uint32_t kBboltMagic = 0xED0CDAED;
inline constexpr std::uint32_t kBboltVersion = 2;
/// Page header: id u64, flags u16, count u16, overflow u32.
inline constexpr std::size_t kBboltPageHeaderBytes = 16;
inline constexpr std::size_t kBboltElementBytes = 16;     ///< branch and leaf elements alike
inline constexpr std::size_t kBboltMetaChecksumOffset = 56;  ///< meta bytes covered by checksum
inline constexpr std::size_t kBboltBucketHeaderBytes = 16;   ///< root pgid u64, sequence u64
inline constexpr std::uint16_t kBboltBranchPage = 0x01;
inline constexpr std::uint16_t kBboltLeafPage = 0x02;
inline constexpr std::uint16_t kBboltMetaPage = 0x04;
inline constexpr std::uint32_t kBboltBucketLeafFlag = 0x01;  ///< leaf element is a sub-bucket

/// FNV-1a 64 of `data` (the bbolt meta checksum).
std::uint64_t Fnv1a64(std::string_view data);

/// A decoded meta page.
struct BboltMeta {
  std::uint32_t page_size = 0;
  std::uint64_t root_pgid = 0;  ///< root page of the top-level bucket tree
  std::uint64_t freelist_pgid = 0;
  std::uint64_t high_water_pgid = 0;  ///< first page ID past the end of the data
  std::uint64_t txid = 0;
};

/// Decodes the meta stored at `meta` (the bytes after a meta page's header). False when the
/// magic, version or checksum is wrong.
bool DecodeBboltMeta(std::string_view meta, BboltMeta& out);

/// Called for each leaf element: key, value, element flags (kBboltBucketLeafFlag for buckets).
using BboltLeafVisitor =
    std::function<Status(std::string_view key, std::string_view value, std::uint32_t flags)>;

/// An open bbolt file. Not thread-safe.
class BboltFile {
 public:
  /// Opens `path` and selects the meta page. `db_bytes` is the size to treat as the DB (the
  /// file size minus etcd's trailer). Errors: see ReadSnapshotDbInfo.
  static StatusOr<std::unique_ptr<BboltFile>> Open(std::filesystem::path const& path,
                                                   std::uint64_t db_bytes);
  ~BboltFile();
  BboltFile(BboltFile const&) = delete;
  BboltFile& operator=(BboltFile const&) = delete;

  BboltMeta const& meta() const { return meta_; }

  /// Visits, in key order, every leaf element of the B+tree rooted at page `pgid`.
  Status WalkTree(std::uint64_t pgid, BboltLeafVisitor const& visit);
  /// Visits every leaf element of the bucket whose leaf value is `bucket_value` (a bucket
  /// header, then for an inline bucket (root 0) its page).
  Status WalkBucket(std::string_view bucket_value, BboltLeafVisitor const& visit);

 private:
  BboltFile(std::filesystem::path path, int fd, std::uint64_t db_bytes)
      : path_(std::move(path)), fd_(fd), db_bytes_(db_bytes) {}
  Status ReadAt(std::uint64_t offset, std::size_t size, std::string& out);
  Status SelectMeta();
  Status ReadPage(std::uint64_t pgid, std::string& out);
  /// Walks the page image `page` (a file page or an inline page); `pgid` names it in errors.
  Status WalkPage(std::string_view page, std::uint64_t pgid, int depth,
                  BboltLeafVisitor const& visit);
  Status Corrupt(std::string const& what) const;

  std::filesystem::path path_;
  int fd_;
  std::uint64_t db_bytes_;
  BboltMeta meta_;
};

}  // namespace kb::etcd::internal
