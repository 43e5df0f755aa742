#include "tests/support/restore_env.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>

namespace kb::testing {

std::string UniqueSuffix() {
  static std::atomic<int> counter{0};
  auto secs = std::chrono::system_clock::now().time_since_epoch() / std::chrono::seconds(1);
  return std::to_string(::getpid()) + "-" + std::to_string(secs % 1000000) + "-" +
         std::to_string(counter.fetch_add(1));
}

json::value BackupClusterA(MinioLocation const& loc, std::string const& name,
                           std::vector<std::string> const& args) {
  std::vector<std::string> argv{"-o", "json", "--location", loc.url, "backup", "create", name,
                                "--kubeconfig", RequireEnv("KB_TEST_KUBE_A_KUBECONFIG")};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = RunKbackup(argv, loc.env);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  boost::system::error_code ec;
  json::value v = json::parse(r.out, ec);
  EXPECT_FALSE(ec) << r.out;
  return ec ? json::value() : v;
}

json::object RestoreIntoClusterB(std::string const& url, std::vector<std::string> const& env,
                                 std::string const& name, std::string const& backup,
                                 std::vector<std::string> const& args, int& exit_code,
                                 std::string* err) {
  std::vector<std::string> argv{"-o", "json", "--location", url, "restore", "create"};
  if (!name.empty()) argv.push_back(name);
  argv.insert(argv.end(), {"--from-backup", backup, "--kubeconfig",
                           RequireEnv("KB_TEST_KUBE_B_KUBECONFIG")});
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = RunKbackup(argv, env);
  exit_code = r.exit_code;
  if (err != nullptr) *err = r.err;
  boost::system::error_code ec;
  json::value v = json::parse(r.out, ec);
  if (ec || !v.is_object()) return {};
  return v.get_object();
}

json::object GetObject(std::string const& cluster, std::string const& resource,
                       std::string const& ns, std::string const& name) {
  std::vector<std::string> args{"get", resource, name, "-o", "json", "--ignore-not-found"};
  if (!ns.empty()) args.insert(args.begin(), {"-n", ns});
  auto r = Kubectl(cluster, args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  boost::system::error_code ec;
  json::value v = json::parse(r.out, ec);
  if (ec || !v.is_object()) return {};
  return v.get_object();
}

namespace {

void EraseIn(json::value* v, std::initializer_list<char const*> keys) {
  if (v == nullptr || !v->is_object()) return;
  for (char const* k : keys) v->get_object().erase(k);
}

std::string Mapped(std::map<std::string, std::string> const& mapping, std::string const& ns) {
  auto it = mapping.find(ns);
  return it == mapping.end() ? ns : it->second;
}

}  // namespace

json::object Comparable(json::object o, std::map<std::string, std::string> const& mapping) {
  std::string const kind = JsonString(o, "kind");
  o.erase("status");
  json::value* md = o.if_contains("metadata");
  EraseIn(md, {"uid", "resourceVersion", "creationTimestamp", "generation", "managedFields",
               "selfLink", "ownerReferences", "namespace"});
  if (md != nullptr && md->is_object()) {
    json::value* labels = md->get_object().if_contains("labels");
    EraseIn(labels, {"velero.io/backup-name", "velero.io/restore-name"});
    if (labels != nullptr && labels->is_object() && labels->get_object().empty()) {
      md->get_object().erase("labels");
    }
  }
  json::value* spec = o.if_contains("spec");
  if (kind == "Service") EraseIn(spec, {"clusterIP", "clusterIPs"});
  if (kind == "PersistentVolumeClaim" || kind == "PersistentVolume") {
    json::value* annotations = md != nullptr && md->is_object()
                                   ? md->get_object().if_contains("annotations") : nullptr;
    EraseIn(annotations, {"pv.kubernetes.io/bind-completed", "pv.kubernetes.io/bound-by-controller",
                          "volume.kubernetes.io/storage-provisioner",
                          "volume.beta.kubernetes.io/storage-provisioner",
                          "volume.kubernetes.io/selected-node"});
  }
  if (kind == "Job" && spec != nullptr && spec->is_object()) {
    // The restore drops them; the API server sets new ones from the new Job's uid.
    auto& js = spec->get_object();
    if (auto* selector = js.if_contains("selector"); selector && selector->is_object()) {
      EraseIn(selector->get_object().if_contains("matchLabels"),
              {"controller-uid", "batch.kubernetes.io/controller-uid"});
    }
    if (auto* tpl = js.if_contains("template"); tpl && tpl->is_object()) {
      if (auto* tmd = tpl->get_object().if_contains("metadata"); tmd && tmd->is_object()) {
        EraseIn(tmd->get_object().if_contains("labels"),
                {"controller-uid", "batch.kubernetes.io/controller-uid"});
      }
    }
  }
  // Checked by the tests themselves: kept when the PV is restored, dropped when re-provisioned.
  if (kind == "PersistentVolumeClaim") EraseIn(spec, {"volumeName"});
  if (kind == "PersistentVolume" && spec != nullptr && spec->is_object()) {
    json::value* claim = spec->get_object().if_contains("claimRef");
    EraseIn(claim, {"uid", "resourceVersion"});
    if (claim != nullptr && claim->is_object()) {
      auto& c = claim->get_object();
      c["namespace"] = Mapped(mapping, JsonString(c, "namespace"));
    }
  }
  if ((kind == "RoleBinding" || kind == "ClusterRoleBinding") && o.contains("subjects")) {
    if (auto* subjects = o["subjects"].if_array()) {
      for (auto& s : *subjects) {
        if (!s.is_object() || !s.get_object().contains("namespace")) continue;
        s.get_object()["namespace"] = Mapped(mapping, JsonString(s.get_object(), "namespace"));
      }
    }
  }
  return o;
}

std::string KubectlResource(std::string const& type) {
  auto last = type.rfind('/');
  std::string kind = type.substr(last + 1);
  std::string gv = type.substr(0, last);
  auto slash = gv.find('/');
  if (slash == std::string::npos) return kind;  // core group
  return kind + "." + gv.substr(slash + 1) + "." + gv.substr(0, slash);
}

void DeleteServicesInClusterB(std::string const& prefix) {
  auto namespaces = Kubectl("B", {"get", "namespaces", "-o", "name"});
  ASSERT_EQ(namespaces.exit_code, 0) << namespaces.err;
  std::istringstream lines(namespaces.out);
  for (std::string line; std::getline(lines, line);) {
    std::string ns = line.substr(line.find('/') + 1);
    if (!ns.starts_with(prefix)) continue;
    auto deleted = Kubectl("B", {"-n", ns, "delete", "services", "--all"});
    EXPECT_EQ(deleted.exit_code, 0) << deleted.err;
  }
}

bool FinalizeNamespace(std::string const& cluster, std::string const& ns) {
  TempDir dir;
  std::string const file = dir.path() + "/namespace.json";
  std::ofstream(file) << R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":")" << ns
                      << R"("},"spec":{"finalizers":[]}})";
  auto r = Kubectl(cluster, {"replace", "--raw", "/api/v1/namespaces/" + ns + "/finalize", "-f",
                             file});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.exit_code == 0;
}

bool DeleteNamespaceNow(std::string const& cluster, std::string const& ns) {
  // No namespace controller: what is in the namespace must go first, by hand.
  auto contents = Kubectl(cluster, {"-n", ns, "delete", "all,configmaps,secrets,serviceaccounts",
                                    "--all", "--wait=false"});
  EXPECT_EQ(contents.exit_code, 0) << contents.err;
  auto deleted = Kubectl(cluster, {"delete", "namespace", ns, "--wait=false"});
  EXPECT_EQ(deleted.exit_code, 0) << deleted.err;
  return contents.exit_code == 0 && deleted.exit_code == 0 && FinalizeNamespace(cluster, ns);
}

}  // namespace kb::testing
