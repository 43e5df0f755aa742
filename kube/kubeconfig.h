#pragma once
// Where a Kubernetes API server is and how to authenticate to it: from a kubeconfig file
// (clusters, users, contexts, as kubectl reads it) or from a pod's service-account mount.
// Spec: https://kubernetes.io/docs/concepts/configuration/organize-cluster-access-kubeconfig/
// and client-go's clientcmd/api/v1 types (field names as in the file).

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "agent/base/secret.h"
#include "agent/base/status.h"

namespace kb::kube {

/// Everything needed to talk to one API server as one user.
struct ClusterAccess {
  /// Base URL, e.g. "https://127.0.0.1:6443" (no trailing slash).
  std::string server;
  /// PEM of the CA bundle that signs the server's certificate; empty = the system's trust store.
  std::string ca_pem;
  /// Skip server certificate verification. Only when the kubeconfig says so. Default: false.
  bool insecure_skip_tls_verify = false;
  /// Overrides the name the server certificate is checked against ("tls-server-name").
  std::string tls_server_name;
  /// PEM of the client certificate and its key (client certificate authentication).
  std::string client_cert_pem;
  Secret<std::string> client_key_pem;
  /// A bearer token given inline.
  Secret<std::string> bearer_token;
  /// A file holding the bearer token, re-read as it rotates (service-account tokens do).
  std::filesystem::path token_file;
  /// The context's default namespace ("" when none).
  std::string namespace_name;
  /// For messages: "kubeconfig FILE, context NAME" or "in-cluster service account".
  std::string source;
};

/// Looks up an environment variable; std::nullopt when unset.
using KubeEnvLookup = std::function<std::optional<std::string>(std::string const&)>;

/// Reads `file` and resolves `context` (empty: the file's current-context). Relative paths in
/// the file (certificate-authority, client-certificate, client-key, tokenFile) are relative to
/// the file's directory, as kubectl takes them.
/// Errors: kNotFound (file, context, cluster or user missing), kInvalidArgument (YAML syntax,
///   with file:line; a field of the wrong type; exec/auth-provider plugins, which kbackup does
///   not run: use a token or client certificate), errno statuses of referenced files.
StatusOr<ClusterAccess> LoadKubeconfig(std::filesystem::path const& file,
                                       std::string const& context = "");

/// The service-account credentials of a pod: KUBERNETES_SERVICE_HOST/PORT from `env`, the token
/// file, ca.crt and namespace under `mount` (default /var/run/secrets/kubernetes.io/serviceaccount).
/// Errors: kNotFound (not in a pod: variables or token missing).
StatusOr<ClusterAccess> InClusterAccess(
    KubeEnvLookup const& env,
    std::filesystem::path const& mount = "/var/run/secrets/kubernetes.io/serviceaccount");

/// Resolves as kubectl does: `kubeconfig` if given, else $KUBECONFIG (first file of the list),
/// else ~/.kube/config when it exists, else the in-cluster service account.
/// Errors: those of LoadKubeconfig and InClusterAccess; kNotFound naming every place looked at.
StatusOr<ClusterAccess> ResolveClusterAccess(std::string const& kubeconfig,
                                             std::string const& context, KubeEnvLookup const& env);

/// The process environment as a KubeEnvLookup.
KubeEnvLookup ProcessKubeEnv();

}  // namespace kb::kube
