#include "restore/restore_scan.h"

#include <vector>

namespace kb::restore {
namespace {

constexpr char kNamespaces[] = "namespaces";
constexpr char kCrds[] = "customresourcedefinitions.apiextensions.k8s.io";

/// Facts kept about an item whose inclusion is known only once every Pod and PVC was seen.
struct Deferred {
  ItemKey key;
  std::uint64_t bytes = 0;
  std::string api_version, kind;
  std::string storage_class;  // PVCs and PVs
  std::string reclaim_policy;  // PVs
  bool parsed = false;
  json::object labels;
};

bool MaybePulledIn(std::string const& gr) {
  return gr == "persistentvolumeclaims" || gr == "persistentvolumes" ||
         gr == "priorityclasses.scheduling.k8s.io";
}

std::string StorageClassOf(std::string const& gr, json::object const& item) {
  auto const* spec = item.if_contains("spec");
  if (spec == nullptr || !spec->is_object()) return "";
  if (gr == "persistentvolumeclaims" || gr == "persistentvolumes") {
    return JsonString(spec->get_object(), "storageClassName");
  }
  return "";
}

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

void Count(BackupScan& scan, ItemKey const& key, std::uint64_t bytes,
           std::string const& api_version, std::string const& kind) {
  TypeStats& t = scan.types[key.group_resource];
  ++t.items;
  t.bytes += bytes;
  t.cluster_scoped = key.cluster_scoped();
  if (t.api_version.empty()) {
    t.api_version = api_version;
    t.kind = kind;
  }
  if (key.group_resource != kNamespaces) ++scan.items;
  if (!key.cluster_scoped() && !scan.namespaces.contains(key.namespace_name)) {
    scan.namespaces[key.namespace_name] = json::object{};
  }
}

}  // namespace

kube::TarReadLimits RestoreTarLimits() {
  kube::TarReadLimits limits;
  limits.queue_bytes = 1u << 20;
  return limits;
}

bool ClassicItem(std::string_view path, ItemKey& key) {
  auto p = kube::ParseItemPath(path);
  if (!p || !p->version_dir.empty()) return false;
  key = ItemKey{p->group_resource, p->cluster_scoped ? "" : p->namespace_name, p->name};
  return true;
}

StatusOr<BackupScan> ScanBackup(kube::TarballSource const& source, std::string const& what,
                                RestoreSelection& selection) {
  BackupScan scan;
  std::vector<Deferred> deferred;
  std::map<std::string, json::object> namespace_objects;
  KB_RETURN_IF_ERROR(kube::ReadVeleroTarball(
      source, what, RestoreTarLimits(), [&](kube::TarEntry&& entry) -> Status {
        if (entry.path == "metadata/version") {
          scan.format_version = Trimmed(entry.content);
          if (scan.format_version.rfind("1.", 0) != 0) {
            return FailedPreconditionError(fmt::format(
                "{}: backup format version \"{}\" is not one kbackup reads (1.x): a newer "
                "Velero wrote it", what, scan.format_version));
          }
          return OkStatus();
        }
        ItemKey key;
        if (!ClassicItem(entry.path, key)) return OkStatus();
        boost::system::error_code ec;
        json::value v = json::parse(entry.content, ec);
        json::object const* item = ec ? nullptr : v.if_object();
        std::string api_version = item ? JsonString(*item, "apiVersion") : "";
        std::string kind = item ? JsonString(*item, "kind") : "";
        if (key.group_resource == kNamespaces && key.cluster_scoped()) {
          if (item != nullptr) namespace_objects[key.name] = *item;
          return OkStatus();
        }
        if (item != nullptr &&
            (key.group_resource == "pods" || key.group_resource == "persistentvolumeclaims")) {
          selection.Observe(key, *item);
        }
        if (MaybePulledIn(key.group_resource)) {
          Deferred d{.key = key, .bytes = entry.content.size(), .api_version = api_version,
                     .kind = kind, .storage_class = {}, .reclaim_policy = {},
                     .parsed = item != nullptr, .labels = {}};
          if (item != nullptr) {
            d.storage_class = StorageClassOf(key.group_resource, *item);
            d.labels = kube::ObjectLabels(*item);
            auto const* spec = item->if_contains("spec");
            if (spec != nullptr && spec->is_object()) {
              d.reclaim_policy = JsonString(spec->get_object(), "persistentVolumeReclaimPolicy");
            }
          }
          deferred.push_back(std::move(d));
          return OkStatus();
        }
        if (!selection.Decide(key, item)) return OkStatus();
        Count(scan, key, entry.content.size(), api_version, kind);
        if (key.group_resource == kCrds && item != nullptr) scan.crds.push_back(*item);
        if (key.group_resource == "storageclasses.storage.k8s.io") {
          scan.restored_storage_classes.insert(key.name);
        }
        return OkStatus();
      }));
  selection.FinishObserving();
  for (auto const& d : deferred) {
    if (d.key.group_resource == "persistentvolumes" && d.reclaim_policy == "Delete") {
      scan.reprovisioned_volumes.insert(d.key.name);
    }
    json::object shell{{"metadata", json::object{{"labels", d.labels}}}};
    if (!selection.Decide(d.key, d.parsed ? &shell : nullptr)) continue;
    Count(scan, d.key, d.bytes, d.api_version, d.kind);
    if (!d.storage_class.empty()) scan.storage_classes.insert(d.storage_class);
  }
  // Namespaces: those with restored items, plus namespace objects the filters take (only
  // without a label selector, which Velero applies to namespaces' contents, not to them).
  for (auto& [name, obj] : namespace_objects) {
    bool wanted = scan.namespaces.contains(name) ||
                  (!selection.HasSelector() && selection.TypeIncluded(kNamespaces) &&
                   selection.NamespaceIncluded(name));
    if (wanted) scan.namespaces[name] = std::move(obj);
  }
  return scan;
}

}  // namespace kb::restore
