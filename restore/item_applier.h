#pragma once
// Applies one backed-up item to the target cluster as Velero's restoreItem does: check the
// item against its tarball path and the target's types, prepare it (kube::PrepareForRestore),
// create it, restore its status when asked, and on 409 AlreadyExists follow the
// existing-resource policy. In a dry run, GETs instead and says what it would do.
// Spec: ../shared/spec/velero-format.md §5.5, §5.8.

#include <map>
#include <set>
#include <string>
#include <vector>

#include "agent/base/json.h"
#include "kube/api_client.h"
#include "kube/discovery.h"
#include "kube/restore_transform.h"
#include "restore/resource_restore.h"
#include "restore/restore_selection.h"

namespace kb::restore {

/// The target cluster's types by group-resource and version.
class TargetTypes {
 public:
  /// Indexes every served version of every type in `discovery`.
  explicit TargetTypes(kube::DiscoveryResult const& discovery);
  /// The type `group_resource` at `version`, or nullptr when the target does not serve it.
  kube::ApiResource const* Find(std::string const& group_resource,
                                std::string const& version) const;
  /// The versions served for `group_resource`, preferred first; empty when none.
  std::vector<std::string> Versions(std::string const& group_resource) const;

 private:
  std::map<std::string, std::vector<kube::ApiResource>> by_group_resource_;
};

/// Applies items. Thread-safe: Apply may run on several threads at once.
class ItemApplier {
 public:
  /// `policy` is "none" or "update". The references must outlive the applier.
  /// `pending_types`: group-resources the target does not serve yet because their CRD comes
  /// with the backup (a dry run does not create it): their items "would be created".
  ItemApplier(kube::ApiClient& client, TargetTypes const& types,
              kube::RestoreItemContext context, std::string policy, bool dry_run,
              std::set<std::string> pending_types = {})
      : client_(client), types_(types), context_(std::move(context)),
        policy_(std::move(policy)), dry_run_(dry_run), pending_types_(std::move(pending_types)) {}

  /// Applies the item at `key` whose stored JSON is `raw`. Never fails: the outcome says
  /// created, updated, skipped (with the reason) or failed (with the API server's message);
  /// in a dry run create, update or skip. `warning` receives a message for the restore's
  /// warnings (an existing object that differs and was left alone), else stays empty.
  RestoredItem Apply(ItemKey const& key, std::string const& raw, std::string& warning) const;

 private:
  RestoredItem Prepared(ItemKey const& key, kube::ApiResource const& r, RestoredItem out,
                        kube::PreparedItem prepared, std::string& warning) const;
  RestoredItem Existing(kube::ApiResource const& r, std::string const& item_path,
                        json::object const& prepared, RestoredItem out,
                        std::string& warning) const;
  /// PATCHes `patch` (a merge patch) onto `item_path` (not in a dry run): on success `out`
  /// becomes "updated" with message `done`; on failure `out` is kept and `warning` is set to
  /// `failed` and the API server's message.
  void PatchOrWarn(std::string const& item_path, json::object const& patch, RestoredItem& out,
                   std::string& warning, std::string done, std::string const& failed) const;
  void RestoreStatus(std::string const& item_path, std::string const& created_body,
                     json::value const& status, RestoredItem& out, std::string& warning) const;

  kube::ApiClient& client_;
  TargetTypes const& types_;
  kube::RestoreItemContext context_;
  std::string policy_;
  bool dry_run_;
  std::set<std::string> pending_types_;
};

/// "<apiVersion>/<Kind>" of an item ("apps/v1/Deployment", "v1/ConfigMap"), as Velero's
/// restored resource list keys it.
std::string ItemType(std::string const& api_version, std::string const& kind);

}  // namespace kb::restore
