// kbackup and the real Velero server (v1.18.3 on cluster b, its storage location on MinIO):
// kbackup restores a backup that Velero wrote, and writes under restores/<name>/ the files a
// Velero restore of the same backup writes, with the same names and shapes.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "agent/base/json.h"
#include "tests/support/restore_env.h"

namespace kb::testing {
namespace {

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string VeleroPhase(std::string const& kind, std::string const& name) {
  auto r = Kubectl("B", {"-n", RequireEnv("KB_TEST_VELERO_B_NAMESPACE"), "get", kind, name, "-o",
                         "jsonpath={.status.phase}", "--ignore-not-found"});
  return Trim(r.out);
}

/// A namespace of cluster b with a few objects, written for this test.
void MakeSourceNamespace(std::string const& ns, TempDir const& dir) {
  std::string const yaml = R"(apiVersion: v1
kind: Namespace
metadata: {name: NS, labels: {team: interop}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: NS, labels: {app: interop}}
data: {mode: fast, "level": "3"}
---
apiVersion: v1
kind: Secret
metadata: {name: token, namespace: NS}
type: Opaque
stringData: {value: not-a-real-secret}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: runner, namespace: NS}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: worker, namespace: NS, labels: {app: interop}}
spec:
  replicas: 2
  selector: {matchLabels: {app: interop}}
  template:
    metadata: {labels: {app: interop}}
    spec:
      serviceAccountName: runner
      containers: [{name: worker, image: registry.example.com/worker:1.0}]
---
apiVersion: v1
kind: Service
metadata: {name: worker, namespace: NS}
spec:
  selector: {app: interop}
  ports: [{port: 80, targetPort: 8080}]
)";
  std::string text = yaml;
  for (std::size_t at; (at = text.find("NS")) != std::string::npos;) text.replace(at, 2, ns);
  std::string const file = dir.path() + "/source.yaml";
  std::ofstream(file) << text;
  auto applied = Kubectl("B", {"apply", "-f", file});
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
}

/// Names of the objects under restores/<name>/, the restore's name replaced by "<r>".
std::set<std::string> RestoreFiles(uploader::ObjectStore& store, std::string const& name) {
  std::set<std::string> out;
  auto page = store.List("restores/" + name + "/", "", "");
  EXPECT_TRUE(page.ok());
  if (!page.ok()) return out;
  for (auto const& o : page->objects) {
    std::string file = o.key.substr(o.key.rfind('/') + 1);
    for (std::size_t at; (at = file.find(name)) != std::string::npos;) file.replace(at, name.size(), "<r>");
    out.insert(file);
  }
  return out;
}

/// The resource list of a restore with the target namespace replaced by "NS" and the actions
/// dropped: type → sorted names.
std::map<std::string, std::set<std::string>> NormalizedList(uploader::ObjectStore& store,
                                                           std::string const& name,
                                                           std::string const& ns) {
  std::string text = GunzipForTest(ReadObjectForTest(
      store, "restores/" + name + "/restore-" + name + "-resource-list.json.gz"));
  json::value v = json::parse(text);
  std::map<std::string, std::set<std::string>> out;
  for (auto const& kv : v.as_object()) {
    for (auto const& e : kv.value().as_array()) {
      std::string s(e.as_string());
      s = s.substr(0, s.rfind('('));
      if (s.starts_with(ns + "/")) s = "NS" + s.substr(ns.size());
      if (s == ns) s = "NS";
      out[std::string(kv.key())].insert(s);
    }
  }
  return out;
}

TEST(RestoreVelero, RestoresAVeleroBackupAndWritesVelerosRestoreFiles) {
  TempDir dir;
  std::string const s = UniqueSuffix();
  std::string const source = "vsrc-" + s, ours = "vkb-" + s, theirs = "vvel-" + s;
  MakeSourceNamespace(source, dir);
  std::string const cli = RequireEnv("KB_TEST_VELERO_B_CLI");
  std::string const backup = "vb-" + s;
  auto made = RunCommand({cli, "backup", "create", backup, "--include-namespaces", source,
                          "--wait"});
  ASSERT_EQ(made.exit_code, 0) << made.out << made.err;
  ASSERT_EQ(VeleroPhase("backups.velero.io", backup), "Completed");

  // kbackup restores Velero's backup.
  std::string const location = RequireEnv("KB_TEST_VELERO_B_LOCATION");
  std::vector<std::string> const env{"AWS_ACCESS_KEY_ID=" + RequireEnv("KB_TEST_S3_ACCESS_KEY"),
                                     "AWS_SECRET_ACCESS_KEY=" + RequireEnv("KB_TEST_S3_SECRET_KEY")};
  int code = -1;
  std::string err;
  std::string const restore = "kr-" + s;
  json::object r = RestoreIntoClusterB(location, env, restore, backup,
                                       {"--namespace-mappings", source + ":" + ours}, code, &err);
  ASSERT_EQ(code, 0) << err;
  EXPECT_EQ(JsonString(r, "phase"), "Completed");
  EXPECT_EQ(JsonInt(r, "failed"), 0);
  std::map<std::string, std::string> const mapping{{source, ours}};
  for (auto [resource, name] : {std::pair{"configmap", "settings"}, std::pair{"secret", "token"},
                                std::pair{"serviceaccount", "runner"},
                                std::pair{"deployment", "worker"}, std::pair{"service", "worker"}}) {
    json::object a = GetObject("B", resource, source, name);
    json::object b = GetObject("B", resource, ours, name);
    ASSERT_FALSE(b.empty()) << resource << "/" << name;
    EXPECT_EQ(json::serialize(Comparable(a, mapping)), json::serialize(Comparable(b, {})))
        << resource << "/" << name;
  }
  json::object ns = GetObject("B", "namespace", "", ours);
  EXPECT_EQ(JsonString(ns["metadata"].as_object()["labels"].as_object(), "team"), "interop");

  // Velero restores the same backup; both restores' files have the same names and shapes.
  std::string const velero_restore = "vr-" + s;
  auto restored = RunCommand({cli, "restore", "create", velero_restore, "--from-backup", backup,
                              "--namespace-mappings", source + ":" + theirs, "--wait"});
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  ASSERT_EQ(VeleroPhase("restores.velero.io", velero_restore), "Completed");
  auto store = OpenMinioLocation(location);
  ASSERT_NE(store, nullptr);
  std::set<std::string> velero_files = RestoreFiles(*store, velero_restore);
  std::set<std::string> our_files = RestoreFiles(*store, restore);
  EXPECT_TRUE(our_files.erase("velero-restore.json")) << "kbackup's own record, written last";
  EXPECT_EQ(our_files, velero_files);
  EXPECT_EQ(NormalizedList(*store, restore, ours), NormalizedList(*store, velero_restore, theirs));
  for (auto const& name : {restore, velero_restore}) {
    json::value results = json::parse(GunzipForTest(ReadObjectForTest(
        *store, "restores/" + name + "/restore-" + name + "-results.gz")));
    ASSERT_TRUE(results.is_object()) << name;
    for (auto const& kv : results.as_object()) {
      EXPECT_TRUE(kv.key() == "errors" || kv.key() == "warnings") << name << ": " << kv.key();
      EXPECT_TRUE(kv.value().is_object()) << name;
    }
  }
  std::string our_log = GunzipForTest(ReadObjectForTest(
      *store, "restores/" + restore + "/restore-" + restore + "-logs.gz"));
  EXPECT_NE(our_log.find("level=info"), std::string::npos) << our_log;
  EXPECT_NE(our_log.find("restore=velero/" + restore), std::string::npos) << our_log;
}

}  // namespace
}  // namespace kb::testing
