#pragma once
// Paged LISTs (limit/continue) of one resource type, handing each object on as it arrives so
// memory stays at one page. Spec: API concepts, "Retrieving large results sets in chunks".

#include <cstdint>
#include <functional>
#include <string>

#include "agent/base/json.h"
#include "agent/base/status.h"
#include "kube/api_client.h"
#include "kube/discovery.h"

namespace kb::kube {

/// What to list.
struct ListRequest {
  ApiResource resource;
  /// Namespace to list in; empty = all namespaces (or a cluster-scoped type).
  std::string namespace_name;
  /// A label selector ("app=web,tier!=db"); empty = every object.
  std::string label_selector;
  /// Objects per page (the `limit` parameter). Default: 500, as Velero's client.
  int page_size = 500;
};

/// What a list did.
struct ListStats {
  std::uint64_t objects = 0;
  int pages = 0;
  /// Times a continue token had expired (410 Gone) and the list went on with the token the
  /// server offered for the rest: objects changed meanwhile may be missing or newer.
  int expired_continues = 0;
};

/// Lists `request`, calling `on_object` for every object with "apiVersion" and "kind" set (a
/// LIST's items lack them), in the server's order. `on_object` returning an error stops the
/// list with that error.
/// Errors: those of ApiClient::Get (kPermissionDenied for RBAC, kNotFound for a type that went
///   away, kUnavailable), kAborted when a continue token expired and the server offered none to
///   go on with, kInvalidArgument for a body that is not a list.
StatusOr<ListStats> ListObjects(ApiClient& client, ListRequest const& request,
                                std::function<Status(json::object&&)> const& on_object);

}  // namespace kb::kube
