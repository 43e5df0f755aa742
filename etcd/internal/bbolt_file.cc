#include "etcd/internal/bbolt_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <bit>
#include <cstring>

#include "agent/base/file_util.h"

namespace kb::etcd::internal {
namespace {

static_assert(std::endian::native == std::endian::little,
              "bbolt files are read as little-endian (native order on etcd's platforms)");

template <typename T>
T Load(std::string_view buf, std::size_t offset) {
  T v;
  std::memcpy(&v, buf.data() + offset, sizeof v);
  return v;
}

// The deepest B+tree accepted; a real tree of 2^64 keys is far shallower, so deeper means a
// cycle in a corrupt file.
constexpr int kMaxDepth = 64;

// Page sizes tried when meta page 0 is unreadable (bbolt allows any; these are the usual ones).
constexpr std::uint32_t kCandidatePageSizes[] = {4096, 8192, 16384, 32768, 65536,
                                                 1024, 2048, 512};

}  // namespace

std::uint64_t Fnv1a64(std::string_view data) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : data) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

bool DecodeBboltMeta(std::string_view meta, BboltMeta& out) {
  if (meta.size() < kBboltMetaChecksumOffset + 8) return false;
  if (Load<std::uint32_t>(meta, 0) != kBboltMagic) return false;
  if (Load<std::uint32_t>(meta, 4) != kBboltVersion) return false;
  if (Load<std::uint64_t>(meta, kBboltMetaChecksumOffset) !=
      Fnv1a64(meta.substr(0, kBboltMetaChecksumOffset))) {
    return false;
  }
  out.page_size = Load<std::uint32_t>(meta, 8);
  out.root_pgid = Load<std::uint64_t>(meta, 16);  // root bucket header: root, then sequence
  out.freelist_pgid = Load<std::uint64_t>(meta, 32);
  out.high_water_pgid = Load<std::uint64_t>(meta, 40);
  out.txid = Load<std::uint64_t>(meta, 48);
  return out.page_size >= 512 && (out.page_size & (out.page_size - 1)) == 0;
}

StatusOr<std::unique_ptr<BboltFile>> BboltFile::Open(std::filesystem::path const& path,
                                                     std::uint64_t db_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoToStatus(errno, path.string());
  std::unique_ptr<BboltFile> file(new BboltFile(path, fd, db_bytes));
  KB_RETURN_IF_ERROR(file->SelectMeta());
  return file;
}

BboltFile::~BboltFile() { ::close(fd_); }

Status BboltFile::Corrupt(std::string const& what) const {
  return DataLossError(fmt::format("{}: {}; the bbolt DB is corrupt or not an etcd DB",
                                   path_.string(), what));
}

Status BboltFile::ReadAt(std::uint64_t offset, std::size_t size, std::string& out) {
  out.resize(size);
  std::size_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(fd_, out.data() + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoToStatus(errno, path_.string());
    }
    if (n == 0) {
      return Corrupt(fmt::format("unexpected end of file at byte {}", offset + done));
    }
    done += static_cast<std::size_t>(n);
  }
  return OkStatus();
}

Status BboltFile::SelectMeta() {
  std::string buf;
  auto meta_at = [&](std::uint64_t page_offset, BboltMeta& m) -> bool {
    if (page_offset + kBboltPageHeaderBytes + kBboltMetaChecksumOffset + 8 > db_bytes_) {
      return false;
    }
    if (!ReadAt(page_offset, kBboltPageHeaderBytes + kBboltMetaChecksumOffset + 8, buf).ok()) {
      return false;
    }
    if ((Load<std::uint16_t>(buf, 8) & kBboltMetaPage) == 0) return false;
    return DecodeBboltMeta(std::string_view(buf).substr(kBboltPageHeaderBytes), m);
  };
  // The page size is in the metas; meta 0 sits at offset 0, meta 1 one page further.
  BboltMeta m0, m1;
  bool ok0 = meta_at(0, m0);
  std::uint32_t page_size = ok0 ? m0.page_size : 0;
  if (!ok0) {
    for (std::uint32_t candidate : kCandidatePageSizes) {
      if (meta_at(candidate, m1) && m1.page_size == candidate) {
        page_size = candidate;
        break;
      }
    }
    if (page_size == 0) return Corrupt("not a bbolt DB: no valid meta page");
  }
  bool ok1 = meta_at(page_size, m1) && m1.page_size == page_size;
  if (ok0 && (!ok1 || m0.txid >= m1.txid)) {
    meta_ = m0;
  } else {
    meta_ = m1;
  }
  if (meta_.high_water_pgid * meta_.page_size > db_bytes_) {
    return Corrupt(fmt::format("the meta page says {} pages of {} bytes, but the DB has {} bytes",
                               meta_.high_water_pgid, meta_.page_size, db_bytes_));
  }
  return OkStatus();
}

