#pragma once
// Which backed-up resource types a Velero-compatible restore applies, and in which order.
// Spec: ../shared/spec/velero-format.md §5.2 (defaultRestorePriorities, Velero
// pkg/cmd/server/config/config.go) and §5.3 (nonRestorableResources,
// pkg/controller/restore_controller.go).

#include <string>
#include <string_view>
#include <vector>

namespace kb::kube {

/// True when Velero never restores the group-resource `group_resource` ("nodes", "events",
/// "events.events.k8s.io", "backups.velero.io", "restores.velero.io",
/// "resticrepositories.velero.io", "csinodes.storage.k8s.io",
/// "volumeattachments.storage.k8s.io", "backuprepositories.velero.io"), whatever the filters.
/// `group_resource` is spelled as a tarball directory: "<resource>[.<group>]", core types bare.
bool IsNonRestorable(std::string_view group_resource);

/// Orders the group-resources present in a backup (tarball directory names such as
/// "customresourcedefinitions.apiextensions.k8s.io", "namespaces", "deployments.apps") as
/// Velero restores them: first Velero's high-priority list in its order (its short names
/// resolved as discovery resolves them: "customresourcedefinitions" is
/// customresourcedefinitions.apiextensions.k8s.io, "clusterroles" is
/// clusterroles.rbac.authorization.k8s.io, "volumesnapshotclass.snapshot.storage.k8s.io" is
/// volumesnapshotclasses.snapshot.storage.k8s.io, ...), then every other group-resource sorted
/// by byte value (Go's sort.Strings), then the low-priority list in its order.
/// Non-restorable group-resources (IsNonRestorable) and duplicates are dropped; entries of the
/// priority lists that are not in `group_resources` do not appear.
/// Returns: tiers in order; the items of one tier may be applied together (in parallel), a tier
/// starts only after the previous one is done. Today every tier holds one group-resource.
std::vector<std::vector<std::string>> RestoreTiers(std::vector<std::string> group_resources);

}  // namespace kb::kube
