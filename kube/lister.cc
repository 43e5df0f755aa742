#include "kube/lister.h"

#include "agent/base/log.h"
#include "agent/base/url.h"

namespace kb::kube {

namespace {

/// The continue token a 410 Status offers for an inconsistent continuation, or "".
std::string OfferedContinue(std::string const& body) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec || !v.is_object()) return "";
  auto const& o = v.as_object();
  if (!o.contains("metadata") || !o.at("metadata").is_object()) return "";
  return JsonString(o.at("metadata").as_object(), "continue");
}

}  // namespace

StatusOr<ListStats> ListObjects(ApiClient& client, ListRequest const& request,
                                std::function<Status(json::object&&)> const& on_object) {
  ListStats stats;
  std::string base = request.resource.CollectionPath(request.namespace_name) + "?";
  if (request.page_size > 0) base += "limit=" + std::to_string(request.page_size) + "&";
  if (!request.label_selector.empty()) {
    base += "labelSelector=" + PercentEncode(request.label_selector) + "&";
  }
  std::string const api_version = request.resource.GroupVersion();
  std::string continue_token;
  for (;;) {
    std::string path = base;
    if (!continue_token.empty()) path += "continue=" + PercentEncode(continue_token);
    if (path.back() == '&' || path.back() == '?') path.pop_back();
    auto body = client.GetWithStatusBody(path);
    if (!body.ok()) return body.status();
    if (body->status == 410 && !continue_token.empty()) {
      std::string offered = OfferedContinue(body->body);
      if (offered.empty()) {
        return AbortedError(fmt::format(
            "listing {}: the continue token expired and the server offered none to go on with",
            request.resource.GroupResource()));
      }
      KB_LOG(kube, warn, "list continue expired resource={} namespace={} objects_so_far={}",
             request.resource.GroupResource(), request.namespace_name, stats.objects);
      ++stats.expired_continues;
      continue_token = offered;
      continue;
    }
    if (body->status < 200 || body->status >= 300) {
      return KubeHttpError(body->status, body->body, "GET " + client.server() + path);
    }
    KB_ASSIGN_OR_RETURN(json::value page, ParseJson(body->body, client.server() + path));
    if (!page.is_object() || !page.as_object().contains("items")) {
      return InvalidArgumentError(client.server() + path + ": not a list");
    }
    json::object& po = page.as_object();
    ++stats.pages;
    auto& items = po["items"];
    if (items.is_array()) {
      for (auto& item : items.as_array()) {
        if (!item.is_object()) continue;
        json::object obj = std::move(item.as_object());
        obj["apiVersion"] = api_version;
        obj["kind"] = request.resource.kind;
        KB_RETURN_IF_ERROR(on_object(std::move(obj)));
        ++stats.objects;
      }
    }
    continue_token.clear();
    if (po.contains("metadata") && po["metadata"].is_object()) {
      continue_token = JsonString(po["metadata"].as_object(), "continue");
    }
    if (continue_token.empty()) return stats;
  }
}

}  // namespace kb::kube
