// Velero's ServiceAction (pkg/restore/actions/service_action.go): cluster IPs are cleared and
// node ports the API server allocated are dropped, so the target cluster allocates its own;
// node ports the user set (per kubectl's last-applied-configuration, else per managedFields of
// server-side apply) are kept.
#include <charconv>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "kube/internal/restore_transform_steps.h"

namespace kb::kube::internal {
namespace {

constexpr std::string_view kLastApplied = "kubectl.kubernetes.io/last-applied-configuration";

// A node port as Velero reads it from last-applied-configuration: a JSON number (truncated, as
// Go's int(float64) does) or a decimal string; 0 for anything else (Velero fails the item on a
// non-decimal string; here the port is just not "explicit").
std::int64_t NodePortValue(json::value const& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64()) {
    return v.get_uint64() < 2147483648u ? static_cast<std::int64_t>(v.get_uint64()) : 0;
  }
  if (v.is_double()) {
    double d = v.get_double();
    return d > 0 && d < 2147483648.0 ? static_cast<std::int64_t>(d) : 0;
  }
  if (json::string const* s = v.if_string()) {
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), n);
    return ec == std::errc() && end == s->data() + s->size() ? n : 0;
  }
  return 0;
}

// The parsed last-applied-configuration, or nullopt when the annotation is absent. An
// annotation that is not a JSON object reads as an empty object (Velero fails the item).
std::optional<json::object> LastApplied(json::object const& service) {
  json::object const* annotations = FindObject(service, {"metadata", "annotations"});
  json::value const* text =
      annotations == nullptr ? nullptr : annotations->if_contains(kLastApplied);
  if (text == nullptr || !text->is_string()) return std::nullopt;
  auto parsed = ParseJson(text->get_string(), kLastApplied);
  if (!parsed.ok() || !parsed->is_object()) return json::object();
  return std::move(parsed->get_object());
}

// The fieldsV1 objects of the service's managedFields entries.
std::vector<json::object const*> ManagedFieldSets(json::object const& service) {
  std::vector<json::object const*> sets;
  json::object const* metadata = FindObject(service, {"metadata"});
  json::value const* v = metadata == nullptr ? nullptr : metadata->if_contains("managedFields");
  json::array const* entries = v == nullptr ? nullptr : v->if_array();
  if (entries == nullptr) return sets;
  for (json::value const& e : *entries) {
    json::object const* entry = e.if_object();
    json::object const* fields = entry == nullptr ? nullptr : FindObject(*entry, {"fieldsV1"});
    if (fields != nullptr) sets.push_back(fields);
  }
  return sets;
}

json::array* Ports(json::object& spec) {
  json::value* v = spec.if_contains("ports");
  return v == nullptr ? nullptr : v->if_array();
}

// deleteNodePorts, last-applied branch: named ports are kept by name, unnamed ones by value.
void ClearNodePortsPerLastApplied(json::array& ports, json::object const& applied) {
  std::set<std::string> named;
  std::set<std::int64_t> unnamed;
  json::object const* spec = FindObject(applied, {"spec"});
  json::value const* v = spec == nullptr ? nullptr : spec->if_contains("ports");
  if (json::array const* applied_ports = v == nullptr ? nullptr : v->if_array()) {
    for (json::value const& p : *applied_ports) {
      json::object const* port = p.if_object();
      json::value const* node_port = port == nullptr ? nullptr : port->if_contains("nodePort");
      if (node_port == nullptr || NodePortValue(*node_port) <= 0) continue;
      if (port->contains("name")) {
        named.insert(JsonString(*port, "name"));
      } else {
        unnamed.insert(NodePortValue(*node_port));
      }
    }
  }
  for (json::value& p : ports) {
    json::object* port = p.if_object();
    if (port == nullptr) continue;
    std::string name = JsonString(*port, "name");
    bool keep = name.empty() ? unnamed.contains(JsonInt(*port, "nodePort")) : named.contains(name);
    if (!keep) port->erase("nodePort");
  }
}

// deleteNodePorts, managedFields branch: f:spec.f:ports.k:{"port":N,"protocol":"P"}.f:nodePort.
void ClearNodePortsPerManagedFields(json::array& ports, json::object const& service) {
  std::set<std::string, std::less<>> explicit_keys;
  for (json::object const* fields : ManagedFieldSets(service)) {
    json::object const* managed_ports = FindObject(*fields, {"f:spec", "f:ports"});
    if (managed_ports == nullptr) continue;
    for (auto const& [key, value] : *managed_ports) {
      json::object const* port = value.if_object();
      if (port != nullptr && port->contains("f:nodePort")) explicit_keys.emplace(key);
    }
  }
  for (json::value& p : ports) {
    json::object* port = p.if_object();
    if (port == nullptr) continue;
    std::string key = fmt::format(R"(k:{{"port":{},"protocol":"{}"}})", JsonInt(*port, "port"),
                                  JsonString(*port, "protocol"));
    if (!explicit_keys.contains(key)) port->erase("nodePort");
  }
}

void ClearImplicitNodePorts(json::object& service, json::object& spec) {
  if (JsonString(spec, "type") == "ExternalName") return;
  json::array* ports = Ports(spec);
  if (ports == nullptr) return;
  if (auto applied = LastApplied(service)) {
    ClearNodePortsPerLastApplied(*ports, *applied);
  } else {
    ClearNodePortsPerManagedFields(*ports, service);
  }
}

// deleteHealthCheckNodePort: only LoadBalancer services with externalTrafficPolicy Local have
// one. Kept when last-applied-configuration sets it non-zero, or any managedFields entry owns
// f:spec.f:healthCheckNodePort.
void ClearImplicitHealthCheckNodePort(json::object& service, json::object& spec) {
  if (JsonString(spec, "externalTrafficPolicy") != "Local" ||
      JsonString(spec, "type") != "LoadBalancer" || JsonInt(spec, "healthCheckNodePort") == 0) {
    return;
  }
  if (auto applied = LastApplied(service)) {
    json::object const* applied_spec = FindObject(*applied, {"spec"});
    json::value const* port =
        applied_spec == nullptr ? nullptr : applied_spec->if_contains("healthCheckNodePort");
    if (port != nullptr && port->is_number() && NodePortValue(*port) != 0) return;
  }
  for (json::object const* fields : ManagedFieldSets(service)) {
    if (FindObject(*fields, {"f:spec", "f:healthCheckNodePort"}) != nullptr) return;
  }
  spec.erase("healthCheckNodePort");
}

}  // namespace

void TransformService(json::object& service, bool preserve_node_ports) {
  json::object* spec = FindObject(service, {"spec"});
  if (spec == nullptr) return;
  if (JsonString(*spec, "clusterIP") != "None") {
    spec->erase("clusterIP");
    spec->erase("clusterIPs");
  }
  if (preserve_node_ports) return;
  ClearImplicitNodePorts(service, *spec);
  ClearImplicitHealthCheckNodePort(service, *spec);
}

}  // namespace kb::kube::internal
