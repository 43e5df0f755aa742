#include "agent/cli_common.h"

#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>

#include "agent/cli.h"

namespace kb::agent {

std::string GlobalFlags::EffectiveLocation() const {
  if (!location.empty()) return location;
  if (char const* env = std::getenv(kLocationEnv); env != nullptr && *env != '\0') return env;
  if (auto c = Config(); c.ok() && *c != nullptr) {
    if ((*c)->etcd_snapshots) return (*c)->etcd_snapshots->location;
    if (!(*c)->locations.empty()) return (*c)->locations.front().name;
  }
  return kDefaultLocation;
}

StatusOr<AgentConfig const*> GlobalFlags::Config() const {
  if (!config_read_) {
    config_read_ = true;
    std::string path = ConfigPath();
    std::error_code ec;
    if (path.empty() && std::filesystem::exists(kDefaultConfigPath, ec)) path = kDefaultConfigPath;
    if (!path.empty()) loaded_ = std::make_shared<StatusOr<AgentConfig>>(LoadAgentConfig(path));
  }
  if (!loaded_) return static_cast<AgentConfig const*>(nullptr);  // no config at all
  if (!loaded_->ok()) return loaded_->status();
  return &loaded_->value();
}

std::string GlobalFlags::SnapshotDir(std::string const& flag) const {
  if (!flag.empty()) return flag;
  auto cfg = Config();
  if (cfg.ok() && *cfg != nullptr) return (*cfg)->snapshot_dir;
  return EffectiveSnapshotDir("");
}

std::string GlobalFlags::ConfigPath() const {
  if (!config.empty()) return config;
  char const* env = std::getenv(kConfigEnv);
  return env != nullptr ? env : "";
}

StatusOr<LocationRef> GlobalFlags::Location() const {
  KB_ASSIGN_OR_RETURN(AgentConfig const* c, Config());
  return ResolveLocation(EffectiveLocation(), c, uploader::ProcessEnv());
}

StatusOr<std::unique_ptr<uploader::ObjectStore>> GlobalFlags::OpenStore() const {
  KB_ASSIGN_OR_RETURN(LocationRef loc, Location());
  return loc.Open();
}

std::string EffectiveSnapshotDir(std::string const& flag) {
  if (!flag.empty()) return flag;
  if (char const* env = std::getenv(kSnapshotDirEnv); env != nullptr && *env != '\0') return env;
  return kDefaultSnapshotDir;
}

std::string HostName() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "node";
  std::string h = buf;
  return h.substr(0, h.find('.'));
}

int Fail(Status const& status, bool usage) {
  PrintError(status.message().empty() ? status.ToString() : status.message());
  return usage ? kExitUsage : kExitFailed;
}

void EtcdFlags::Add(CLI::App& cmd) {
  cmd.add_option("--etcd-endpoints", endpoints, "etcd client URLs, tried in order")
      ->capture_default_str();
  cmd.add_option("--etcd-cacert", cacert,
                 "CA bundle of etcd's server cert. Default: /etc/kubernetes/pki/etcd/ca.crt");
  cmd.add_option("--etcd-cert", cert,
                 "Client cert. Default: /etc/kubernetes/pki/etcd/healthcheck-client.crt");
  cmd.add_option("--etcd-key", key,
                 "Client key. Default: /etc/kubernetes/pki/etcd/healthcheck-client.key");
  cmd.add_option("--etcd-user", user, "etcd user; the password is read from KBACKUP_ETCD_PASSWORD");
  cmd.add_option("--etcd-dial-timeout", dial_timeout_seconds, "Seconds per endpoint")
      ->capture_default_str();
}

