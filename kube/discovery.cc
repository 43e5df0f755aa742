#include "kube/discovery.h"

#include <algorithm>

#include "agent/base/json.h"
#include "agent/base/log.h"

namespace kb::kube {

std::string ApiResource::GroupVersion() const {
  return group.empty() ? version : group + "/" + version;
}

std::string ApiResource::GroupResource() const {
  return group.empty() ? name : name + "." + group;
}

bool ApiResource::HasVerbs(std::vector<std::string> const& wanted) const {
  return std::all_of(wanted.begin(), wanted.end(), [&](std::string const& v) {
    return std::find(verbs.begin(), verbs.end(), v) != verbs.end();
  });
}

std::string ApiResource::CollectionPath(std::string const& namespace_name) const {
  std::string base = group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
  if (namespaced && !namespace_name.empty()) base += "/namespaces/" + namespace_name;
  return base + "/" + name;
}

ApiResource const* FindPreferred(DiscoveryResult const& discovery,
                                 std::string const& group_resource) {
  for (auto const& r : discovery.resources) {
    if (r.preferred && r.GroupResource() == group_resource) return &r;
  }
  return nullptr;
}

namespace {

/// Parses an APIResourceList into `out` (subresources skipped).
Status AddResources(std::string const& body, std::string const& group,
                    std::string const& version, bool preferred, std::string const& what,
                    std::vector<ApiResource>& out) {
  KB_ASSIGN_OR_RETURN(json::value v, ParseJson(body, what));
  if (!v.is_object() || !v.as_object().contains("resources")) {
    return InvalidArgumentError(what + ": not an APIResourceList");
  }
  for (auto const& r : v.as_object().at("resources").as_array()) {
    if (!r.is_object()) continue;
    auto const& o = r.as_object();
    ApiResource res;
    res.group = group;
    res.version = version;
    res.name = JsonString(o, "name");
    if (res.name.empty() || res.name.find('/') != std::string::npos) continue;
    res.kind = JsonString(o, "kind");
    res.namespaced = o.contains("namespaced") && o.at("namespaced").is_bool() &&
                     o.at("namespaced").as_bool();
    if (o.contains("verbs") && o.at("verbs").is_array()) {
      for (auto const& verb : o.at("verbs").as_array()) {
        if (verb.is_string()) res.verbs.emplace_back(verb.as_string());
      }
    }
    res.preferred = preferred;
    out.push_back(std::move(res));
  }
  return OkStatus();
}

}  // namespace

StatusOr<DiscoveryResult> Discover(ApiClient& client) {
  DiscoveryResult result;
  if (auto ver = client.Get("/version"); ver.ok()) {
    if (auto v = ParseJson(*ver, "/version"); v.ok() && v->is_object()) {
      result.server_git_version = JsonString(v->as_object(), "gitVersion");
    }
  }
  // The core group: /api lists its versions; v1 is the only one ever served.
  KB_ASSIGN_OR_RETURN(std::string core_versions, client.Get("/api"));
  KB_ASSIGN_OR_RETURN(json::value cv, ParseJson(core_versions, client.server() + "/api"));
  std::vector<std::string> versions;
  if (cv.is_object() && cv.as_object().contains("versions")) {
    for (auto const& v : cv.as_object().at("versions").as_array()) {
      if (v.is_string()) versions.emplace_back(v.as_string());
    }
  }
  for (std::size_t i = 0; i < versions.size(); ++i) {
    std::string path = "/api/" + versions[i];
    KB_ASSIGN_OR_RETURN(std::string body, client.Get(path));
    KB_RETURN_IF_ERROR(
        AddResources(body, "", versions[i], i == 0, client.server() + path, result.resources));
  }

  KB_ASSIGN_OR_RETURN(std::string groups_body, client.Get("/apis"));
  KB_ASSIGN_OR_RETURN(json::value groups, ParseJson(groups_body, client.server() + "/apis"));
  if (!groups.is_object() || !groups.as_object().contains("groups")) {
    return InvalidArgumentError(client.server() + "/apis: not an APIGroupList");
  }
  for (auto const& g : groups.as_object().at("groups").as_array()) {
    if (!g.is_object()) continue;
    auto const& go = g.as_object();
    std::string name = JsonString(go, "name");
    std::string preferred;
    if (go.contains("preferredVersion") && go.at("preferredVersion").is_object()) {
      preferred = JsonString(go.at("preferredVersion").as_object(), "version");
    }
    if (!go.contains("versions") || !go.at("versions").is_array()) continue;
    for (auto const& v : go.at("versions").as_array()) {
      if (!v.is_object()) continue;
      std::string version = JsonString(v.as_object(), "version");
      std::string path = "/apis/" + name + "/" + version;
      auto body = client.Get(path);
      Status st = body.ok() ? AddResources(*body, name, version, version == preferred,
                                           client.server() + path, result.resources)
                            : body.status();
      if (!st.ok()) {
        KB_LOG(kube, warn, "discovery group failed group_version={}/{} error=\"{}\"", name,
               version, st.message());
        result.warnings.push_back(
            fmt::format("discovery of {}/{} failed, its resources are left out: {}", name,
                        version, st.message()));
      }
    }
  }
  return result;
}

}  // namespace kb::kube
