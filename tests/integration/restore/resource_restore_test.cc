// kbackup restore create against the real test clusters: a backup of cluster a restored into
// cluster b (the other cluster, on its own etcd), compared object by object with its source.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <thread>

#include "agent/base/json.h"
#include "tests/support/restore_env.h"

namespace kb::testing {
namespace {

/// The restored resource list of restore `name`: type → entries "ns/name(action)".
std::map<std::string, std::vector<std::string>> RestoredList(MinioLocation const& loc,
                                                            std::string const& name) {
  std::string gz = loc.Read("restores/" + name + "/restore-" + name + "-resource-list.json.gz");
  std::map<std::string, std::vector<std::string>> out;
  json::value v = json::parse(GunzipForTest(gz));
  for (auto const& kv : v.as_object()) {
    for (auto const& e : kv.value().as_array()) {
      out[std::string(kv.key())].emplace_back(e.as_string());
    }
  }
  return out;
}

/// The backup's resource list: type → "ns/name" or "name".
std::map<std::string, std::vector<std::string>> BackupList(MinioLocation const& loc,
                                                          std::string const& name) {
  std::map<std::string, std::vector<std::string>> out;
  json::value v = json::parse(
      GunzipForTest(loc.Read("backups/" + name + "/" + name + "-resource-list.json.gz")));
  for (auto const& kv : v.as_object()) {
    for (auto const& e : kv.value().as_array()) {
      out[std::string(kv.key())].emplace_back(e.as_string());
    }
  }
  return out;
}

struct Entry {
  std::string ns, name, action;
};

Entry ParseEntry(std::string const& e) {
  Entry out;
  auto open = e.rfind('(');
  out.action = e.substr(open + 1, e.size() - open - 2);
  std::string id = e.substr(0, open);
  auto slash = id.find('/');
  if (slash == std::string::npos) {
    out.name = id;
  } else {
    out.ns = id.substr(0, slash);
    out.name = id.substr(slash + 1);
  }
  return out;
}

TEST(ResourceRestore, RoundTripIntoAnotherClusterWithNamespaceMapping) {
  DeleteServicesInClusterB("rt-");
  MinioLocation loc("restore-rt");
  std::string const s = UniqueSuffix();
  std::string const backup = "rt-" + s;
  json::value b = BackupClusterA(loc, backup, {"--include-namespaces", "shop,billing"});
  ASSERT_TRUE(b.is_object());
  ASSERT_EQ(JsonString(b.as_object(), "phase"), "Completed");
  std::map<std::string, std::string> const mapping{{"shop", "rt-shop-" + s},
                                                   {"billing", "rt-billing-" + s}};
  std::string const restore = "rt-restore-" + s;
  int code = -1;
  std::string err;
  json::object r = RestoreIntoClusterB(
      loc.url, loc.env, restore, backup,
      {"--namespace-mappings", "shop:" + mapping.at("shop") + ",billing:" + mapping.at("billing")},
      code, &err);
  ASSERT_EQ(code, 0) << err;
  EXPECT_EQ(JsonString(r, "phase"), "Completed") << err;
  EXPECT_EQ(JsonInt(r, "failed"), 0);
  EXPECT_GT(JsonInt(r, "created"), 40);

  // Every backed-up item has an outcome; every namespaced one was created in its new namespace.
  auto restored = RestoredList(loc, restore);
  std::set<std::string> outcomes;
  for (auto const& [type, entries] : restored) {
    for (auto const& e : entries) {
      Entry x = ParseEntry(e);
      outcomes.insert(type + " " + x.ns + "/" + x.name);
      if (!x.ns.empty()) {
        EXPECT_EQ(x.action, "created") << type << " " << e;
      }
      EXPECT_NE(x.action, "failed") << type << " " << e;
    }
  }
  for (auto const& [type, names] : BackupList(loc, backup)) {
    for (auto const& n : names) {
      auto slash = n.find('/');
      std::string id = slash == std::string::npos
                           ? "/" + n : mapping.at(n.substr(0, slash)) + n.substr(slash);
      if (type == "v1/Namespace") id = "/" + mapping.at(n);
      EXPECT_TRUE(outcomes.contains(type + " " + id)) << "no outcome for " << type << " " << n;
    }
  }

  // Field by field: what b holds is a's object after the documented transforms.
  int compared = 0;
  for (auto const& [type, entries] : restored) {
    if (type == "v1/Namespace") continue;
    for (auto const& e : entries) {
      Entry x = ParseEntry(e);
      if (x.action != "created") continue;
      std::string source_ns;
      for (auto const& [from, to] : mapping) {
        if (to == x.ns) source_ns = from;
      }
      json::object source = GetObject("A", KubectlResource(type), source_ns, x.name);
      json::object copy = GetObject("B", KubectlResource(type), x.ns, x.name);
      ASSERT_FALSE(copy.empty()) << type << " " << e;
      auto const& labels = copy["metadata"].as_object()["labels"].as_object();
      EXPECT_EQ(JsonString(labels, "velero.io/backup-name"), backup) << e;
      EXPECT_EQ(JsonString(labels, "velero.io/restore-name"), restore) << e;
      EXPECT_EQ(json::serialize(Comparable(source, mapping)), json::serialize(Comparable(copy, {})))
          << type << " " << e;
      ++compared;
    }
  }
  EXPECT_GT(compared, 40);

  // Transforms that matter: a new cluster IP, the explicit node port kept, status dropped.
  json::object web_a = GetObject("A", "service", "shop", "web");
  json::object web_b = GetObject("B", "service", mapping.at("shop"), "web");
  EXPECT_NE(JsonString(web_b["spec"].as_object(), "clusterIP"),
            JsonString(web_a["spec"].as_object(), "clusterIP"));
  EXPECT_EQ(json::serialize(web_b["spec"].as_object()["ports"]),
            json::serialize(web_a["spec"].as_object()["ports"]));
  json::object pvc = GetObject("B", "pvc", mapping.at("shop"), "web-data");
  EXPECT_EQ(JsonString(pvc["spec"].as_object(), "volumeName"), "pv-shop-web-data")
      << "its PV's reclaim policy is Retain: restored, and the claim stays bound to it";
  json::object ledger = GetObject("B", "pvc", mapping.at("billing"), "ledger");
  EXPECT_EQ(JsonString(ledger["spec"].as_object(), "volumeName"), "")
      << "its PV's reclaim policy is Delete: not restored, the claim is provisioned anew";
  EXPECT_EQ(json::serialize(GetObject("B", "configmap", mapping.at("shop"), "cache-dump")), "{}")
      << "not in the backup (labelled exclude-from-backup in a)";
  DeleteServicesInClusterB("rt-");
}

TEST(ResourceRestore, ExistingObjectsFollowThePolicyNoneThenUpdate) {
  MinioLocation loc("restore-policy");
  std::string const s = UniqueSuffix();
  std::string const backup = "pol-" + s;
  ASSERT_TRUE(BackupClusterA(loc, backup, {"--include-namespaces", "monitoring",
                                           "--exclude-resources", "services"})
                  .is_object());
  std::string const ns = "pol-" + s;
  std::vector<std::string> const map{"--namespace-mappings", "monitoring:" + ns};
  int code = -1;
  std::string err;
  json::object first = RestoreIntoClusterB(loc.url, loc.env, "pol-1-" + s, backup, map, code, &err);
  ASSERT_EQ(code, 0) << err;
  ASSERT_EQ(JsonInt(first, "failed"), 0);

  // Change one object, delete another.
  ASSERT_EQ(Kubectl("B", {"-n", ns, "patch", "configmap", "prometheus-config", "--type=merge", "-p",
                          R"({"data":{"changed":"by hand"}})"}).exit_code, 0);
  ASSERT_EQ(Kubectl("B", {"-n", ns, "delete", "serviceaccount", "prometheus"}).exit_code, 0);

  json::object none = RestoreIntoClusterB(loc.url, loc.env, "pol-2-" + s, backup, map, code, &err);
  ASSERT_EQ(code, 0) << err;
  auto action_of = [](json::object const& result, std::string const& type, std::string const& name) {
    for (auto const& i : result.at("items").as_array()) {
      auto const& o = i.as_object();
      if (JsonString(o, "type") == type && JsonString(o, "name") == name) {
        return JsonString(o, "action") + ": " + JsonString(o, "message");
      }
    }
    return std::string("created");  // created items are not listed
  };
  EXPECT_EQ(action_of(none, "v1/ConfigMap", "prometheus-config"),
            "skipped: already exists and differs: left as it is (--existing-resource-policy "
            "update replaces it)");
  EXPECT_EQ(action_of(none, "v1/ServiceAccount", "prometheus"), "created");
  EXPECT_EQ(action_of(none, "apps/v1/Deployment", "prometheus"),
            "skipped: already exists and is the same");
  // One warning for the changed ConfigMap (cluster-scoped items that earlier runs restored
  // with another namespace in their subjects may warn too).
  int changed_warnings = 0;
  for (auto const& w : none.at("warnings").as_array()) {
    if (std::string(w.as_string()).find("v1/ConfigMap " + ns + "/prometheus-config") !=
        std::string::npos) {
      ++changed_warnings;
    }
  }
  EXPECT_EQ(changed_warnings, 1) << json::serialize(none);
  EXPECT_EQ(JsonString(GetObject("B", "configmap", ns, "prometheus-config")["data"].as_object(), "changed"),
            "by hand");

  // A ServiceAccount that differs is merged whatever the policy: the backed-up label comes
  // back, the one added by hand stays.
  ASSERT_EQ(Kubectl("B", {"-n", ns, "label", "serviceaccount", "prometheus", "app-", "hand=1"})
                .exit_code, 0);
  json::object update = RestoreIntoClusterB(loc.url, loc.env, "pol-3-" + s, backup,
                                            {map[0], map[1], "--existing-resource-policy", "update"},
                                            code, &err);
  ASSERT_EQ(code, 0) << err;
  EXPECT_GE(JsonInt(update, "updated"), 1) << json::serialize(update);
  EXPECT_EQ(json::serialize(GetObject("B", "configmap", ns, "prometheus-config")["data"]),
            json::serialize(GetObject("A", "configmap", "monitoring", "prometheus-config")["data"]));
  EXPECT_EQ(action_of(update, "v1/ConfigMap", "prometheus-config"),
            "updated: already existed and differed: patched to the backed-up version");
  EXPECT_EQ(action_of(update, "v1/ServiceAccount", "prometheus"),
            "updated: already existed: the backup's secrets, image pull secrets, labels and "
            "annotations merged into it");
  json::object sa_labels = GetObject("B", "serviceaccount", ns, "prometheus")["metadata"]
                               .as_object().at("labels").as_object();
  EXPECT_EQ(JsonString(sa_labels, "app"), "prometheus");
  EXPECT_EQ(JsonString(sa_labels, "hand"), "1");
  // Unchanged objects get this restore's labels under policy update, as Velero sets them.
  EXPECT_EQ(action_of(update, "apps/v1/Deployment", "prometheus"),
            "updated: already exists and is the same; its restore labels were set");
  for (auto const& [kind, name] : {std::pair{"deployment", "prometheus"},
                                   std::pair{"configmap", "prometheus-config"}}) {
    json::object labels =
        GetObject("B", kind, ns, name)["metadata"].as_object().at("labels").as_object();
    EXPECT_EQ(JsonString(labels, "velero.io/restore-name"), "pol-3-" + s) << kind;
    EXPECT_EQ(JsonString(labels, "velero.io/backup-name"), backup) << kind;
  }

  // The three restores are in the location: list, describe, logs.
  auto list = RunKbackup({"restore", "list", "-o", "json", "--location", loc.url}, loc.env);
  ASSERT_EQ(list.exit_code, 0) << list.err;
  json::value listed = json::parse(list.out);
  EXPECT_EQ(listed.as_array().size(), 3u) << list.out;
  auto described = RunKbackup({"--location", loc.url, "-o", "json", "restore", "describe",
                               "pol-3-" + s}, loc.env);
  ASSERT_EQ(described.exit_code, 0) << described.err;
  json::value d = json::parse(described.out);
  EXPECT_EQ(JsonString(d.as_object(), "phase"), "Completed");
  EXPECT_EQ(JsonString(d.as_object(), "backup"), backup);
  EXPECT_TRUE(d.as_object().contains("resource_list"));
  auto logs = RunKbackup({"--location", loc.url, "restore", "logs", "pol-3-" + s}, loc.env);
  ASSERT_EQ(logs.exit_code, 0) << logs.err;
  EXPECT_NE(logs.out.find("restore=velero/pol-3-" + s), std::string::npos) << logs.out;
  EXPECT_NE(logs.out.find("action=updated"), std::string::npos) << logs.out;
}

TEST(ResourceRestore, FiltersTakeSubsets) {
  DeleteServicesInClusterB("fs-");
  MinioLocation loc("restore-filters");
  std::string const s = UniqueSuffix();
  std::string const backup = "fs-" + s;
  ASSERT_TRUE(BackupClusterA(loc, backup, {"--include-namespaces", "shop,billing"}).is_object());
  auto restore = [&](std::string const& name, std::vector<std::string> args) {
    int code = -1;
    std::string err;
    json::object r = RestoreIntoClusterB(loc.url, loc.env, name, backup, args, code, &err);
    EXPECT_EQ(code, 0) << name << ": " << err;
    EXPECT_EQ(JsonInt(r, "failed"), 0) << name;
    return RestoredList(loc, name);
  };
  // Only some types.
  auto types = restore("fs-a-" + s, {"--include-resources", "configmaps,secrets",
                                     "--namespace-mappings", "shop:fs-a-" + s + ",billing:fs-ab-" + s});
  for (auto const& [type, entries] : types) {
    EXPECT_TRUE(type == "v1/ConfigMap" || type == "v1/Secret" || type == "v1/Namespace") << type;
  }
  EXPECT_GE(types["v1/ConfigMap"].size(), 3u);  // web-config, api-config, invoicer-config
  EXPECT_FALSE(types["v1/Secret"].empty());
  // Excluded type, one namespace: nothing of shop, no secrets.
  auto billing = restore("fs-b-" + s, {"--include-namespaces", "billing", "--exclude-resources",
                                       "secrets", "--namespace-mappings", "billing:fs-b-" + s});
  EXPECT_FALSE(billing.contains("v1/Secret"));
  for (auto const& [type, entries] : billing) {
    for (auto const& e : entries) {
      Entry x = ParseEntry(e);
      EXPECT_TRUE(x.ns.empty() || x.ns == "fs-b-" + s) << type << " " << e;
      // auto with a namespace filter: cluster-scoped items only as additional items (PVs).
      if (x.ns.empty() && type != "v1/Namespace") {
        EXPECT_EQ(type, "v1/PersistentVolume") << e;
      }
    }
  }
  // Label selector: items labelled app=web, plus the PVCs their Pods use.
  auto web = restore("fs-c-" + s, {"--selector", "app=web", "--include-cluster-resources",
                                   "false", "--namespace-mappings", "shop:fs-c-" + s});
  std::size_t count = 0;
  for (auto const& [type, entries] : web) {
    if (type == "v1/Namespace") continue;
    for (auto const& e : entries) {
      Entry x = ParseEntry(e);
      EXPECT_FALSE(x.ns.empty()) << "cluster resources are off: " << type << " " << e;
      json::object o = GetObject("B", KubectlResource(type), x.ns, x.name);
      std::string app = JsonString(o["metadata"].as_object()["labels"].as_object(), "app");
      EXPECT_TRUE(app == "web" || type == "v1/PersistentVolumeClaim") << type << " " << e;
      ++count;
    }
  }
  EXPECT_GE(count, 5u);
  DeleteServicesInClusterB("fs-");
}

TEST(ResourceRestore, DryRunPrintsThePlanAndChangesNothing) {
  MinioLocation loc("restore-dry");
  std::string const s = UniqueSuffix();
  std::string const backup = "dry-" + s;
  ASSERT_TRUE(BackupClusterA(loc, backup, {"--include-namespaces", "monitoring"}).is_object());
  int code = -1;
  std::string err;
  json::object r = RestoreIntoClusterB(loc.url, loc.env, "dry-" + s, backup,
                                       {"--dry-run", "--namespace-mappings", "monitoring:dry-" + s},
                                       code, &err);
  ASSERT_EQ(code, 0) << err;
  EXPECT_EQ(JsonString(r, "phase"), "DryRun");
  std::set<std::string> planned;
  for (auto const& i : r.at("items").as_array()) {
    auto const& o = i.as_object();
    planned.insert(JsonString(o, "action") + " " + JsonString(o, "type") + " " +
                   JsonString(o, "name"));
  }
  EXPECT_TRUE(planned.contains("create v1/Namespace dry-" + s)) << json::serialize(r);
  EXPECT_TRUE(planned.contains("create v1/ConfigMap prometheus-config")) << json::serialize(r);
  EXPECT_TRUE(planned.contains("create apps/v1/Deployment prometheus")) << json::serialize(r);
  EXPECT_NE(Kubectl("B", {"get", "namespace", "dry-" + s}).exit_code, 0) << "nothing applied";
  EXPECT_TRUE(loc.Keys("restores/").empty()) << "nothing written";
  // The table form says the same, one line per item.
  auto table = RunKbackup({"--location", loc.url, "restore", "create", "--from-backup", backup,
                           "--dry-run", "--namespace-mappings", "monitoring:dry-" + s,
                           "--kubeconfig", RequireEnv("KB_TEST_KUBE_B_KUBECONFIG")}, loc.env);
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("ACTION"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("prometheus-config"), std::string::npos) << table.out;
}

}  // namespace
}  // namespace kb::testing

