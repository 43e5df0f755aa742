// The Kubernetes client against a real kube-apiserver (tests/env/kube/up.sh): kubeconfig with a
// client certificate and with a bearer token, HTTP/2, discovery, paged lists, an expired
// continue token, RBAC refusals and bad kubeconfigs.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "agent/base/json.h"
#include "kube/api_client.h"
#include "kube/discovery.h"
#include "kube/kubeconfig.h"
#include "kube/lister.h"
#include "tests/support/test_env.h"

namespace kb::testing {
namespace {

namespace fs = std::filesystem;
using kube::ApiClient;
using kube::ApiResource;

std::unique_ptr<ApiClient> Client(std::string const& kubeconfig_env) {
  auto access = kube::LoadKubeconfig(RequireEnv(kubeconfig_env.c_str()));
  EXPECT_TRUE(access.ok()) << access.status().message();
  if (!access.ok()) return nullptr;
  auto client = ApiClient::Create(*access);
  EXPECT_TRUE(client.ok()) << client.status().message();
  return client.ok() ? std::move(*client) : nullptr;
}

CommandResult Kubectl(std::vector<std::string> args) {
  std::vector<std::string> argv{RequireEnv("KB_TEST_KUBECTL"), "--kubeconfig",
                                RequireEnv("KB_TEST_KUBE_A_KUBECONFIG")};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv);
}

ApiResource Find(kube::DiscoveryResult const& d, std::string const& gr) {
  for (auto const& r : d.resources) {
    if (r.GroupResource() == gr && r.preferred) return r;
  }
  ADD_FAILURE() << "discovery has no preferred " << gr;
  return {};
}

TEST(KubeClient, ClientCertificateKubeconfigReadsOverHttp2) {
  auto client = Client("KB_TEST_KUBE_A_KUBECONFIG");
  ASSERT_NE(client, nullptr);
  auto body = client->Get("/api/v1/namespaces/kube-system");
  ASSERT_TRUE(body.ok()) << body.status().message();
  EXPECT_NE(body->find("\"name\":\"kube-system\""), std::string::npos);
  EXPECT_EQ(client->last_http_major(), 2) << "the apiserver offers HTTP/2 over TLS";
}

TEST(KubeClient, TokenKubeconfigWithCaFileWorks) {
  auto client = Client("KB_TEST_KUBE_A_TOKEN_KUBECONFIG");
  ASSERT_NE(client, nullptr);
  auto body = client->Get("/api/v1/namespaces");
  ASSERT_TRUE(body.ok()) << body.status().message();
}

TEST(KubeClient, DiscoveryFindsListableTypesWithScopeAndPreferredVersions) {
  auto client = Client("KB_TEST_KUBE_A_KUBECONFIG");
  ASSERT_NE(client, nullptr);
  auto d = kube::Discover(*client);
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_TRUE(d->server_git_version.starts_with("v1.")) << d->server_git_version;
  auto deploy = Find(*d, "deployments.apps");
  EXPECT_EQ(deploy.GroupVersion(), "apps/v1");
  EXPECT_EQ(deploy.kind, "Deployment");
  EXPECT_TRUE(deploy.namespaced);
  EXPECT_TRUE(deploy.HasVerbs({"list", "get", "create", "delete"}));
  auto ns = Find(*d, "namespaces");
  EXPECT_FALSE(ns.namespaced);
  EXPECT_EQ(ns.CollectionPath(), "/api/v1/namespaces");
  // The fixtures' CRD is discovered like any built-in type.
  bool crd_type = false;
  for (auto const& r : d->resources) crd_type |= r.group == "example.com";
  EXPECT_TRUE(crd_type) << "the custom resources of fixtures/01-crds.yaml";
  for (auto const& r : d->resources) {
    EXPECT_EQ(r.name.find('/'), std::string::npos) << "subresource " << r.name;
  }
}

TEST(KubeClient, PagedListReturnsEveryObjectWithApiVersionAndKind) {
  auto client = Client("KB_TEST_KUBE_A_KUBECONFIG");
  ASSERT_NE(client, nullptr);
  auto d = kube::Discover(*client);
  ASSERT_TRUE(d.ok());
  kube::ListRequest req;
  req.resource = Find(*d, "configmaps");
  req.page_size = 2;
  std::set<std::string> names;
  auto stats = kube::ListObjects(*client, req, [&](json::object&& o) {
    EXPECT_EQ(JsonString(o, "apiVersion"), "v1");
    EXPECT_EQ(JsonString(o, "kind"), "ConfigMap");
    auto const& md = o.at("metadata").as_object();
    names.insert(JsonString(md, "namespace") + "/" + JsonString(md, "name"));
    return OkStatus();
  });
  ASSERT_TRUE(stats.ok()) << stats.status().message();
  EXPECT_GT(stats->pages, 1);
  // kubectl's count of the same list.
  auto k = Kubectl({"get", "configmaps", "-A", "-o", "name", "--no-headers"});
  ASSERT_EQ(k.exit_code, 0) << k.err;
  EXPECT_EQ(static_cast<std::size_t>(std::count(k.out.begin(), k.out.end(), '\n')), names.size());
  EXPECT_EQ(stats->objects, names.size());
}

TEST(KubeClient, LabelSelectorIsPassedToTheServer) {
  auto client = Client("KB_TEST_KUBE_A_KUBECONFIG");
  ASSERT_NE(client, nullptr);
  auto d = kube::Discover(*client);
  ASSERT_TRUE(d.ok());
  auto k = Kubectl({"get", "deployments", "-A", "-l", "app", "-o", "name"});
  ASSERT_EQ(k.exit_code, 0) << k.err;
  kube::ListRequest req;
  req.resource = Find(*d, "deployments.apps");
  req.label_selector = "app";
  int n = 0;
  auto stats = kube::ListObjects(*client, req, [&](json::object&& o) {
    EXPECT_TRUE(o.at("metadata").as_object().at("labels").as_object().contains("app"));
    ++n;
    return OkStatus();
  });
  ASSERT_TRUE(stats.ok()) << stats.status().message();
  EXPECT_EQ(n, std::count(k.out.begin(), k.out.end(), '\n'));
}

TEST(KubeClient, ExpiredContinueTokenGoesOnWithTheTokenTheServerOffers) {
  // Cluster b has no watch cache (tests/run.sh): its lists come from etcd.
  auto client = Client("KB_TEST_KUBE_B_KUBECONFIG");
  ASSERT_NE(client, nullptr);
  auto d = kube::Discover(*client);
  ASSERT_TRUE(d.ok());
  std::string etcd = RequireEnv("KB_TEST_KUBE_B_ETCD_ENDPOINT");
  std::string kubeconfig = RequireEnv("KB_TEST_KUBE_B_KUBECONFIG");
  auto Kubectl = [&](std::vector<std::string> args) {
    std::vector<std::string> argv{RequireEnv("KB_TEST_KUBECTL"), "--kubeconfig", kubeconfig};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv);
  };
  std::string ns = "expire-" + std::to_string(::getpid());
  ASSERT_EQ(Kubectl({"create", "namespace", ns}).exit_code, 0);
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(Kubectl({"create", "configmap", "-n", ns, "cm-" + std::to_string(i),
                       "--from-literal=a=b"}).exit_code, 0);
  }
  kube::ListRequest req;
  req.resource = Find(*d, "configmaps");
  req.page_size = 1;
  std::set<std::string> names;
  bool compacted = false;
  auto stats = kube::ListObjects(*client, req, [&](json::object&& o) {
    auto const& md = o.at("metadata").as_object();
    names.insert(JsonString(md, "namespace") + "/" + JsonString(md, "name"));
    if (!compacted) {
      // After the first page: a write, then compact etcd past the token's revision.
      compacted = true;
      auto w = Kubectl({"create", "configmap", "-n", ns, "late", "--from-literal=a=b"});
      EXPECT_EQ(w.exit_code, 0) << w.err;
      auto st = RunCommand({"etcdctl", "--endpoints", etcd, "endpoint", "status", "-w", "json"},
                           {"ETCDCTL_API=3"});
      EXPECT_EQ(st.exit_code, 0) << st.err;
      auto pos = st.out.find("\"revision\":");
      std::string rev = st.out.substr(pos + 11, st.out.find_first_of(",}", pos) - pos - 11);
      auto c = RunCommand({"etcdctl", "--endpoints", etcd, "compact", rev}, {"ETCDCTL_API=3"});
      EXPECT_EQ(c.exit_code, 0) << c.err;
    }
    return OkStatus();
  });
  ASSERT_TRUE(stats.ok()) << stats.status().message();
  EXPECT_GE(stats->expired_continues, 1) << "the compaction did not expire the token";
  auto k = Kubectl({"get", "configmaps", "-A", "-o", "name", "--no-headers"});
  ASSERT_EQ(k.exit_code, 0) << k.err;
  // Every object that existed before the list began is there (the new one may be too).
  EXPECT_GE(names.size() + 1, static_cast<std::size_t>(std::count(k.out.begin(), k.out.end(), '\n')));
  Kubectl({"delete", "namespace", ns, "--wait=false"});
}

