#include "kube/kubeconfig.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>

#include "agent/base/crypto.h"
#include "agent/base/file_util.h"

namespace kb::kube {
namespace {

namespace fs = std::filesystem;

/// The entry named `name` of a kubeconfig list ("clusters", "users", "contexts"), if any.
std::optional<YAML::Node> FindNamed(YAML::Node const& list, std::string const& name,
                                    char const* inner) {
  if (!list || !list.IsSequence()) return std::nullopt;
  for (auto const& item : list) {
    if (item["name"] && item["name"].as<std::string>() == name && item[inner]) {
      return item[inner];
    }
  }
  return std::nullopt;
}

std::string Str(YAML::Node const& n, char const* key) {
  return n && n[key] ? n[key].as<std::string>() : std::string();
}

fs::path Resolve(fs::path const& base_dir, std::string const& p) {
  fs::path path(p);
  return path.is_absolute() ? path : base_dir / path;
}

/// Reads inline "<key>-data" (base64) or the file "<key>" (relative to base_dir).
StatusOr<std::string> DataOrFile(YAML::Node const& n, std::string const& key,
                                 fs::path const& base_dir, std::string const& where) {
  std::string data = Str(n, (key + "-data").c_str());
  if (!data.empty()) {
    std::string decoded;
    if (!Base64Decode(data, decoded)) {
      return InvalidArgumentError(fmt::format("{}: {}-data is not valid base64", where, key));
    }
    return decoded;
  }
  std::string file = Str(n, key.c_str());
  if (file.empty()) return std::string();
  auto text = ReadFileToString(Resolve(base_dir, file));
  if (!text.ok()) {
    return Status(text.status().code(),
                  fmt::format("{}: {}: {}", where, key, text.status().message()));
  }
  return *text;
}

StatusOr<ClusterAccess> FromYaml(YAML::Node const& root, fs::path const& file,
                                 std::string const& wanted_context) {
  std::string where = "kubeconfig " + file.string();
  std::string context_name = wanted_context.empty() ? Str(root, "current-context") : wanted_context;
  if (context_name.empty()) {
    return NotFoundError(fmt::format("{}: no current-context: pass --kube-context", where));
  }
  std::optional<YAML::Node> found_context = FindNamed(root["contexts"], context_name, "context");
  if (!found_context) {
    return NotFoundError(fmt::format("{}: no context \"{}\"", where, context_name));
  }
  YAML::Node const& context = *found_context;
  std::string cluster_name = Str(context, "cluster");
  std::string user_name = Str(context, "user");
  std::optional<YAML::Node> found_cluster = FindNamed(root["clusters"], cluster_name, "cluster");
  if (!found_cluster) {
    return NotFoundError(fmt::format("{}: context \"{}\" names cluster \"{}\", which is not in "
                                     "the file", where, context_name, cluster_name));
  }
  YAML::Node const& cluster = *found_cluster;
  ClusterAccess a;
  a.source = fmt::format("{}, context {}", where, context_name);
  a.server = Str(cluster, "server");
  while (a.server.ends_with('/')) a.server.pop_back();
  if (a.server.empty()) {
    return InvalidArgumentError(fmt::format("{}: cluster \"{}\" has no server", where, cluster_name));
  }
  fs::path base = file.parent_path();
  KB_ASSIGN_OR_RETURN(a.ca_pem, DataOrFile(cluster, "certificate-authority", base, where));
  a.insecure_skip_tls_verify = cluster["insecure-skip-tls-verify"] &&
                               cluster["insecure-skip-tls-verify"].as<bool>();
  a.tls_server_name = Str(cluster, "tls-server-name");
  a.namespace_name = Str(context, "namespace");
  if (user_name.empty()) return a;  // anonymous
  std::optional<YAML::Node> found_user = FindNamed(root["users"], user_name, "user");
  if (!found_user) {
    return NotFoundError(fmt::format("{}: context \"{}\" names user \"{}\", which is not in the "
                                     "file", where, context_name, user_name));
  }
  YAML::Node const& user = *found_user;
  if (user["exec"] || user["auth-provider"]) {
    return InvalidArgumentError(fmt::format(
        "{}: user \"{}\" uses an exec or auth-provider plugin, which kbackup does not run: give "
        "it a token, tokenFile or client certificate", where, user_name));
  }
  KB_ASSIGN_OR_RETURN(a.client_cert_pem, DataOrFile(user, "client-certificate", base, where));
  KB_ASSIGN_OR_RETURN(std::string key, DataOrFile(user, "client-key", base, where));
  a.client_key_pem = Secret<std::string>(std::move(key));
  if (a.client_cert_pem.empty() != a.client_key_pem.empty()) {
    return InvalidArgumentError(fmt::format(
        "{}: user \"{}\" has a client certificate without its key (or a key without its "
        "certificate)", where, user_name));
  }
  a.bearer_token = Secret<std::string>(Str(user, "token"));
  std::string token_file = Str(user, "tokenFile");
  if (!token_file.empty()) a.token_file = Resolve(base, token_file);
  return a;
}

}  // namespace

StatusOr<ClusterAccess> LoadKubeconfig(fs::path const& file, std::string const& context) {
  KB_ASSIGN_OR_RETURN(std::string text, ReadFileToString(file));
  try {
    return FromYaml(YAML::Load(text), file, context);
  } catch (YAML::Exception const& e) {
    return InvalidArgumentError(
        fmt::format("kubeconfig {}:{}: {}", file.string(), e.mark.line + 1, e.msg));
  }
}

StatusOr<ClusterAccess> InClusterAccess(KubeEnvLookup const& env, fs::path const& mount) {
  auto host = env("KUBERNETES_SERVICE_HOST");
  auto port = env("KUBERNETES_SERVICE_PORT");
  std::error_code ec;
  if (!host || host->empty() || !port || !fs::exists(mount / "token", ec)) {
    return NotFoundError(
        "not running in a pod (no KUBERNETES_SERVICE_HOST or service-account token)");
  }
  ClusterAccess a;
  a.source = "in-cluster service account";
  bool ipv6 = host->find(':') != std::string::npos;
  a.server = fmt::format("https://{}{}{}:{}", ipv6 ? "[" : "", *host, ipv6 ? "]" : "", *port);
  a.token_file = mount / "token";
  KB_ASSIGN_OR_RETURN(a.ca_pem, ReadFileToString(mount / "ca.crt"));
  if (auto ns = ReadFileToString(mount / "namespace"); ns.ok()) a.namespace_name = *ns;
  return a;
}

StatusOr<ClusterAccess> ResolveClusterAccess(std::string const& kubeconfig,
                                             std::string const& context,
                                             KubeEnvLookup const& env) {
  if (!kubeconfig.empty()) return LoadKubeconfig(kubeconfig, context);
  if (auto list = env("KUBECONFIG"); list && !list->empty()) {
    return LoadKubeconfig(list->substr(0, list->find(':')), context);
  }
  if (auto home = env("HOME"); home && !home->empty()) {
    fs::path def = fs::path(*home) / ".kube" / "config";
    std::error_code ec;
    if (fs::exists(def, ec)) return LoadKubeconfig(def, context);
  }
  auto in_cluster = InClusterAccess(env);
  if (in_cluster.ok()) return in_cluster;
  return NotFoundError(
      "no Kubernetes credentials: pass --kubeconfig, set KUBECONFIG, create ~/.kube/config, or "
      "run in a pod with a service account");
}

KubeEnvLookup ProcessKubeEnv() {
  return [](std::string const& name) -> std::optional<std::string> {
    char const* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

}  // namespace kb::kube