std::vector<std::string> SplitCommaList(std::string const& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

StatusOr<etcd::EtcdConnectOptions> EtcdFlags::ToOptions() const {
  etcd::EtcdConnectOptions o;
  o.endpoints = SplitCommaList(endpoints);
  if (o.endpoints.empty()) return InvalidArgumentError("--etcd-endpoints is empty");
  bool any_tls = false;
  for (auto const& e : o.endpoints) {
    if (!e.starts_with("https://") && !e.starts_with("http://")) {
      return InvalidArgumentError(
          fmt::format("--etcd-endpoints: \"{}\" must start with https:// or http://", e));
    }
    any_tls = any_tls || e.starts_with("https://");
  }
  auto pick = [&](std::string const& flag, char const* flag_name, char const* kubeadm,
                  std::string& out) -> Status {
    std::error_code ec;
    if (!flag.empty()) {
      if (!std::filesystem::is_regular_file(flag, ec)) {
        return InvalidArgumentError(fmt::format("{} {}: no such file", flag_name, flag));
      }
      out = flag;
    } else if (any_tls && std::filesystem::is_regular_file(kubeadm, ec)) {
      out = kubeadm;
    }
    return OkStatus();
  };
  KB_RETURN_IF_ERROR(pick(cacert, "--etcd-cacert", "/etc/kubernetes/pki/etcd/ca.crt", o.ca_file));
  KB_RETURN_IF_ERROR(pick(cert, "--etcd-cert", "/etc/kubernetes/pki/etcd/healthcheck-client.crt",
                          o.cert_file));
  KB_RETURN_IF_ERROR(
      pick(key, "--etcd-key", "/etc/kubernetes/pki/etcd/healthcheck-client.key", o.key_file));
  if (o.cert_file.empty() != o.key_file.empty()) {
    return InvalidArgumentError("--etcd-cert and --etcd-key go together: give both or neither");
  }
  if (!user.empty()) {
    char const* pw = std::getenv(kEtcdPasswordEnv);
    if (pw == nullptr) {
      return InvalidArgumentError(fmt::format(
          "--etcd-user {} needs the password in the environment variable {}", user,
          kEtcdPasswordEnv));
    }
    o.user = user;
    o.password = Secret<>(pw);
  }
  o.dial_timeout = std::chrono::seconds(dial_timeout_seconds);
  return o;
}

StatusOr<std::uint64_t> ParseByteSize(std::string const& text) {
  std::size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) {
    ++i;
  }
  if (i == 0) return InvalidArgumentError(fmt::format("\"{}\" is not a size (e.g. 16MiB)", text));
  double n = std::strtod(text.substr(0, i).c_str(), nullptr);
  std::string unit = text.substr(i);
  for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  double mult = 1;
  if (unit.empty() || unit == "b") mult = 1;
  else if (unit == "k" || unit == "kb" || unit == "kib") mult = 1024.0;
  else if (unit == "m" || unit == "mb" || unit == "mib") mult = 1024.0 * 1024;
  else if (unit == "g" || unit == "gb" || unit == "gib") mult = 1024.0 * 1024 * 1024;
  else return InvalidArgumentError(fmt::format("\"{}\": unknown size unit \"{}\"", text, unit));
  return static_cast<std::uint64_t>(n * mult);
}

void UploadFlags::Add(CLI::App& cmd) {
  part_size_opt_ =
      cmd.add_option("--part-size", part_size, "Multipart part size (grown to stay ≤ 10,000 parts)")
          ->capture_default_str();
  parallelism_opt_ =
      cmd.add_option("--upload-parallelism", parallelism, "Parts in flight")->capture_default_str();
  rate_limit_opt_ = cmd.add_option("--upload-rate-limit", rate_limit,
                                   "Upload bandwidth cap per connection, e.g. 50MiB (per second)");
}

StatusOr<uploader::UploadOptions> UploadFlags::ToOptions(LocationRef const* location) const {
  uploader::UploadOptions o;
  auto ps = ParseByteSize(part_size);
  if (!ps.ok()) return ps.status().WithPrefix("--part-size");
  if (*ps < (5ull << 20)) return InvalidArgumentError("--part-size must be at least 5MiB");
  o.part_size = *ps;
  o.multipart_threshold = *ps;
  if (parallelism < 1 || parallelism > 64) {
    return InvalidArgumentError("--upload-parallelism must be between 1 and 64");
  }
  o.parallelism = parallelism;
  if (!rate_limit.empty()) {
    auto rl = ParseByteSize(rate_limit);
    if (!rl.ok()) return rl.status().WithPrefix("--upload-rate-limit");
    o.rate_limit_bytes_per_second = *rl;
  }
  if (location != nullptr) {
    // The config's settings for the location, where the command line does not set them.
    auto given = [](CLI::Option const* opt) { return opt != nullptr && opt->count() > 0; };
    uploader::UploadOptions const from_config = location->WithUploadSettings(o);
    if (!given(part_size_opt_)) {
      o.part_size = from_config.part_size;
      o.multipart_threshold = from_config.multipart_threshold;
    }
    if (!given(parallelism_opt_)) o.parallelism = from_config.parallelism;
    if (!given(rate_limit_opt_)) o.rate_limit_bytes_per_second = from_config.rate_limit_bytes_per_second;
  }
  return o;
}

}  // namespace kb::agent