TEST(KubeClient, ForbiddenIsPermissionDeniedNamingTheUrl) {
  // kbackup-limited is a known user that RBAC grants nothing to read secrets.
  kube::ClusterAccess a;
  a.server = RequireEnv("KB_TEST_KUBE_A_SERVER");
  auto ca = RunCommand({"cat", RequireEnv("KB_TEST_KUBE_A_CA")});
  a.ca_pem = ca.out;
  a.bearer_token = Secret<std::string>(RequireEnv("KB_TEST_KUBE_A_LIMITED_TOKEN"));
  a.source = "test";
  auto client = ApiClient::Create(a);
  ASSERT_TRUE(client.ok());
  auto r = (*client)->Get("/api/v1/secrets");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << r.status().message();
  EXPECT_NE(r.status().message().find("/api/v1/secrets"), std::string::npos);
  EXPECT_NE(r.status().message().find("kbackup-limited"), std::string::npos)
      << "the server's reason names the user: " << r.status().message();
  EXPECT_EQ(r.status().message().find(RequireEnv("KB_TEST_KUBE_A_LIMITED_TOKEN")),
            std::string::npos) << "a token in a message";
}

TEST(KubeConfig, MissingContextAndExecPluginAreClearErrors) {
  TempDir dir;
  auto path = fs::path(dir.path()) / "config";
  std::ofstream(path) << "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
                         "clusters:\n- name: k\n  cluster:\n    server: https://127.0.0.1:1\n"
                         "contexts:\n- name: c\n  context:\n    cluster: k\n    user: u\n"
                         "users:\n- name: u\n  user:\n    exec:\n      command: aws\n";
  auto r = kube::LoadKubeconfig(path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("exec"), std::string::npos) << r.status().message();
  auto r2 = kube::LoadKubeconfig(path, "nope");
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r2.status().message().find("\"nope\""), std::string::npos);
  std::ofstream(path) << "apiVersion: v1\nclusters: [\n";
  auto r3 = kube::LoadKubeconfig(path);
  ASSERT_FALSE(r3.ok());
  EXPECT_NE(r3.status().message().find(path.string() + ":"), std::string::npos)
      << r3.status().message();
}

