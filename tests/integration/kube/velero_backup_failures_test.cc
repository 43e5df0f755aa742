// A backup that meets trouble on the real kube-apiserver: a type the credentials may not list
// (RBAC) is a warning; an API server that goes away mid-backup ends Failed or PartiallyFailed
// with the reason in the results, never Completed.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "agent/base/json.h"
#include "tests/support/velero_env.h"

extern char** environ;

namespace kb::testing {
namespace {

namespace fs = std::filesystem;

json::object Results(MinioLocation const& loc, std::string const& name) {
  json::value v = json::parse(GunzipForTest(loc.Read("backups/" + name + "/" + name + "-results.gz")));
  return v.as_object();
}

std::string Phase(MinioLocation const& loc, std::string const& name) {
  json::value v = json::parse(loc.Read("backups/" + name + "/velero-backup.json"));
  return JsonString(v.as_object().at("status").as_object(), "phase");
}

TEST(VeleroBackupFailures, ForbiddenTypeIsAWarningAndTheRestIsBackedUp) {
  // kbackup-limited may get and list every type but secrets.
  auto types = Kubectl("A", {"api-resources", "--verbs=list", "-o", "name"});
  ASSERT_EQ(types.exit_code, 0) << types.err;
  std::string resources;
  std::istringstream lines(types.out);
  for (std::string line; std::getline(lines, line);) {
    std::string plural = line.substr(0, line.find('.'));
    if (plural == "secrets") continue;
    resources += (resources.empty() ? "" : ",") + plural;
  }
  Kubectl("A", {"delete", "clusterrolebinding,clusterrole", "kbackup-limited-read",
                "--ignore-not-found"});
  auto role = Kubectl("A", {"create", "clusterrole", "kbackup-limited-read", "--verb=get,list",
                            "--resource=" + resources});
  ASSERT_EQ(role.exit_code, 0) << role.err;
  auto bind = Kubectl("A", {"create", "clusterrolebinding", "kbackup-limited-read",
                            "--clusterrole=kbackup-limited-read", "--user=kbackup-limited"});
  ASSERT_EQ(bind.exit_code, 0) << bind.err;

  TempDir dir;
  fs::path kubeconfig = fs::path(dir.path()) / "limited.kubeconfig";
  std::ofstream(kubeconfig) << "apiVersion: v1\nkind: Config\ncurrent-context: limited\n"
                            << "clusters:\n- name: a\n  cluster:\n    server: "
                            << RequireEnv("KB_TEST_KUBE_A_SERVER") << "\n    certificate-authority: "
                            << RequireEnv("KB_TEST_KUBE_A_CA") << "\n"
                            << "users:\n- name: limited\n  user:\n    token: "
                            << RequireEnv("KB_TEST_KUBE_A_LIMITED_TOKEN") << "\n"
                            << "contexts:\n- name: limited\n  context:\n    cluster: a\n"
                            << "    user: limited\n";
  MinioLocation loc("velero-rbac");
  auto r = RunKbackup({"--output", "json", "--location", loc.url, "backup", "create", "limited",
                       "--kubeconfig", kubeconfig.string()},
                      loc.env);
  Kubectl("A", {"delete", "clusterrolebinding,clusterrole", "kbackup-limited-read"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Phase(loc, "limited"), "Completed");
  auto results = Results(loc, "limited");
  EXPECT_TRUE(results.at("errors").as_object().empty()) << json::serialize(results);
  std::string warnings = json::serialize(results.at("warnings"));
  EXPECT_NE(warnings.find("listing secrets"), std::string::npos) << warnings;
  EXPECT_NE(warnings.find("403"), std::string::npos) << warnings;
  auto entries = ReadTarball(loc.Read("backups/limited/limited.tar.gz"));
  bool configmaps = false;
  for (auto const& [path, _] : entries) {
    EXPECT_FALSE(path.starts_with("resources/secrets/")) << path;
    configmaps |= path.starts_with("resources/configmaps/");
  }
  EXPECT_TRUE(configmaps);
  EXPECT_EQ(r.err.find(RequireEnv("KB_TEST_KUBE_A_LIMITED_TOKEN")), std::string::npos);
}

TEST(VeleroBackupFailures, ApiServerGoneMidBackupIsNeverCompleted) {
  // Cluster b: enough objects that a backup with one object per page takes a while.
  std::string ns = "gone-" + std::to_string(::getpid());
  std::string manifest = "apiVersion: v1\nkind: List\nitems:\n";
  for (int i = 0; i < 1500; ++i) {
    manifest += "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: cm-" +
                std::to_string(i) + "\n    namespace: " + ns + "\n  data:\n    k: v\n";
  }
  TempDir dir;
  fs::path file = fs::path(dir.path()) / "cms.yaml";
  std::ofstream(file) << manifest;
  ASSERT_EQ(Kubectl("B", {"create", "namespace", ns}).exit_code, 0);
  auto created = Kubectl("B", {"apply", "-f", file.string()});
  ASSERT_EQ(created.exit_code, 0) << created.err;

  MinioLocation loc("velero-gone");
  std::string out_file = dir.path() + "/out.json", err_file = dir.path() + "/err.txt";
  std::string cmd = std::string(KB_BINARY_PATH) + " --output json --location '" + loc.url +
                    "' backup create gone --kubeconfig " + RequireEnv("KB_TEST_KUBE_B_KUBECONFIG") +
                    " --page-size 1 --parallel-lists 1 > " + out_file + " 2> " + err_file;
  std::vector<std::string> env_vars;
  for (char** e = environ; *e != nullptr; ++e) env_vars.emplace_back(*e);
  env_vars.insert(env_vars.end(), loc.env.begin(), loc.env.end());
  std::vector<char*> envp;
  for (auto& e : env_vars) envp.push_back(e.data());
  envp.push_back(nullptr);
  char const* argv[] = {"/bin/sh", "-c", cmd.c_str(), nullptr};
  pid_t pid = -1;
  ASSERT_EQ(posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), envp.data()),
            0);
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  // The API server goes away (its pid file is the truth: up.sh rewrites it on a restart).
  std::string kube_dir = RequireEnv("KB_TEST_KUBE_B_DIR");
  std::ifstream pid_file(kube_dir + "/kube-apiserver.pid");
  pid_t apiserver = 0;
  pid_file >> apiserver;
  ASSERT_GT(apiserver, 0);
  ASSERT_EQ(::kill(apiserver, SIGKILL), 0);
  int status = 0;
  ::waitpid(pid, &status, 0);
  // Bring cluster b back for the other tests (same ports, same data).
  auto up = RunCommand({"bash", std::string(KB_SOURCE_DIR) + "/tests/env/kube/up.sh",
                        fs::path(kube_dir).parent_path().string(), "b"},
                       {"KB_KUBE_APISERVER_ARGS=--watch-cache=false"});
  EXPECT_EQ(up.exit_code, 0) << up.err;
  Kubectl("B", {"delete", "namespace", ns, "--wait=false"});

  EXPECT_EQ(WEXITSTATUS(status), 1);
  std::string phase = Phase(loc, "gone");
  EXPECT_TRUE(phase == "Failed" || phase == "PartiallyFailed") << phase;
  std::string errors = json::serialize(Results(loc, "gone").at("errors"));
  EXPECT_NE(errors.find(RequireEnv("KB_TEST_KUBE_B_SERVER").substr(8)), std::string::npos)
      << "the reason names the API server: " << errors;
}

}  // namespace
}  // namespace kb::testing
