// kbackup backup create against the real kube-apiserver "a" (fixtures loaded by tests/run.sh)
// into the real MinIO: the object-store layout file by file, the tarball against GETs of every
// object, and each of Velero's filters.
#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "agent/base/json.h"
#include "kube/api_client.h"
#include "kube/go_json.h"
#include "kube/kubeconfig.h"
#include "tests/support/velero_env.h"

namespace kb::testing {
namespace {

struct BackupRun {
  CommandResult cli;
  json::object out;                            // the CLI's JSON result
  std::map<std::string, std::string> entries;  // tarball path → content
};

/// Runs `kbackup backup create NAME ARGS...` on cluster a into `loc`, reads the tarball back.
BackupRun Backup(MinioLocation const& loc, std::string const& name,
                 std::vector<std::string> args = {}) {
  std::vector<std::string> argv{"--output", "json", "--location", loc.url, "backup", "create",
                                name, "--kubeconfig", RequireEnv("KB_TEST_KUBE_A_KUBECONFIG")};
  argv.insert(argv.end(), args.begin(), args.end());
  BackupRun run;
  run.cli = RunKbackup(argv, loc.env);
  boost::system::error_code ec;
  auto v = json::parse(run.cli.out, ec);
  EXPECT_FALSE(ec) << "stdout is not one JSON document: " << run.cli.out << run.cli.err;
  if (!ec && v.is_object()) run.out = v.as_object();
  run.entries = ReadTarball(loc.Read("backups/" + name + "/" + name + ".tar.gz"));
  return run;
}

/// Group-resources (directory names) present in the tarball.
std::set<std::string> Types(BackupRun const& run) {
  std::set<std::string> t;
  for (auto const& [path, _] : run.entries) {
    if (!path.starts_with("resources/")) continue;
    t.insert(path.substr(10, path.find('/', 10) - 10));
  }
  return t;
}

/// Namespaces of namespaced entries.
std::set<std::string> Namespaces(BackupRun const& run) {
  std::set<std::string> ns;
  for (auto const& [path, _] : run.entries) {
    if (path.starts_with("resources/namespaces/")) continue;  // the Namespace objects
    auto pos = path.find("/namespaces/");
    if (pos == std::string::npos) continue;
    ns.insert(path.substr(pos + 12, path.find('/', pos + 12) - pos - 12));
  }
  return ns;
}

TEST(VeleroBackup, LayoutIsVelerosFileByFile) {
  MinioLocation loc("velero-layout");
  auto run = Backup(loc, "layout");
  ASSERT_EQ(run.cli.exit_code, 0) << run.cli.err;
  std::set<std::string> keys;
  for (auto const& k : loc.Keys()) keys.insert(k);
  std::set<std::string> want;
  for (std::string f : {"velero-backup.json", "layout.tar.gz", "layout-logs.gz",
                        "layout-resource-list.json.gz", "layout-results.gz",
                        "layout-volumesnapshots.json.gz", "layout-podvolumebackups.json.gz",
                        "layout-itemoperations.json.gz", "layout-volumeinfo.json.gz"}) {
    want.insert("backups/layout/" + f);
  }
  EXPECT_EQ(keys, want) << "nothing else, and no other top-level prefix than backups/";

  EXPECT_EQ(run.entries.at("metadata/version"), "1.1.0\n");
  json::value backup_value = json::parse(loc.Read("backups/layout/velero-backup.json"));
  auto const& backup = backup_value.as_object();
  EXPECT_EQ(JsonString(backup, "apiVersion"), "velero.io/v1");
  EXPECT_EQ(JsonString(backup, "kind"), "Backup");
  auto const& md = backup.at("metadata").as_object();
  EXPECT_EQ(JsonString(md, "name"), "layout");
  EXPECT_EQ(JsonString(md.at("labels").as_object(), "velero.io/storage-location"), "default");
  EXPECT_TRUE(JsonString(md.at("annotations").as_object(),
                         "velero.io/source-cluster-k8s-gitversion").starts_with("v1."));
  auto const& spec = backup.at("spec").as_object();
  EXPECT_EQ(JsonString(spec, "ttl"), "720h0m0s");
  EXPECT_EQ(spec.at("includedNamespaces").as_array().at(0).as_string(), "*");
  auto const& st = backup.at("status").as_object();
  EXPECT_EQ(JsonString(st, "phase"), "Completed");
  EXPECT_EQ(JsonString(st, "formatVersion"), "1.1.0");
  EXPECT_EQ(JsonInt(st, "version"), 1);
  EXPECT_FALSE(JsonString(st, "startTimestamp").empty());
  EXPECT_FALSE(JsonString(st, "completionTimestamp").empty());
  EXPECT_FALSE(JsonString(st, "expiration").empty());
  std::int64_t items = (static_cast<std::int64_t>(run.entries.size()) - 1) / 2;
  EXPECT_EQ(JsonInt(st.at("progress").as_object(), "itemsBackedUp"), items);
  EXPECT_EQ(JsonInt(st.at("progress").as_object(), "totalItems"), items);

  // Every item twice: the classic path and the <version>-preferredversion copy, identical.
  for (auto const& [path, content] : run.entries) {
    if (!path.starts_with("resources/") || path.find("-preferredversion/") != std::string::npos) {
      continue;
    }
    auto gr_end = path.find('/', 10);
    json::value parsed = json::parse(content);
    auto const& obj = parsed.as_object();
    std::string api_version = JsonString(obj, "apiVersion");
    std::string version = api_version.substr(api_version.find('/') + 1);
    std::string copy = path.substr(0, gr_end) + "/" + version + "-preferredversion" +
                       path.substr(gr_end);
    ASSERT_TRUE(run.entries.count(copy)) << copy;
    EXPECT_EQ(run.entries.at(copy), content) << copy;
  }

  // The resource list names every item once, sorted; the JSON files are gzip'd JSON + "\n".
  json::value list_value =
      json::parse(GunzipForTest(loc.Read("backups/layout/layout-resource-list.json.gz")));
  auto const& list = list_value.as_object();
  std::size_t listed = 0;
  for (auto const& kv : list) {
    auto const& names = kv.value().as_array();
    listed += names.size();
    for (std::size_t i = 1; i < names.size(); ++i) {
      EXPECT_LT(names[i - 1].as_string(), names[i].as_string()) << kv.key();
    }
  }
  EXPECT_EQ(static_cast<std::int64_t>(listed), items);
  EXPECT_TRUE(list.contains("apps/v1/Deployment"));
  EXPECT_TRUE(list.contains("v1/Namespace"));
  EXPECT_EQ(GunzipForTest(loc.Read("backups/layout/layout-volumesnapshots.json.gz")), "null\n");
  EXPECT_EQ(GunzipForTest(loc.Read("backups/layout/layout-itemoperations.json.gz")), "[]\n");
  // One volume info per backed-up PV bound to a claim, sorted by claim, each skipped (no volume
  // data), with the PV's reclaim policy and labels; the unbound pv-spare has none.
  json::value infos_value =
      json::parse(GunzipForTest(loc.Read("backups/layout/layout-volumeinfo.json.gz")));
  auto const& infos = infos_value.as_array();
  ASSERT_EQ(infos.size(), 3u) << json::serialize(infos_value);
  std::vector<std::string> claims;
  for (auto const& i : infos) {
    auto const& o = i.as_object();
    claims.push_back(JsonString(o, "pvcNamespace") + "/" + JsonString(o, "pvcName") + "=" +
                     JsonString(o, "pvName"));
    EXPECT_TRUE(o.at("skipped").as_bool());
    EXPECT_FALSE(o.at("snapshotDataMoved").as_bool());
    EXPECT_FALSE(JsonString(o, "skippedReason").empty());
  }
  EXPECT_EQ(claims, (std::vector<std::string>{"billing/ledger=pv-billing-ledger",
                                              "shop/data-db-0=pv-shop-db-0",
                                              "shop/web-data=pv-shop-web-data"}));
  auto const& pv_info = infos[2].as_object().at("pvInfo").as_object();
  EXPECT_EQ(JsonString(pv_info, "reclaimPolicy"), "Retain");
  EXPECT_EQ(JsonString(pv_info.at("labels").as_object(), "app"), "web");
  // Zero counts are left out of the status, as Velero leaves them out (omitempty).
  EXPECT_FALSE(st.contains("warnings"));
  EXPECT_FALSE(st.contains("errors"));
  auto results = json::parse(GunzipForTest(loc.Read("backups/layout/layout-results.gz")));
  EXPECT_TRUE(results.as_object().at("errors").as_object().empty());
  std::string logs = GunzipForTest(loc.Read("backups/layout/layout-logs.gz"));
  EXPECT_NE(logs.find("level=info msg=\"Backup completed\""), std::string::npos) << logs;
}

TEST(VeleroBackup, EveryObjectIsTheJsonOfAGetOfIt) {
  MinioLocation loc("velero-get");
  auto run = Backup(loc, "get-compare");
  ASSERT_EQ(run.cli.exit_code, 0) << run.cli.err;
  auto access = kube::LoadKubeconfig(RequireEnv("KB_TEST_KUBE_A_KUBECONFIG"));
  ASSERT_TRUE(access.ok());
  auto client = kube::ApiClient::Create(*access);
  ASSERT_TRUE(client.ok());
  int compared = 0, changed_since = 0;
  for (auto const& [path, content] : run.entries) {
    if (!path.starts_with("resources/") || path.find("-preferredversion/") != std::string::npos) {
      continue;
    }
    auto obj = json::parse(content).as_object();
    std::string api_version = JsonString(obj, "apiVersion");
    auto const& md = obj.at("metadata").as_object();
    // The object's own URL from its apiVersion, kind's resource (the directory) and name.
    std::string gr = path.substr(10, path.find('/', 10) - 10);
    std::string resource = gr.substr(0, gr.find('.'));
    std::string base = api_version.find('/') == std::string::npos ? "/api/" + api_version
                                                                  : "/apis/" + api_version;
    std::string ns = JsonString(md, "namespace");
    std::string url = base + (ns.empty() ? "" : "/namespaces/" + ns) + "/" + resource + "/" +
                      JsonString(md, "name");
    auto got = (*client)->Get(url);
    ASSERT_TRUE(got.ok()) << url << ": " << got.status().message();
    auto live = json::parse(*got);
    if (JsonString(live.as_object().at("metadata").as_object(), "resourceVersion") !=
        JsonString(md, "resourceVersion")) {
      ++changed_since;  // updated after the backup (the apiserver's own leases): not comparable
      continue;
    }
    EXPECT_EQ(content, kube::GoJson(live)) << url;
    ++compared;
  }
  EXPECT_GT(compared, 200) << "the fixtures hold a few hundred objects";
  EXPECT_LE(changed_since, 5);

  // Nothing the API lists is missing: per type, kubectl's count equals the tarball's.
  for (auto const& [type, dir] : std::vector<std::pair<std::string, std::string>>{
           {"configmaps", "configmaps"}, {"secrets", "secrets"},
           {"deployments.apps", "deployments.apps"}, {"services", "services"},
           {"widgets.example.com", "widgets.example.com"}, {"namespaces", "namespaces"},
           {"persistentvolumes", "persistentvolumes"}, {"clusterroles", "clusterroles.rbac.authorization.k8s.io"},
           {"customresourcedefinitions", "customresourcedefinitions.apiextensions.k8s.io"}}) {
    // What Velero leaves out: objects labelled velero.io/exclude-from-backup=true and
    // everything in a namespace so labelled (the fixtures' "scratch").
    auto k = Kubectl("A", {"get", type, "-A", "-l", "velero.io/exclude-from-backup!=true", "-o",
                           "custom-columns=NS:.metadata.namespace,NAME:.metadata.name",
                           "--no-headers"});
    ASSERT_EQ(k.exit_code, 0) << k.err;
    long n = 0;
    std::istringstream lines(k.out);
    for (std::string line; std::getline(lines, line);) {
      if (!line.starts_with("scratch ") && line.find(" scratch") == std::string::npos) ++n;
    }
    auto in_tar = std::count_if(run.entries.begin(), run.entries.end(), [&](auto const& e) {
      return e.first.starts_with("resources/" + dir + "/") &&
             e.first.find("-preferredversion/") == std::string::npos;
    });
    EXPECT_EQ(in_tar, n) << type;
  }
}

TEST(VeleroBackup, IncludedNamespacesWithAutoClusterResources) {
  MinioLocation loc("velero-ns");
  auto run = Backup(loc, "only-shop", {"--include-namespaces", "shop"});
  ASSERT_EQ(run.cli.exit_code, 0) << run.cli.err;
  EXPECT_EQ(Namespaces(run), std::set<std::string>{"shop"});
  auto types = Types(run);
  // auto + a namespace filter: cluster types only as namespaces and related items.
  EXPECT_TRUE(types.count("namespaces"));
  EXPECT_FALSE(types.count("storageclasses.storage.k8s.io"));
  EXPECT_FALSE(types.count("ingressclasses.networking.k8s.io"));
  EXPECT_TRUE(run.entries.count("resources/namespaces/cluster/shop.json"));
  EXPECT_FALSE(run.entries.count("resources/namespaces/cluster/billing.json"));
  // The PVs bound to shop's PVCs, not the others; the CRD of shop's Widgets.
  EXPECT_TRUE(run.entries.count("resources/persistentvolumes/cluster/pv-shop-db-0.json"));
  EXPECT_FALSE(run.entries.count("resources/persistentvolumes/cluster/pv-billing-ledger.json"));
  EXPECT_FALSE(run.entries.count("resources/persistentvolumes/cluster/pv-spare.json"));
  EXPECT_TRUE(run.entries.count(
      "resources/customresourcedefinitions.apiextensions.k8s.io/cluster/widgets.example.com.json"));
  // The ClusterRoleBinding naming shop's ServiceAccount "web", and its ClusterRole; not the
  // binding of monitoring's prometheus.
  std::string const rbac = "rbac.authorization.k8s.io/cluster/";
  EXPECT_TRUE(
      run.entries.count("resources/clusterrolebindings." + rbac + "widget-viewer-shop-web.json"));
  EXPECT_TRUE(run.entries.count("resources/clusterroles." + rbac + "widget-viewer.json"));
  EXPECT_FALSE(run.entries.count("resources/clusterrolebindings." + rbac + "prometheus.json"));
  EXPECT_FALSE(run.entries.count("resources/clusterroles." + rbac + "prometheus.json"));
  // The PriorityClass of shop's Pod debug-shell.
  EXPECT_TRUE(run.entries.count(
      "resources/priorityclasses.scheduling.k8s.io/cluster/kbackup-high.json"));
}

TEST(VeleroBackup, SelectedPodsBringTheirClaimsVolumesAndPriorityClass) {
  MinioLocation loc("velero-podrel");
  // debug-shell (app=debug) mounts the claim web-data (app=web), bound to pv-shop-web-data.
  auto run = Backup(loc, "debug-pod", {"--selector", "app=debug"});
  ASSERT_EQ(run.cli.exit_code, 0) << run.cli.err;
  EXPECT_TRUE(run.entries.count("resources/pods/namespaces/shop/debug-shell.json"));
  EXPECT_TRUE(run.entries.count("resources/persistentvolumeclaims/namespaces/shop/web-data.json"));
  EXPECT_TRUE(run.entries.count(
      "resources/persistentvolumeclaims/v1-preferredversion/namespaces/shop/web-data.json"));
  EXPECT_TRUE(run.entries.count("resources/persistentvolumes/cluster/pv-shop-web-data.json"));
  EXPECT_TRUE(run.entries.count(
      "resources/priorityclasses.scheduling.k8s.io/cluster/kbackup-high.json"));
  // Nothing else the selector leaves out.
  EXPECT_FALSE(run.entries.count("resources/persistentvolumeclaims/namespaces/shop/data-db-0.json"));
  EXPECT_FALSE(run.entries.count("resources/persistentvolumes/cluster/pv-shop-db-0.json"));
  EXPECT_FALSE(run.entries.count("resources/configmaps/namespaces/shop/web-config.json"));
  // The related claim is one item, in the resource list like the others.
  json::value list = json::parse(
      GunzipForTest(loc.Read("backups/debug-pod/debug-pod-resource-list.json.gz")));
  auto const& claims = list.as_object().at("v1/PersistentVolumeClaim").as_array();
  ASSERT_EQ(claims.size(), 1u);
  EXPECT_EQ(claims[0].as_string(), "shop/web-data");
  // Resource filters still apply to the claims a Pod brings: no PVC, so no PV either.
  auto no_pvcs = Backup(loc, "debug-pod-no-pvcs",
                        {"--selector", "app=debug", "--exclude-resources", "persistentvolumeclaims"});
  ASSERT_EQ(no_pvcs.cli.exit_code, 0) << no_pvcs.cli.err;
  EXPECT_TRUE(no_pvcs.entries.count("resources/pods/namespaces/shop/debug-shell.json"));
  EXPECT_FALSE(
      no_pvcs.entries.count("resources/persistentvolumeclaims/namespaces/shop/web-data.json"));
  EXPECT_FALSE(no_pvcs.entries.count("resources/persistentvolumes/cluster/pv-shop-web-data.json"));
  // Cluster resources false: the claim (namespaced) comes, its PV and the PriorityClass do not.
  auto no_cluster = Backup(loc, "debug-pod-no-cluster",
                           {"--selector", "app=debug", "--include-cluster-resources", "false"});
  ASSERT_EQ(no_cluster.cli.exit_code, 0) << no_cluster.cli.err;
  EXPECT_TRUE(
      no_cluster.entries.count("resources/persistentvolumeclaims/namespaces/shop/web-data.json"));
  EXPECT_FALSE(
      no_cluster.entries.count("resources/persistentvolumes/cluster/pv-shop-web-data.json"));
  EXPECT_FALSE(no_cluster.entries.count(
      "resources/priorityclasses.scheduling.k8s.io/cluster/kbackup-high.json"));
}

TEST(VeleroBackup, LabelledObjectsAndNamespacesAreLeftOut) {
  MinioLocation loc("velero-label");
  auto run = Backup(loc, "labels");
  ASSERT_EQ(run.cli.exit_code, 0) << run.cli.err;
  EXPECT_FALSE(Namespaces(run).count("scratch")) << "namespace labelled exclude-from-backup";
  EXPECT_FALSE(run.entries.count("resources/namespaces/cluster/scratch.json"));
  EXPECT_FALSE(run.entries.count("resources/configmaps/namespaces/shop/cache-dump.json"));
  EXPECT_TRUE(run.entries.count("resources/configmaps/namespaces/shop/web-config.json"));
  // The labelled namespace does not turn `auto` into "no cluster-scoped types".
  EXPECT_TRUE(Types(run).count("clusterroles.rbac.authorization.k8s.io"));
  json::value backup = json::parse(loc.Read("backups/labels/velero-backup.json"));
  auto const& excluded = backup.as_object().at("spec").as_object().at("excludedNamespaces");
  EXPECT_EQ(excluded.as_array().size(), 1u);
  EXPECT_EQ(excluded.as_array().at(0).as_string(), "scratch");
}

TEST(VeleroBackup, ExcludedNamespacesAndClusterResourcesTrueAndFalse) {
  MinioLocation loc("velero-exns");
  auto run = Backup(loc, "no-billing", {"--exclude-namespaces", "billing,kube-*"});
  ASSERT_EQ(run.cli.exit_code, 0) << run.cli.err;
  auto ns = Namespaces(run);
  EXPECT_FALSE(ns.count("billing"));
  EXPECT_FALSE(ns.count("kube-system"));
  EXPECT_TRUE(ns.count("shop"));
  // Excludes: not every namespace, so only related cluster items (no unrelated ClusterRole).
  EXPECT_FALSE(run.entries.count(
      "resources/clusterroles.rbac.authorization.k8s.io/cluster/cluster-admin.json"));
  EXPECT_FALSE(Types(run).count("storageclasses.storage.k8s.io"));

  auto with = Backup(loc, "shop-with-cluster",
                     {"--include-namespaces", "shop", "--include-cluster-resources", "true"});
  ASSERT_EQ(with.cli.exit_code, 0) << with.cli.err;
  EXPECT_TRUE(Types(with).count("clusterroles.rbac.authorization.k8s.io"));
  EXPECT_TRUE(with.entries.count("resources/persistentvolumes/cluster/pv-spare.json"));

  auto without = Backup(loc, "all-without-cluster", {"--include-cluster-resources", "false"});
  ASSERT_EQ(without.cli.exit_code, 0) << without.cli.err;
  auto t = Types(without);
  EXPECT_TRUE(t.count("namespaces"));
  EXPECT_FALSE(t.count("persistentvolumes"));
  EXPECT_FALSE(t.count("customresourcedefinitions.apiextensions.k8s.io"));
  EXPECT_FALSE(t.count("clusterroles.rbac.authorization.k8s.io"));
  EXPECT_TRUE(t.count("configmaps"));
}

TEST(VeleroBackup, IncludedAndExcludedResourcesAndLabelSelector) {
  MinioLocation loc("velero-res");
  auto only = Backup(loc, "only-cm", {"--include-resources", "configmaps,deployments"});
  ASSERT_EQ(only.cli.exit_code, 0) << only.cli.err;
  EXPECT_EQ(Types(only), (std::set<std::string>{"configmaps", "deployments.apps", "namespaces"}));

  auto no_secrets = Backup(loc, "no-secrets", {"--exclude-resources", "secrets"});
  ASSERT_EQ(no_secrets.cli.exit_code, 0) << no_secrets.cli.err;
  EXPECT_FALSE(Types(no_secrets).count("secrets"));
  EXPECT_TRUE(Types(no_secrets).count("configmaps"));

  auto labelled = Backup(loc, "app-web", {"--selector", "app=web"});
  ASSERT_EQ(labelled.cli.exit_code, 0) << labelled.cli.err;
  auto k = Kubectl("A", {"get", "configmaps,deployments.apps,services", "-A", "-l", "app=web", "-o",
                         "name"});
  ASSERT_EQ(k.exit_code, 0) << k.err;
  // Every listed item carries the label; the one related item is the CRD of the selected
  // Widget small-red, which Velero adds whatever its labels.
  std::string const widget_crd =
      "resources/customresourcedefinitions.apiextensions.k8s.io/cluster/widgets.example.com.json";
  EXPECT_TRUE(labelled.entries.count("resources/widgets.example.com/namespaces/shop/small-red.json"));
  EXPECT_TRUE(labelled.entries.count(widget_crd));
  int items = 0;
  for (auto const& [path, content] : labelled.entries) {
    if (!path.starts_with("resources/") || path.find("-preferredversion/") != std::string::npos ||
        path == widget_crd) {
      continue;
    }
    ++items;
    json::value parsed = json::parse(content);
    auto const& md = parsed.as_object().at("metadata").as_object();
    ASSERT_TRUE(md.contains("labels")) << path;
    EXPECT_EQ(JsonString(md.at("labels").as_object(), "app"), "web") << path;
  }
  EXPECT_GE(items, std::count(k.out.begin(), k.out.end(), '\n'));
}

TEST(VeleroBackup, CreateShowsProgressOnATerminalOnly) {
  MinioLocation loc("velero-tty");
  auto tty = RunKbackupOnTty({"--location", loc.url, "backup", "create", "tty-1", "--kubeconfig",
                              RequireEnv("KB_TEST_KUBE_A_KUBECONFIG")},
                             loc.env);
  ASSERT_EQ(tty.exit_code, 0) << tty.out;
  // Redrawn in place: bytes of the tarball, rate, and how many types and items are done.
  EXPECT_NE(tty.out.find("\r\033[Kbackup: "), std::string::npos) << tty.out;
  EXPECT_NE(tty.out.find(" types, "), std::string::npos) << tty.out;
  EXPECT_NE(tty.out.find(" items"), std::string::npos) << tty.out;
  auto piped = Backup(loc, "tty-2");
  ASSERT_EQ(piped.cli.exit_code, 0) << piped.cli.err;
  EXPECT_EQ(piped.cli.err.find("\r"), std::string::npos) << piped.cli.err;
  EXPECT_EQ(piped.cli.err.find(" types, "), std::string::npos) << piped.cli.err;
}

TEST(VeleroBackup, ListDescribeLogsAndDeleteEveryObject) {
  MinioLocation loc("velero-cat");
  auto run = Backup(loc, "cat-1", {"--include-namespaces", "scratch"});
  ASSERT_EQ(run.cli.exit_code, 0) << run.cli.err;
  auto list = RunKbackup({"--output", "json", "--location", loc.url, "backup", "list"}, loc.env);
  ASSERT_EQ(list.exit_code, 0) << list.err;
  json::value list_value = json::parse(list.out);
  auto const& a = list_value.as_array();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(JsonString(a[0].as_object(), "name"), "cat-1");
  EXPECT_EQ(JsonString(a[0].as_object(), "phase"), "Completed");
  auto desc = RunKbackup({"--output", "json", "--location", loc.url, "backup", "describe", "cat-1"},
                         loc.env);
  ASSERT_EQ(desc.exit_code, 0) << desc.err;
  EXPECT_TRUE(json::parse(desc.out).as_object().contains("resource_list"));
  auto logs = RunKbackup({"--location", loc.url, "backup", "logs", "cat-1"}, loc.env);
  ASSERT_EQ(logs.exit_code, 0) << logs.err;
  EXPECT_NE(logs.out.find("msg=\"Starting backup\""), std::string::npos);
  auto again = RunKbackup({"--location", loc.url, "backup", "create", "cat-1", "--kubeconfig",
                           RequireEnv("KB_TEST_KUBE_A_KUBECONFIG")}, loc.env);
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("already exists"), std::string::npos) << again.err;
  auto bad_name = RunKbackup({"--location", loc.url, "backup", "create", "Bad_Name",
                              "--kubeconfig", RequireEnv("KB_TEST_KUBE_A_KUBECONFIG")}, loc.env);
  EXPECT_EQ(bad_name.exit_code, 2);
  EXPECT_NE(bad_name.err.find("backup name \"Bad_Name\""), std::string::npos) << bad_name.err;
  auto no_config = RunKbackup({"--location", loc.url, "backup", "create", "x", "--kubeconfig",
                               "/nonexistent/kubeconfig"}, loc.env);
  EXPECT_EQ(no_config.exit_code, 2);
  EXPECT_NE(no_config.err.find("/nonexistent/kubeconfig"), std::string::npos) << no_config.err;
  EXPECT_EQ(std::count(no_config.err.begin(), no_config.err.end(), '\n'), 1) << no_config.err;
  auto del = RunKbackup({"--location", loc.url, "backup", "delete", "cat-1"}, loc.env);
  ASSERT_EQ(del.exit_code, 0) << del.err;
  EXPECT_TRUE(loc.Keys().empty()) << "delete removes every object of the backup";
  auto gone = RunKbackup({"--location", loc.url, "backup", "describe", "cat-1"}, loc.env);
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_NE(gone.err.find("no backup cat-1"), std::string::npos) << gone.err;
}

}  // namespace
}  // namespace kb::testing