TEST(KubeClient, UnreachableServerIsUnavailableNamingIt) {
  kube::ClusterAccess a;
  a.server = "https://127.0.0.1:" + std::to_string(1);
  a.source = "test";
  kube::ApiClientOptions o;
  o.retry.max_attempts = 2;
  auto client = ApiClient::Create(a, o);
  ASSERT_TRUE(client.ok());
  auto r = (*client)->Get("/api");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("127.0.0.1:1"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace kb::testing

namespace kb::testing {
namespace {

TEST(KubeClient, InClusterServiceAccountReachesTheServer) {
  // A pod's view: KUBERNETES_SERVICE_HOST/PORT and the service-account mount (token, ca.crt,
  // namespace), here with the test env's admin token.
  TempDir mount;
  std::string server = RequireEnv("KB_TEST_KUBE_A_SERVER");  // https://127.0.0.1:PORT
  auto token_config = kube::LoadKubeconfig(RequireEnv("KB_TEST_KUBE_A_TOKEN_KUBECONFIG"));
  ASSERT_TRUE(token_config.ok()) << token_config.status().message();
  std::ofstream(fs::path(mount.path()) / "token") << token_config->bearer_token.reveal() << "\n";
  std::ofstream(fs::path(mount.path()) / "ca.crt") << token_config->ca_pem;
  std::ofstream(fs::path(mount.path()) / "namespace") << "kbackup";
  std::string host_port = server.substr(8);
  auto env = [&](std::string const& name) -> std::optional<std::string> {
    if (name == "KUBERNETES_SERVICE_HOST") return host_port.substr(0, host_port.find(':'));
    if (name == "KUBERNETES_SERVICE_PORT") return host_port.substr(host_port.find(':') + 1);
    return std::nullopt;
  };
  auto access = kube::InClusterAccess(env, mount.path());
  ASSERT_TRUE(access.ok()) << access.status().message();
  EXPECT_EQ(access->server, server);
  EXPECT_EQ(access->namespace_name, "kbackup");
  auto client = ApiClient::Create(*access);
  ASSERT_TRUE(client.ok());
  auto r = (*client)->Get("/api/v1/namespaces/default");
  EXPECT_TRUE(r.ok()) << r.status().message();
  auto none = kube::InClusterAccess([](std::string const&) { return std::nullopt; }, mount.path());
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace kb::testing