Status BboltFile::ReadPage(std::uint64_t pgid, std::string& out) {
  std::uint64_t const ps = meta_.page_size;
  if (pgid < 2 || pgid >= meta_.high_water_pgid) {
    return Corrupt(fmt::format("page {} is outside the DB (pages 2..{})", pgid,
                               meta_.high_water_pgid));
  }
  KB_RETURN_IF_ERROR(ReadAt(pgid * ps, kBboltPageHeaderBytes, out));
  auto const id = Load<std::uint64_t>(out, 0);
  auto const overflow = Load<std::uint32_t>(out, 12);
  if (id != pgid) return Corrupt(fmt::format("page {} says it is page {}", pgid, id));
  if (pgid + 1 + overflow > meta_.high_water_pgid) {
    return Corrupt(fmt::format("page {} with {} overflow pages runs past the DB end", pgid,
                               overflow));
  }
  return ReadAt(pgid * ps, static_cast<std::size_t>((1 + std::uint64_t{overflow}) * ps), out);
}

Status BboltFile::WalkTree(std::uint64_t pgid, BboltLeafVisitor const& visit) {
  std::string page;
  KB_RETURN_IF_ERROR(ReadPage(pgid, page));
  return WalkPage(page, pgid, 0, visit);
}

Status BboltFile::WalkBucket(std::string_view bucket_value, BboltLeafVisitor const& visit) {
  if (bucket_value.size() < kBboltBucketHeaderBytes) {
    return Corrupt(fmt::format("bucket value of {} bytes is shorter than a bucket header",
                               bucket_value.size()));
  }
  auto const root = Load<std::uint64_t>(bucket_value, 0);
  if (root != 0) return WalkTree(root, visit);
  // Inline bucket: its single leaf page follows the header inside the value.
  return WalkPage(bucket_value.substr(kBboltBucketHeaderBytes), 0, 0, visit);
}

Status BboltFile::WalkPage(std::string_view page, std::uint64_t pgid, int depth,
                           BboltLeafVisitor const& visit) {
  if (depth > kMaxDepth) {
    return Corrupt(fmt::format("B+tree deeper than {} at page {}", kMaxDepth, pgid));
  }
  if (page.size() < kBboltPageHeaderBytes) {
    return Corrupt(fmt::format("page {} is shorter than a page header", pgid));
  }
  auto const flags = Load<std::uint16_t>(page, 8);
  auto const count = Load<std::uint16_t>(page, 10);
  if (kBboltPageHeaderBytes + std::size_t{count} * kBboltElementBytes > page.size()) {
    return Corrupt(fmt::format("page {}: {} elements do not fit", pgid, count));
  }
  for (std::size_t i = 0; i < count; ++i) {
    std::size_t const elem = kBboltPageHeaderBytes + i * kBboltElementBytes;
    if (flags & kBboltLeafPage) {
      // Leaf element: flags u32, pos u32, ksize u32, vsize u32; pos counts from the element.
      auto const eflags = Load<std::uint32_t>(page, elem);
      std::uint64_t const key_at = elem + Load<std::uint32_t>(page, elem + 4);
      std::uint64_t const ksize = Load<std::uint32_t>(page, elem + 8);
      std::uint64_t const vsize = Load<std::uint32_t>(page, elem + 12);
      if (key_at + ksize + vsize > page.size()) {
        return Corrupt(fmt::format("page {}: leaf element {} points outside the page", pgid, i));
      }
      KB_RETURN_IF_ERROR(visit(page.substr(key_at, ksize), page.substr(key_at + ksize, vsize),
                               eflags));
    } else if (flags & kBboltBranchPage) {
      // Branch element: pos u32, ksize u32, child pgid u64.
      auto const child = Load<std::uint64_t>(page, elem + 8);
      std::string child_page;
      KB_RETURN_IF_ERROR(ReadPage(child, child_page));
      KB_RETURN_IF_ERROR(WalkPage(child_page, child, depth + 1, visit));
    } else {
      return Corrupt(fmt::format("page {} has flags 0x{:x}: neither branch nor leaf", pgid,
                                 flags));
    }
  }
  return OkStatus();
}

}  // namespace kb::etcd::internal
