// Velero's built-in RestoreItemActions other than Service and PV/PVC
// (pkg/restore/actions/{pod,service_account,secret,job,rolebinding,clusterrolebinding,
// crd_v1_preserve_unknown_fields,admissionwebhook_config,apiservice}_action.go).
#include <string>

#include "kube/internal/restore_transform_steps.h"

namespace kb::kube::internal {
namespace {

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// Erases the elements of the array obj[key] whose "name" starts with `prefix`; erases the array
// when that leaves it empty (omitempty after Velero's typed round trip).
void EraseNamedWithPrefix(json::object& obj, std::string_view key, std::string_view prefix) {
  json::value* v = obj.if_contains(key);
  json::array* items = v == nullptr ? nullptr : v->if_array();
  if (items == nullptr) return;
  for (auto it = items->begin(); it != items->end();) {
    json::object const* item = it->if_object();
    if (item != nullptr && StartsWith(JsonString(*item, "name"), prefix)) {
      it = items->erase(it);
    } else {
      ++it;
    }
  }
  if (items->empty()) obj.erase(key);
}

constexpr std::string_view kServiceAccountTokenType = "kubernetes.io/service-account-token";

}  // namespace

void TransformPod(json::object& pod) {
  json::object* spec = FindObject(pod, {"spec"});
  if (spec == nullptr) return;
  spec->erase("nodeName");
  spec->erase("priority");
  std::string const prefix = JsonString(*spec, "serviceAccountName") + "-token-";
  EraseNamedWithPrefix(*spec, "volumes", prefix);
  for (std::string_view list : {"containers", "initContainers"}) {
    json::value* v = spec->if_contains(list);
    json::array* containers = v == nullptr ? nullptr : v->if_array();
    if (containers == nullptr) continue;
    for (json::value& c : *containers) {
      if (json::object* container = c.if_object()) {
        EraseNamedWithPrefix(*container, "volumeMounts", prefix);
      }
    }
  }
}

void TransformServiceAccount(json::object& sa) {
  std::string const prefix = FindString(sa, {"metadata", "name"}) + "-token-";
  json::value* v = sa.if_contains("secrets");
  json::array* secrets = v == nullptr ? nullptr : v->if_array();
  if (secrets == nullptr) return;
  // Velero walks from the end and removes only the first match it meets.
  for (std::size_t i = secrets->size(); i-- > 0;) {
    json::object const* ref = (*secrets)[i].if_object();
    if (ref != nullptr && StartsWith(JsonString(*ref, "name"), prefix)) {
      secrets->erase(secrets->begin() + static_cast<std::ptrdiff_t>(i));
      break;
    }
  }
  if (secrets->empty()) sa.erase("secrets");
}

std::string TransformSecret(json::object& secret, RestoreItemContext const& ctx) {
  if (JsonString(secret, "type") != kServiceAccountTokenType) return "";
  if (ctx.service_account_exists) {
    // Velero: skipped when "<sa>-token-" prefixes the name for some ServiceAccount of the
    // Secret's (backed-up) namespace. Each "-token-" in the name marks one candidate <sa>.
    std::string const name = FindString(secret, {"metadata", "name"});
    std::string const ns = FindString(secret, {"metadata", "namespace"});
    constexpr std::string_view kMarker = "-token-";
    for (auto pos = name.find(kMarker, 1); pos != std::string::npos;
         pos = name.find(kMarker, pos + 1)) {
      if (ctx.service_account_exists(ns, name.substr(0, pos))) {
        return "service-account token Secret of an existing ServiceAccount";
      }
    }
  }
  EraseFromMap(secret, {"metadata", "annotations"}, {"kubernetes.io/service-account.uid"});
  EraseFromMap(secret, {"data"}, {"token", "ca.crt"});
  return "";
}

void TransformJob(json::object& job) {
  constexpr std::string_view kControllerUid = "batch.kubernetes.io/controller-uid";
  constexpr std::string_view kLegacyControllerUid = "controller-uid";
  EraseFromMap(job, {"spec", "selector", "matchLabels"}, {kControllerUid, kLegacyControllerUid});
  EraseFromMap(job, {"spec", "template", "metadata", "labels"},
               {kControllerUid, kLegacyControllerUid});
}

void RemapSubjects(json::object& binding, std::map<std::string, std::string> const& mapping) {
  if (mapping.empty()) return;
  json::value* v = binding.if_contains("subjects");
  json::array* subjects = v == nullptr ? nullptr : v->if_array();
  if (subjects == nullptr) return;
  for (json::value& s : *subjects) {
    json::object* subject = s.if_object();
    if (subject == nullptr) continue;
    auto it = mapping.find(JsonString(*subject, "namespace"));
    if (it != mapping.end()) (*subject)["namespace"] = it->second;
  }
}

void TransformCrd(json::object& crd) {
  if (JsonString(crd, "apiVersion") != "apiextensions.k8s.io/v1") return;
  json::object* spec = FindObject(crd, {"spec"});
  if (spec == nullptr) return;
  json::value const* preserve = spec->if_contains("preserveUnknownFields");
  if (preserve == nullptr || !preserve->is_bool() || !preserve->get_bool()) return;
  spec->erase("preserveUnknownFields");  // false, omitted as the v1 type does
  json::value* v = spec->if_contains("versions");
  json::array* versions = v == nullptr ? nullptr : v->if_array();
  if (versions == nullptr) return;
  for (json::value& ver : *versions) {
    json::object* version = ver.if_object();
    json::object* schema =
        version == nullptr ? nullptr : FindObject(*version, {"schema", "openAPIV3Schema"});
    if (schema != nullptr) (*schema)["x-kubernetes-preserve-unknown-fields"] = true;
  }
}

void TransformWebhookConfiguration(json::object& config) {
  if (JsonString(config, "apiVersion") != "admissionregistration.k8s.io/v1") return;
  json::value* v = config.if_contains("webhooks");
  json::array* webhooks = v == nullptr ? nullptr : v->if_array();
  if (webhooks == nullptr) return;
  for (json::value& w : *webhooks) {
    json::object* webhook = w.if_object();
    if (webhook == nullptr) continue;
    std::string side_effects = JsonString(*webhook, "sideEffects");
    if (side_effects != "None" && side_effects != "NoneOnDryRun") {
      (*webhook)["sideEffects"] = "None";
    }
  }
}

std::string ApiServiceSkipReason(json::object const& api_service) {
  json::object const* labels = FindObject(api_service, {"metadata", "labels"});
  if (labels != nullptr && labels->contains("kube-aggregator.kubernetes.io/automanaged")) {
    return "APIService managed by kube-aggregator (label "
           "kube-aggregator.kubernetes.io/automanaged)";
  }
  return "";
}

}  // namespace kb::kube::internal
