#pragma once
// API discovery: every group, its versions and preferred version, and the resources each
// version serves (name, kind, scope, verbs). Spec: the /api and /apis discovery documents
// (APIVersions, APIGroupList, APIResourceList; k8s.io/apimachinery/pkg/apis/meta/v1).

#include <string>
#include <vector>

#include "agent/base/status.h"
#include "kube/api_client.h"

namespace kb::kube {

/// One resource type as one group version serves it.
struct ApiResource {
  std::string group;    ///< "" for the core group
  std::string version;  ///< "v1"
  std::string name;     ///< plural, lower case: "deployments"
  std::string kind;     ///< "Deployment"
  bool namespaced = false;
  std::vector<std::string> verbs;
  bool preferred = false;  ///< `version` is the group's preferred version

  /// "apps/v1", or "v1" for the core group.
  std::string GroupVersion() const;
  /// Velero's group-resource name: "deployments.apps", or "pods" for the core group.
  std::string GroupResource() const;
  /// True when every one of `wanted` is in verbs.
  bool HasVerbs(std::vector<std::string> const& wanted) const;
  /// The collection path, cluster-wide: "/apis/apps/v1/deployments", "/api/v1/pods"; with a
  /// namespace (namespaced types only): "/apis/apps/v1/namespaces/NS/deployments".
  std::string CollectionPath(std::string const& namespace_name = "") const;
};

/// What discovery found.
struct DiscoveryResult {
  /// Resources of every served version, subresources ("pods/log") left out, in discovery order:
  /// the core group first, then groups as /apis lists them.
  std::vector<ApiResource> resources;
  /// Groups whose version documents could not be read (an aggregated API that is down): one
  /// line each. They are left out of `resources`.
  std::vector<std::string> warnings;
  /// The server's version ("v1.34.4") from /version, "" when unreadable.
  std::string server_git_version;
};

/// The preferred version of the type named `group_resource` ("deployments.apps", "pods"), or
/// nullptr when discovery did not find it.
ApiResource const* FindPreferred(DiscoveryResult const& discovery,
                                 std::string const& group_resource);

/// Reads /api, /api/v1, /apis and /apis/<group>/<version> for every version, plus /version.
/// Errors: those of ApiClient::Get for /api and /apis (the server is unreachable or refuses
///   us); a failing group version becomes a warning instead.
StatusOr<DiscoveryResult> Discover(ApiClient& client);

}  // namespace kb::kube
