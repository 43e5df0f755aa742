#pragma once
// Flags and helpers shared by the kbackup subcommands.

#include <CLI/CLI.hpp>

#include <string>

#include <memory>

#include "agent/base/status.h"
#include "agent/config.h"
#include "agent/location_ref.h"
#include "agent/output.h"
#include "etcd/etcd_client.h"
#include "uploader/multipart_uploader.h"

namespace kb::agent {

/// Environment variable that overrides the default backup location.
inline constexpr char kLocationEnv[] = "KBACKUP_LOCATION";
/// Default backup location when neither --location nor KBACKUP_LOCATION is given.
inline constexpr char kDefaultLocation[] = "file:///var/lib/kbackup/backups";
/// Environment variable holding the etcd password (never a flag: flags show in `ps`).
inline constexpr char kEtcdPasswordEnv[] = "KBACKUP_ETCD_PASSWORD";
/// Environment variable that overrides the default local snapshot dir.
inline constexpr char kSnapshotDirEnv[] = "KBACKUP_SNAPSHOT_DIR";
/// Default local snapshot dir.
inline constexpr char kDefaultSnapshotDir[] = "/var/lib/kbackup/snapshots";

/// Flags every command has.
struct GlobalFlags {
  std::string location;  ///< a URL or a config location name; empty: see EffectiveLocation()
  std::string config;    ///< --config; empty: KBACKUP_CONFIG, else kDefaultConfigPath if it exists
  std::string output = "table";
  int verbose = 0;
  OutputFormat format() const { return output == "json" ? OutputFormat::kJson : OutputFormat::kTable; }
  /// The location as given: --location, else KBACKUP_LOCATION, else (with a config) the etcd
  /// snapshot schedule's location or the config's first one, else kDefaultLocation. A URL or
  /// the name of a location in the config.
  std::string EffectiveLocation() const;
  /// The config file, read once: --config, else KBACKUP_CONFIG, else kDefaultConfigPath when it
  /// exists; nullptr when there is none. Errors: LoadAgentConfig's (a named file that is
  /// missing or invalid).
  StatusOr<AgentConfig const*> Config() const;
  /// The config file named by --config, else KBACKUP_CONFIG; "" when neither names one.
  std::string ConfigPath() const;
  /// The local snapshot dir: `flag` (--snapshot-dir) when set, else the config's snapshot_dir
  /// when there is a config (as `etcd snapshot` takes it), else KBACKUP_SNAPSHOT_DIR, else
  /// kDefaultSnapshotDir. A config that cannot be read counts as none here (the command's
  /// location lookup reports it).
  std::string SnapshotDir(std::string const& flag) const;
  /// EffectiveLocation() resolved (a config name gets its URL and credentials).
  /// Errors: Config()'s, ResolveLocation's.
  StatusOr<LocationRef> Location() const;
  /// Location(), opened. Errors: Location()'s, uploader::OpenLocation's.
  StatusOr<std::unique_ptr<uploader::ObjectStore>> OpenStore() const;

 private:
  mutable bool config_read_ = false;
  mutable std::shared_ptr<StatusOr<AgentConfig>> loaded_;  // null: no config file
};

/// etcd connection flags (kubeadm defaults).
struct EtcdFlags {
  std::string endpoints = "https://127.0.0.1:2379";
  std::string cacert, cert, key, user;
  int dial_timeout_seconds = 5;
  /// Adds the flags to `cmd`.
  void Add(CLI::App& cmd);
  /// Builds connect options; the password comes from KBACKUP_ETCD_PASSWORD.
  /// Errors: kInvalidArgument (a named cert file missing, user without password).
  StatusOr<etcd::EtcdConnectOptions> ToOptions() const;
};

/// Upload tuning flags.
struct UploadFlags {
  std::string part_size = "16MiB";
  int parallelism = 4;
  std::string rate_limit;  ///< bytes/s with unit suffix; empty = unlimited
  void Add(CLI::App& cmd);
  /// The options the flags give; for each flag not given on the command line, the setting of
  /// `location` (its config's upload_part_size, upload_parallelism, upload_rate_limit) when it
  /// has one. Errors: kInvalidArgument naming the flag.
  StatusOr<uploader::UploadOptions> ToOptions(LocationRef const* location = nullptr) const;

 private:
  CLI::Option* part_size_opt_ = nullptr;
  CLI::Option* parallelism_opt_ = nullptr;
  CLI::Option* rate_limit_opt_ = nullptr;
};

/// Splits "a,b,,c" into {"a", "b", "c"} (empty items dropped).
std::vector<std::string> SplitCommaList(std::string const& text);

/// Parses "16MiB", "512k", "1G", "1048576" into bytes. Errors: kInvalidArgument.
StatusOr<std::uint64_t> ParseByteSize(std::string const& text);

/// Returns the local snapshot dir: the flag, else KBACKUP_SNAPSHOT_DIR, else the default.
std::string EffectiveSnapshotDir(std::string const& flag);

/// The machine's host name (the default node name).
std::string HostName();

/// Prints the error and returns the exit code: 2 for usage/config errors, else 1.
int Fail(Status const& status, bool usage);

/// Adds the `etcd` command tree to `app`; `exit_code` receives the result of the command run.
void AddEtcdCommands(CLI::App& app, GlobalFlags& global, int& exit_code);

/// Adds the `backup` command tree (Velero-compatible resource backups) to `app`.
void AddBackupCommands(CLI::App& app, GlobalFlags& global, int& exit_code);

/// Adds `config validate` and `location check`.
void AddConfigCommands(CLI::App& app, GlobalFlags& global, int& exit_code);

/// Adds `agent` (the daemon).
void AddAgentCommand(CLI::App& app, GlobalFlags& global, int& exit_code);

/// Adds `schedule list|run` (the running agent's schedules, through its control socket).
void AddScheduleCommands(CLI::App& app, GlobalFlags& global, int& exit_code);

/// Adds `gc` (expiry of the location's backups).
void AddGcCommands(CLI::App& app, GlobalFlags& global, int& exit_code);

/// Adds the `restore` command tree (resource restores of Velero-format backups) to `app`.
void AddRestoreCommands(CLI::App& app, GlobalFlags& global, int& exit_code);

}  // namespace kb::agent
