#pragma once
// The first pass of a resource restore: reads the whole tarball once, before anything is
// applied, to refuse a bad tarball early (a bad entry, a truncated gzip, an unknown format
// version), to settle which items the filters take (additional items included), and to learn
// what the pre-flight checks and the pass plan need: the types and their sizes, the namespaces,
// the CRDs and the StorageClasses named. Memory: the namespace and CRD objects and a few facts
// per Pod and PVC, never the items themselves. Spec: ../shared/spec/velero-format.md §2, §5.

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "agent/base/json.h"
#include "agent/base/status.h"
#include "kube/velero_tar_reader.h"
#include "restore/restore_selection.h"

namespace kb::restore {

/// How a restore reads a tarball: a 1 MiB queue between the download and the reader (applying
/// is slower than downloading, so a larger queue only fills up: memory, not speed).
kube::TarReadLimits RestoreTarLimits();

/// The restored items of one type.
struct TypeStats {
  std::uint64_t items = 0;
  std::uint64_t bytes = 0;     ///< their JSON, as stored
  std::string api_version;     ///< of the first item ("apps/v1"); "" when none parsed
  std::string kind;            ///< of the first item ("Deployment")
  bool cluster_scoped = false;
};

/// What the scan found.
struct BackupScan {
  std::string format_version;  ///< metadata/version, trimmed ("1.1.0"); "" when absent
  /// Restored items per group-resource, namespaces and CRDs included.
  std::map<std::string, TypeStats> types;
  /// Source namespaces to create: those holding restored items, and the namespace objects the
  /// filters take (namespace name → its object from resources/namespaces/cluster/, or an empty
  /// object when the backup lacks it).
  std::map<std::string, json::object> namespaces;
  /// The restored CustomResourceDefinitions.
  std::vector<json::object> crds;
  /// StorageClasses named by restored PVCs and PVs.
  std::set<std::string> storage_classes;
  /// StorageClasses the restore itself creates.
  std::set<std::string> restored_storage_classes;
  /// PVs of the backup (restored or not) whose reclaim policy is Delete: Velero re-provisions
  /// their claims instead of restoring them, so such a PVC loses spec.volumeName.
  std::set<std::string> reprovisioned_volumes;
  /// Restored items in all (namespaces excluded).
  std::uint64_t items = 0;
};

/// Reads the tarball from `source` and fills a BackupScan, calling selection.Observe for every
/// Pod and PVC and selection.FinishObserving at the end. Only classic item paths are read (the
/// preferred version, as Velero restores by default); other version directories are ignored.
/// Errors: kDataLoss (a refused entry, a truncated gzip: see kube::ReadVeleroTarball),
///   kFailedPrecondition (metadata/version not 1.x), the source's errors.
StatusOr<BackupScan> ScanBackup(kube::TarballSource const& source, std::string const& what,
                                RestoreSelection& selection);

/// True when the tarball entry `path` is an item restore reads: a classic path (no version
/// directory). Sets `key` from it.
bool ClassicItem(std::string_view path, ItemKey& key);

}  // namespace kb::restore
