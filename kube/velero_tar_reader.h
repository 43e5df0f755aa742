#pragma once
// Reads a Velero backup tarball (gzip'd tar; spec: ../shared/spec/velero-format.md §2) as a
// stream, and refuses anything a Velero or kbackup writer would not produce: links, devices,
// paths that escape the restore directory, sizes that disagree, a cut or corrupt stream.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "agent/base/chunk_sink.h"
#include "agent/base/status.h"

namespace kb::kube {

/// Bytes of a gzip'd tar: called once; must Write() the whole stream into `sink` (never Finish)
/// and return OK, or its error. kbackup passes [&](ChunkSink& s){ return store.Read(key, {}, s); }.
/// Runs on a thread of its own; once the reader has stopped, sink.Write returns kCancelled and
/// the source should return.
using TarballSource = std::function<Status(ChunkSink& sink)>;

/// Bounds for ReadVeleroTarball.
struct TarReadLimits {
  /// A regular-file entry larger than this is refused (kDataLoss). Default: 32 MiB (an object in
  /// etcd is at most ~1.5 MiB).
  std::uint64_t max_entry_bytes = 32ull << 20;
  /// Compressed bytes buffered between the download thread and the reader (one chunk larger
  /// than this is still queued alone). Default: 8 MiB.
  std::size_t queue_bytes = 8u << 20;
};

/// One regular file of the tarball.
struct TarEntry {
  /// The entry's name as stored: relative, '/'-separated, UTF-8.
  std::string path;
  /// The file's bytes.
  std::string content;
};

/// Reads the tarball `source` streams, calling `on_entry` for every regular file in archive
/// order (directory entries are validated and skipped). The download runs on its own thread,
/// overlapping with decompression and `on_entry` (bounded queue: memory does not grow with the
/// tarball; at most limits.queue_bytes + one entry + libarchive's buffers). `on_entry` runs on
/// the calling thread.
/// Accepts: gzip with one or more members; ustar, PAX (long names, UTF-8) and GNU tar headers;
/// zero padding after the end-of-archive marker.
/// Refused with kDataLoss naming `what` and the entry: absolute paths, any ".." component,
/// symlinks/hardlinks, devices, fifos, sockets, sparse files, any type other than regular file or
/// directory, an entry larger than limits.max_entry_bytes, a data size that differs from the
/// header's, a truncated or corrupt gzip, bytes after the last gzip member, a bad tar header
/// (checksum, malformed PAX record, a name that is not UTF-8), no end-of-archive marker, data
/// other than zeros after it.
/// on_entry's error stops reading (the download is cancelled, the thread joined) and is
/// returned as is; so is source's error. Entries passed to on_entry before an error stay
/// passed: a caller that must not act on a bad tarball reads it once to validate first.
/// Not checked: the gzip CRC-32 and length trailer (libarchive 3.6 skips it; deflate's own
/// structure and the tar header checksums still catch most corruption).
Status ReadVeleroTarball(TarballSource const& source, std::string_view what,
                         TarReadLimits const& limits,
                         std::function<Status(TarEntry&&)> const& on_entry);

/// Where an item entry lives:
/// resources/<GR>/[<version>-preferredversion|<version>/]{cluster|namespaces/<ns>}/<name>.json
struct ItemPath {
  /// Group-resource as Go's GroupResource.String() spells it: "deployments.apps", "pods".
  std::string group_resource;
  /// "" for the classic path, "v1-preferredversion", or a plain version such as "v2beta1".
  std::string version_dir;
  /// "" for cluster-scoped items.
  std::string namespace_name;
  /// The item's name, without ".json".
  std::string name;
  /// True for .../cluster/<name>.json.
  bool cluster_scoped = false;
};

/// Parses an entry path; nullopt for anything not an item path ("metadata/version", other
/// files, malformed: empty, "." or ".." segments, no ".json", empty name, wrong segment count).
/// resources/<GR>/namespaces/cluster/<name>.json is the classic path of an item in namespace
/// "cluster"; a version dir may not be "cluster", "namespaces" or "-preferredversion".
std::optional<ItemPath> ParseItemPath(std::string_view path);

}  // namespace kb::kube