namespace kb::testing {
namespace {

TEST(ResourceRestore, CreatesCrdsFirstAndWaitsUntilTheyAreEstablished) {
  std::string const s = UniqueSuffix();
  std::string group = "t" + s + ".kbackup.test";
  for (char& c : group) {
    if (c == '-') c = 'x';
  }
  std::string const crd = "gizmos." + group;
  TempDir dir;
  std::string const file = dir.path() + "/crd.yaml";
  std::ofstream(file) << "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
                      << "metadata: {name: " << crd << "}\nspec:\n  group: " << group
                      << "\n  scope: Namespaced\n  names: {plural: gizmos, singular: gizmo, "
                         "kind: Gizmo}\n  versions:\n  - name: v1\n    served: true\n"
                         "    storage: true\n    schema:\n      openAPIV3Schema:\n"
                         "        type: object\n        x-kubernetes-preserve-unknown-fields: "
                         "true\n";
  ASSERT_EQ(Kubectl("A", {"apply", "-f", file}).exit_code, 0);
  ASSERT_EQ(Kubectl("A", {"wait", "--for=condition=Established", "--timeout=60s", "crd/" + crd})
                .exit_code, 0);
  std::string const cr = dir.path() + "/cr.yaml";
  std::ofstream(cr) << "apiVersion: " << group << "/v1\nkind: Gizmo\nmetadata: {name: g1, "
                    << "namespace: monitoring}\nspec: {size: 3, color: teal}\n";
  ASSERT_EQ(Kubectl("A", {"apply", "-f", cr}).exit_code, 0);
  ASSERT_NE(Kubectl("B", {"get", "crd", crd}).exit_code, 0) << "b must not have it yet";

  MinioLocation loc("restore-crd");
  std::string const backup = "crd-" + s;
  ASSERT_TRUE(BackupClusterA(loc, backup, {"--include-namespaces", "monitoring",
                                           "--include-resources", "gizmos." + group})
                  .is_object());
  int code = -1;
  std::string err;
  std::string const ns = "crd-" + s;
  json::object r = RestoreIntoClusterB(loc.url, loc.env, "crd-" + s, backup,
                                       {"--namespace-mappings", "monitoring:" + ns}, code, &err);
  EXPECT_EQ(code, 0) << err;
  EXPECT_EQ(JsonInt(r, "failed"), 0) << json::serialize(r);
  json::object copy = GetObject("B", "gizmos." + group, ns, "g1");
  ASSERT_FALSE(copy.empty()) << "the custom resource, created once its CRD was Established";
  EXPECT_EQ(json::serialize(copy["spec"]), R"({"color":"teal","size":3})");
  json::object established = GetObject("B", "crd", "", crd);
  EXPECT_NE(json::serialize(established["status"]).find(R"("status":"True","type":"Established")"),
            std::string::npos) << json::serialize(established["status"]);
  auto list = RestoredList(loc, "crd-" + s);
  EXPECT_EQ(list["apiextensions.k8s.io/v1/CustomResourceDefinition"],
            std::vector<std::string>{crd + "(created)"});
  // Leave both clusters as they were: deleting the CRD deletes its custom resources.
  EXPECT_EQ(Kubectl("A", {"delete", "crd", crd}).exit_code, 0);
  EXPECT_EQ(Kubectl("B", {"delete", "crd", crd}).exit_code, 0);
}

TEST(ResourceRestore, RestoresStatusOfTheNamedTypesOnly) {
  // No controller runs in the test clusters: a status set by hand stays as it is.
  std::string const s = UniqueSuffix();
  std::string const src = "rs-" + s;
  ASSERT_EQ(Kubectl("A", {"create", "namespace", src}).exit_code, 0);
  ASSERT_EQ(Kubectl("A", {"-n", src, "create", "deployment", "web", "--image=example.test/web:1"})
                .exit_code, 0);
  ASSERT_EQ(Kubectl("A", {"-n", src, "patch", "deployment", "web", "--subresource=status",
                          "--type=merge", "-p", R"({"status":{"observedGeneration":7}})"})
                .exit_code, 0);
  MinioLocation loc("restore-status");
  std::string const backup = "rs-" + s;
  ASSERT_TRUE(BackupClusterA(loc, backup, {"--include-namespaces", src}).is_object());
  int code = -1;
  std::string err;
  // Named by kind, as --include-resources names types.
  json::object with = RestoreIntoClusterB(
      loc.url, loc.env, "rs-with-" + s, backup,
      {"--namespace-mappings", src + ":rs-with-" + s, "--restore-status", "Deployment"}, code, &err);
  EXPECT_EQ(code, 0) << err;
  EXPECT_EQ(JsonInt(with, "failed"), 0) << json::serialize(with);
  json::object restored = GetObject("B", "deployment", "rs-with-" + s, "web");
  ASSERT_FALSE(restored.empty());
  EXPECT_EQ(json::serialize(restored["status"]), R"({"observedGeneration":7})");

  json::object without = RestoreIntoClusterB(loc.url, loc.env, "rs-without-" + s, backup,
                                             {"--namespace-mappings", src + ":rs-without-" + s},
                                             code, &err);
  EXPECT_EQ(code, 0) << err;
  json::object plain = GetObject("B", "deployment", "rs-without-" + s, "web");
  ASSERT_FALSE(plain.empty());
  EXPECT_FALSE(plain.contains("status") && plain["status"].is_object() &&
               plain["status"].as_object().contains("observedGeneration"))
      << json::serialize(plain["status"]);
  EXPECT_TRUE(DeleteNamespaceNow("A", src));
  EXPECT_TRUE(DeleteNamespaceNow("B", "rs-with-" + s));
  EXPECT_TRUE(DeleteNamespaceNow("B", "rs-without-" + s));
}

TEST(ResourceRestore, WaitsForATerminatingNamespaceToGoThenFailsPastTheTimeout) {
  // Without a controller manager nothing finalizes a namespace: one deleted with its
  // "kubernetes" finalizer stays Terminating until the test removes the finalizer.
  std::string const s = UniqueSuffix();
  std::string const src = "tn-" + s;
  ASSERT_EQ(Kubectl("A", {"create", "namespace", src}).exit_code, 0);
  ASSERT_EQ(Kubectl("A", {"-n", src, "create", "configmap", "c", "--from-literal=k=v"}).exit_code, 0);
  MinioLocation loc("restore-terminating");
  std::string const backup = "tn-" + s;
  ASSERT_TRUE(BackupClusterA(loc, backup, {"--include-namespaces", src}).is_object());
  std::string const target = "tn-b-" + s;
  ASSERT_EQ(Kubectl("B", {"create", "namespace", target}).exit_code, 0);
  ASSERT_EQ(Kubectl("B", {"delete", "namespace", target, "--wait=false"}).exit_code, 0);
  ASSERT_EQ(JsonString(GetObject("B", "namespace", "", target)["status"].as_object(), "phase"),
            "Terminating");
  std::vector<std::string> const map{"--namespace-mappings", src + ":" + target};
  int code = -1;
  std::string err;
  json::object failed = RestoreIntoClusterB(loc.url, loc.env, "tn-1-" + s, backup,
                                            {map[0], map[1], "--terminating-resource-timeout", "2s"},
                                            code, &err);
  EXPECT_EQ(code, 1) << err;
  bool namespace_failed = false;
  for (auto const& i : failed.at("items").as_array()) {
    auto const& o = i.as_object();
    if (JsonString(o, "type") == "v1/Namespace" && JsonString(o, "name") == target) {
      namespace_failed = JsonString(o, "action") == "failed" &&
                         JsonString(o, "message").find("still being deleted (Terminating) after 2s") !=
                             std::string::npos;
    }
  }
  EXPECT_TRUE(namespace_failed) << json::serialize(failed);

  // The namespace goes while a second restore waits (the restore reaches its namespaces in
  // well under 8 s): it is created again and filled.
  std::thread finalize([&] {
    std::this_thread::sleep_for(std::chrono::seconds(8));
    EXPECT_TRUE(FinalizeNamespace("B", target));
  });
  json::object waited = RestoreIntoClusterB(loc.url, loc.env, "tn-2-" + s, backup, map, code, &err);
  finalize.join();
  EXPECT_EQ(code, 0) << err;
  EXPECT_EQ(JsonInt(waited, "failed"), 0) << json::serialize(waited);
  EXPECT_EQ(JsonString(GetObject("B", "configmap", target, "c")["data"].as_object(), "k"), "v");
  EXPECT_EQ(JsonString(GetObject("B", "namespace", "", target)["status"].as_object(), "phase"),
            "Active");
  auto logs = RunKbackup({"--location", loc.url, "restore", "logs", "tn-2-" + s}, loc.env);
  EXPECT_NE(logs.out.find("waiting for it to go"), std::string::npos) << logs.out;
  EXPECT_TRUE(DeleteNamespaceNow("A", src));
  EXPECT_TRUE(DeleteNamespaceNow("B", target));
}

}  // namespace
}  // namespace kb::testing
