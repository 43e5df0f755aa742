#pragma once
// The agent's config file (/etc/kbackup/config.yaml): the cluster, its etcd and API server, the
// named backup locations, the etcd snapshot schedule and the resource backup schedules. The CLI
// takes its defaults from the same file (--config). docs/config.md describes every key;
// systemd/config.example.yaml is a commented example.
//
// Credentials are never in the file: a location names a credentials file (AWS shared
// credentials syntax) or the environment variables that hold them.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/base/status.h"
#include "agent/expiry.h"
#include "agent/schedule.h"

namespace kb::agent {

/// Default path of the config file.
inline constexpr char kDefaultConfigPath[] = "/etc/kbackup/config.yaml";
/// Environment variable naming the config file when --config is not given.
inline constexpr char kConfigEnv[] = "KBACKUP_CONFIG";

/// Where a location's S3 credentials come from, by reference. At most one of `file` and the
/// environment variable names is set; none = the default chain (environment, ~/.aws files).
struct CredentialsRef {
  /// An AWS shared credentials file (`[profile]` sections). Default: unset.
  std::string file;
  /// The profile in `file`. Default: "default".
  std::string profile = "default";
  /// Names of the environment variables holding the key id, secret and session token (the
  /// token variable is optional). Default: unset.
  std::string access_key_id_env, secret_access_key_env, session_token_env;
  bool empty() const { return file.empty() && access_key_id_env.empty(); }
};

/// A named backup location.
struct LocationConfig {
  std::string name;  ///< the key under `locations:`
  std::string url;   ///< a location URL as the CLI takes it (file:///..., s3://...)
  CredentialsRef credentials;
  /// Upload bandwidth cap per part in flight (per connection), bytes/s, as the CLI's
  /// --upload-rate-limit (which overrides it); keeps a backup from crowding etcd's peer
  /// traffic on a shared link. Default: 0 = unlimited.
  std::uint64_t upload_rate_limit = 0;
  /// Multipart part size in bytes (at least 5 MiB), as --part-size. Default: 0 = 16 MiB.
  std::uint64_t upload_part_size = 0;
  /// Parts in flight (1..64), as --upload-parallelism. Default: 0 = 4.
  int upload_parallelism = 0;
  int line = 0;  ///< line of its entry in the file, for messages
};

/// How the agent reaches etcd. Defaults: kubeadm's layout on a control-plane node.
struct EtcdConfig {
  /// Client URLs, tried in order. Default: https://127.0.0.1:2379.
  std::vector<std::string> endpoints{"https://127.0.0.1:2379"};
  /// TLS files. Default: empty = kubeadm's /etc/kubernetes/pki/etcd/{ca,healthcheck-client}.*
  /// when an endpoint is https:// and the file exists (as the CLI's --etcd-* flags).
  std::string cacert, cert, key;
  /// etcd user; its password comes from KBACKUP_ETCD_PASSWORD. Default: none.
  std::string user;
  /// Per-endpoint connect timeout. Default: 5 s.
  std::chrono::seconds dial_timeout{5};
};

/// The etcd snapshot schedule (one per cluster).
struct SnapshotScheduleConfig {
  /// When. Required (`never` until read).
  Schedule schedule = *Schedule::Parse("never");
  /// Local copies kept in the snapshot dir. Default: 3.
  int keep_local = 3;
  /// Uploaded snapshots older than this are deleted from the location. Default: never.
  std::optional<Expiry> expiry;
  /// Name of the location the leader uploads to. Required.
  std::string location;
  /// Most bytes the snapshot dir may hold; a snapshot that would exceed it does not start.
  /// Default: 0 = no quota.
  std::uint64_t max_local_bytes = 0;
  /// Every agent keeps its own local copy at each tick (only the leader uploads). Default: true.
  bool local_copies_on_every_node = true;
  int line = 0;
};

/// One resource backup schedule (Velero-format backups of the API server's objects).
struct ResourceBackupScheduleConfig {
  /// Backup names are `<name>-<UTC yyyymmddhhmmss>`. Required, a DNS-1123 label.
  std::string name;
  /// When. Required (`never` until read).
  Schedule schedule = *Schedule::Parse("never");
  /// Name of the location. Required.
  std::string location;
  /// Backups older than this are deleted. Default: 720h (Velero's default TTL).
  Expiry expiry = *Expiry::Parse("720h");
  /// The `backup create` filters. Defaults: everything.
  std::vector<std::string> include_namespaces, exclude_namespaces, include_resources,
      exclude_resources;
  std::string selector;
  /// true, false or unset (auto). Default: unset.
  std::optional<bool> include_cluster_resources;
  int line = 0;
};

/// The daemon's own settings.
struct DaemonConfig {
  /// Unix socket of the local control service (mode 0600). Default: /run/kbackup/agent.sock.
  std::string control_socket = "/run/kbackup/agent.sock";
  /// host:port of the Prometheus metrics and /healthz endpoint; empty disables it.
  /// Default: 127.0.0.1:9632.
  std::string metrics_address = "127.0.0.1:9632";
  /// "text" or "json" (JSON lines). Default: text.
  std::string log_format = "text";
  /// TTL of the leader lease in etcd. Default: 15 s.
  std::chrono::seconds lease_ttl{15};
};

/// The whole config.
struct AgentConfig {
  std::string file;  ///< the path it was read from, for messages
  /// Cluster name: goes into snapshot names and the leader key. Required.
  std::string cluster;
  /// This node's name. Default: the host name.
  std::string node;
  /// IANA time zone of the cron schedules. Default: UTC.
  std::string time_zone = "UTC";
  /// Kubeconfig of the cluster. Default: /etc/kubernetes/admin.conf.
  std::string kubeconfig = "/etc/kubernetes/admin.conf";
  /// Local snapshot dir. Default: /var/lib/kbackup/snapshots.
  std::string snapshot_dir = "/var/lib/kbackup/snapshots";
  /// The agent's state (last ticks, staging of resource backups). Default: /var/lib/kbackup.
  std::string state_dir = "/var/lib/kbackup";
  EtcdConfig etcd;
  std::vector<LocationConfig> locations;
  std::optional<SnapshotScheduleConfig> etcd_snapshots;
  std::vector<ResourceBackupScheduleConfig> resource_backups;
  DaemonConfig daemon;

  /// The location named `name`, or nullptr.
  LocationConfig const* FindLocation(std::string_view name) const;
};

/// Parses the text of a config file; `file` names it in messages. Every problem is listed,
/// each as one line "FILE:LINE: FIELD: what is wrong" (FIELD is the key path, e.g.
/// `resource_backups[1].schedule`): YAML syntax, unknown keys (also a secret written inline),
/// duplicate keys, wrong types, bad schedules, expiries, durations and sizes, references to
/// locations that are not defined, duplicate schedule names.
/// Returns the config, or the list of problems (never empty then).
struct ConfigParseResult {
  AgentConfig config;
  std::vector<std::string> errors;
};
ConfigParseResult ParseAgentConfig(std::string_view text, std::string_view file);

/// Reads and parses `path`. Errors: kNotFound / kPermissionDenied naming the file;
/// kInvalidArgument with the first problem and how many more there are (`kbackup config
/// validate FILE` lists them all).
StatusOr<AgentConfig> LoadAgentConfig(std::filesystem::path const& path);

}  // namespace kb::agent
