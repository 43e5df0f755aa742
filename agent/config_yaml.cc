// The YAML side of the agent's config: the only user of yaml-cpp. Walks the document, checks
// every key against the keys its mapping may have, and collects every problem with its line.
#include <yaml-cpp/yaml.h>

#include <fmt/ranges.h>

#include <cctype>
#include <charconv>
#include <set>

#include "agent/base/clock.h"
#include "agent/base/file_util.h"
#include "agent/cli_common.h"
#include "agent/config.h"
#include "uploader/location.h"

namespace kb::agent {
namespace {

using Keys = std::set<std::string>;

/// Collects problems as "FILE:LINE: FIELD: message".
class Walker {
 public:
  Walker(std::string_view file, std::vector<std::string>& errors) : file_(file), errors_(errors) {}

  void Error(YAML::Node const& at, std::string const& field, std::string const& message) {
    int line = at.IsDefined() ? at.Mark().line + 1 : 0;
    errors_.push_back(fmt::format("{}:{}: {}: {}", file_, line > 0 ? line : 1,
                                  field.empty() ? "(top)" : field, message));
  }

  /// True when `node` is a mapping; reports unknown and duplicate keys.
  bool Mapping(YAML::Node const& node, std::string const& field, Keys const& allowed,
               std::string const& hint = {}) {
    if (!node.IsMap()) {
      Error(node, field, "must be a mapping of keys to values");
      return false;
    }
    std::set<std::string> seen;
    for (auto const& kv : node) {
      std::string key = kv.first.Scalar();
      std::string const child = Child(field, key);
      if (!seen.insert(key).second) Error(kv.first, child, "duplicate key");
      if (!allowed.contains(key)) {
        Error(kv.first, child,
              fmt::format("unknown key (known here: {}){}", fmt::join(allowed, ", "), hint));
      }
    }
    return true;
  }

  static std::string Child(std::string const& field, std::string const& key) {
    return field.empty() ? key : field + "." + key;
  }

  /// Reads a scalar string if the key is present.
  bool String(YAML::Node const& map, char const* key, std::string const& field,
              std::string& out) {
    YAML::Node n = map[key];
    if (!n.IsDefined() || n.IsNull()) return false;
    if (!n.IsScalar()) {
      Error(n, Child(field, key), "must be a string");
      return false;
    }
    out = n.Scalar();
    return true;
  }

  void Required(YAML::Node const& map, char const* key, std::string const& field,
                std::string& out) {
    if (!String(map, key, field, out) || out.empty()) {
      Error(map, Child(field, key), "is required");
    }
  }

  void Int(YAML::Node const& map, char const* key, std::string const& field, int min, int max,
           int& out) {
    std::string text;
    if (!String(map, key, field, text)) return;
    int v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || v < min || v > max) {
      Error(map[key], Child(field, key),
            fmt::format("\"{}\" is not a whole number from {} to {}", text, min, max));
      return;
    }
    out = v;
  }

  void Bool(YAML::Node const& map, char const* key, std::string const& field,
            std::optional<bool>& out) {
    std::string text;
    if (!String(map, key, field, text)) return;
    if (text == "true" || text == "false") {
      out = text == "true";
    } else if (text != "auto") {
      Error(map[key], Child(field, key), fmt::format("\"{}\" is not true or false", text));
    }
  }

  void Duration(YAML::Node const& map, char const* key, std::string const& field,
                std::chrono::seconds& out) {
    std::string text;
    if (!String(map, key, field, text)) return;
    std::chrono::seconds d{};
    if (!ParseGoDuration(text, d) || d.count() <= 0) {
      Error(map[key], Child(field, key),
            fmt::format("\"{}\" is not a duration like 15s, 10m or 1h30m", text));
      return;
    }
    out = d;
  }

  void Bytes(YAML::Node const& map, char const* key, std::string const& field,
             std::uint64_t& out) {
    std::string text;
    if (!String(map, key, field, text)) return;
    auto bytes = ParseByteSize(text);
    if (!bytes.ok()) {
      Error(map[key], Child(field, key), fmt::format("\"{}\" is not a size like 20GiB", text));
      return;
    }
    out = *bytes;
  }

  /// A list of strings: a YAML sequence, or one comma-separated string.
  void Strings(YAML::Node const& map, char const* key, std::string const& field,
               std::vector<std::string>& out) {
    YAML::Node n = map[key];
    if (!n.IsDefined() || n.IsNull()) return;
    if (n.IsScalar()) {
      out = SplitCommaList(n.Scalar());
      return;
    }
    if (!n.IsSequence()) {
      Error(n, Child(field, key), "must be a list of strings");
      return;
    }
    for (auto const& item : n) {
      if (!item.IsScalar()) {
        Error(item, Child(field, key), "must be a list of strings");
        return;
      }
      out.push_back(item.Scalar());
    }
  }

  std::optional<Schedule> ScheduleAt(YAML::Node const& map, std::string const& field,
                                     std::string const& time_zone) {
    YAML::Node n = map["schedule"];
    std::string const f = Child(field, "schedule");
    if (!n.IsDefined() || n.IsNull()) {
      Error(map, f, "is required (a cron line, @every 6h, @daily, @weekly, ... or never)");
      return std::nullopt;
    }
    StatusOr<Schedule> s = InvalidArgumentError("");
    if (n.IsScalar()) {
      s = Schedule::Parse(n.Scalar(), time_zone);
    } else {
      if (!Mapping(n, f, {"month", "day", "hour", "minute"})) return std::nullopt;
      std::optional<int> fields[4];
      char const* names[4] = {"month", "day", "hour", "minute"};
      int const lo[4] = {1, 1, 0, 0}, hi[4] = {12, 31, 23, 59};
      for (int i = 0; i < 4; ++i) {
        if (!n[names[i]].IsDefined()) continue;
        int v = -1;
        Int(n, names[i], f, lo[i], hi[i], v);
        if (v < 0) return std::nullopt;
        fields[i] = v;
      }
      s = Schedule::Custom({.month = fields[0], .day_of_month = fields[1], .hour = fields[2],
                            .minute = fields[3]},
                           time_zone);
    }
    if (!s.ok()) {
      Error(n, f, std::string(s.status().message()));
      return std::nullopt;
    }
    return *std::move(s);
  }

  std::optional<Expiry> ExpiryAt(YAML::Node const& map, std::string const& field) {
    std::string text;
    if (!String(map, "expiry", field, text)) return std::nullopt;
    auto e = Expiry::Parse(text);
    if (!e.ok()) {
      Error(map["expiry"], Child(field, "expiry"), std::string(e.status().message()));
      return std::nullopt;
    }
    return *std::move(e);
  }

 private:
  std::string file_;
  std::vector<std::string>& errors_;
};

bool IsDnsLabel(std::string const& s) {
  if (s.empty() || s.size() > 40) return false;  // leaves room for "-<14 digits>" in 63
  for (char c : s) {
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
          c == '-')) {
      return false;
    }
  }
  return s.front() != '-' && s.back() != '-';
}

void ReadLocations(Walker& w, YAML::Node const& root, AgentConfig& c) {
  YAML::Node n = root["locations"];
  if (!n.IsDefined() || n.IsNull()) return;
  if (!n.IsMap()) {
    w.Error(n, "locations", "must map location names to their settings");
    return;
  }
  for (auto const& kv : n) {
    LocationConfig loc;
    loc.name = kv.first.Scalar();
    loc.line = kv.first.Mark().line + 1;
    std::string const f = "locations." + loc.name;
    YAML::Node const& v = kv.second;
    if (!w.Mapping(v, f, {"url", "credentials", "upload_rate_limit", "upload_part_size",
                          "upload_parallelism"})) {
      continue;
    }
    w.Required(v, "url", f, loc.url);
    w.Bytes(v, "upload_rate_limit", f, loc.upload_rate_limit);
    w.Bytes(v, "upload_part_size", f, loc.upload_part_size);
    if (loc.upload_part_size != 0 && loc.upload_part_size < (5ull << 20)) {
      w.Error(v["upload_part_size"], f + ".upload_part_size", "must be at least 5MiB (S3's minimum)");
    }
    w.Int(v, "upload_parallelism", f, 1, 64, loc.upload_parallelism);
    if (!loc.url.empty()) {
      if (loc.url.starts_with("s3://")) {
        if (auto s3 = uploader::ParseS3Location(loc.url); !s3.ok()) {
          w.Error(v["url"], f + ".url", std::string(s3.status().message()));
        }
      } else if (!loc.url.starts_with("file:///")) {
        w.Error(v["url"], f + ".url", "must be file:///ABSOLUTE/PATH or s3://BUCKET[/PREFIX]?...");
      }
    }
    YAML::Node cred = v["credentials"];
    if (cred.IsDefined() && !cred.IsNull()) {
      std::string const cf = f + ".credentials";
      if (w.Mapping(cred, cf,
                    {"file", "profile", "access_key_id_env", "secret_access_key_env",
                     "session_token_env"},
                    "; secrets are never written here: name a file or environment variables")) {
        auto& r = loc.credentials;
        w.String(cred, "file", cf, r.file);
        w.String(cred, "profile", cf, r.profile);
        w.String(cred, "access_key_id_env", cf, r.access_key_id_env);
        w.String(cred, "secret_access_key_env", cf, r.secret_access_key_env);
        w.String(cred, "session_token_env", cf, r.session_token_env);
        if (!r.file.empty() && !r.access_key_id_env.empty()) {
          w.Error(cred, cf, "give either file or the *_env variable names, not both");
        }
        if (r.access_key_id_env.empty() != r.secret_access_key_env.empty()) {
          w.Error(cred, cf, "access_key_id_env and secret_access_key_env go together");
        }
        if (r.empty()) w.Error(cred, cf, "names neither a file nor environment variables");
      }
    }
    c.locations.push_back(std::move(loc));
  }
}

void CheckLocationRef(Walker& w, YAML::Node const& map, std::string const& field,
                      AgentConfig const& c, std::string const& name) {
  if (name.empty()) return;  // reported as required
  if (c.FindLocation(name) == nullptr) {
    std::vector<std::string> known;
    for (auto const& l : c.locations) known.push_back(l.name);
    w.Error(map["location"], field + ".location",
            fmt::format("no location \"{}\" under locations: (defined: {})", name,
                        known.empty() ? "none" : fmt::format("{}", fmt::join(known, ", "))));
  }
}

void ReadEtcd(Walker& w, YAML::Node const& root, EtcdConfig& e) {
  YAML::Node n = root["etcd"];
  if (!n.IsDefined() || n.IsNull()) return;
  if (!w.Mapping(n, "etcd", {"endpoints", "cacert", "cert", "key", "user", "dial_timeout"},
                 "; the password comes from KBACKUP_ETCD_PASSWORD")) {
    return;
  }
  std::vector<std::string> endpoints;
  w.Strings(n, "endpoints", "etcd", endpoints);
  if (!endpoints.empty()) e.endpoints = endpoints;
  w.String(n, "cacert", "etcd", e.cacert);
  w.String(n, "cert", "etcd", e.cert);
  w.String(n, "key", "etcd", e.key);
  w.String(n, "user", "etcd", e.user);
  w.Duration(n, "dial_timeout", "etcd", e.dial_timeout);
}

void ReadSnapshots(Walker& w, YAML::Node const& root, AgentConfig& c) {
  YAML::Node n = root["etcd_snapshots"];
  if (!n.IsDefined() || n.IsNull()) return;
  std::string const f = "etcd_snapshots";
  if (!w.Mapping(n, f, {"schedule", "keep_local", "expiry", "location", "max_local_bytes",
                        "local_copies_on_every_node"})) {
    return;
  }
  auto schedule = w.ScheduleAt(n, f, c.time_zone);
  SnapshotScheduleConfig s;
  if (schedule) s.schedule = *schedule;
  s.line = n.Mark().line + 1;
  w.Int(n, "keep_local", f, 0, 1000, s.keep_local);
  s.expiry = w.ExpiryAt(n, f);
  w.Required(n, "location", f, s.location);
  CheckLocationRef(w, n, f, c, s.location);
  w.Bytes(n, "max_local_bytes", f, s.max_local_bytes);
  std::optional<bool> every;
  w.Bool(n, "local_copies_on_every_node", f, every);
  if (every) s.local_copies_on_every_node = *every;
  c.etcd_snapshots = std::move(s);
}

void ReadResourceBackups(Walker& w, YAML::Node const& root, AgentConfig& c) {
  YAML::Node n = root["resource_backups"];
  if (!n.IsDefined() || n.IsNull()) return;
  if (!n.IsSequence()) {
    w.Error(n, "resource_backups", "must be a list of schedules (- name: ...)");
    return;
  }
  std::set<std::string> names;
  for (std::size_t i = 0; i < n.size(); ++i) {
    YAML::Node const& v = n[i];
    std::string const f = fmt::format("resource_backups[{}]", i);
    if (!w.Mapping(v, f, {"name", "schedule", "location", "expiry", "include_namespaces",
                          "exclude_namespaces", "include_resources", "exclude_resources",
                          "selector", "include_cluster_resources"})) {
      continue;
    }
    auto schedule = w.ScheduleAt(v, f, c.time_zone);
    ResourceBackupScheduleConfig b;
    if (schedule) b.schedule = *schedule;
    b.line = v.Mark().line + 1;
    w.Required(v, "name", f, b.name);
    if (!b.name.empty() && !IsDnsLabel(b.name)) {
      w.Error(v["name"], f + ".name",
              fmt::format("\"{}\" must be lower-case letters, digits and '-', at most 40", b.name));
    }
    if (!b.name.empty() && !names.insert(b.name).second) {
      w.Error(v["name"], f + ".name", fmt::format("another schedule is named \"{}\"", b.name));
    }
    w.Required(v, "location", f, b.location);
    CheckLocationRef(w, v, f, c, b.location);
    if (auto e = w.ExpiryAt(v, f)) b.expiry = *e;
    w.Strings(v, "include_namespaces", f, b.include_namespaces);
    w.Strings(v, "exclude_namespaces", f, b.exclude_namespaces);
    w.Strings(v, "include_resources", f, b.include_resources);
    w.Strings(v, "exclude_resources", f, b.exclude_resources);
    w.String(v, "selector", f, b.selector);
    w.Bool(v, "include_cluster_resources", f, b.include_cluster_resources);
    c.resource_backups.push_back(std::move(b));
  }
}

void ReadDaemon(Walker& w, YAML::Node const& root, DaemonConfig& d) {
  YAML::Node n = root["agent"];
  if (!n.IsDefined() || n.IsNull()) return;
  if (!w.Mapping(n, "agent", {"control_socket", "metrics_address", "log_format", "lease_ttl"})) {
    return;
  }
  w.String(n, "control_socket", "agent", d.control_socket);
  w.String(n, "metrics_address", "agent", d.metrics_address);
  w.String(n, "log_format", "agent", d.log_format);
  if (d.log_format != "text" && d.log_format != "json") {
    w.Error(n["log_format"], "agent.log_format",
            fmt::format("\"{}\" is not text or json", d.log_format));
  }
  w.Duration(n, "lease_ttl", "agent", d.lease_ttl);
  if (d.lease_ttl < std::chrono::seconds(5)) {
    w.Error(n["lease_ttl"], "agent.lease_ttl", "must be at least 5s");
  }
}

void ReadRoot(Walker& w, YAML::Node const& root, AgentConfig& c) {
  if (!w.Mapping(root, "", {"cluster", "node", "time_zone", "kubeconfig", "snapshot_dir", "state_dir", "etcd",
                            "locations", "etcd_snapshots", "resource_backups", "agent"})) {
    return;
  }
  w.Required(root, "cluster", "", c.cluster);
  if (!c.cluster.empty() && !IsDnsLabel(c.cluster)) {
    w.Error(root["cluster"], "cluster",
            fmt::format("\"{}\" must be lower-case letters, digits and '-', at most 40",
                        c.cluster));
  }
  w.String(root, "node", "", c.node);
  if (c.node.empty()) c.node = HostName();
  if (w.String(root, "time_zone", "", c.time_zone)) {
    if (auto z = Schedule::Parse("0 0 * * *", c.time_zone); !z.ok()) {
      w.Error(root["time_zone"], "time_zone", std::string(z.status().message()));
      c.time_zone = "UTC";  // so that the schedules are still checked
    }
  }
  w.String(root, "kubeconfig", "", c.kubeconfig);
  w.String(root, "snapshot_dir", "", c.snapshot_dir);
  w.String(root, "state_dir", "", c.state_dir);
  ReadEtcd(w, root, c.etcd);
  ReadLocations(w, root, c);
  ReadSnapshots(w, root, c);
  ReadResourceBackups(w, root, c);
  ReadDaemon(w, root, c.daemon);
}

}  // namespace

LocationConfig const* AgentConfig::FindLocation(std::string_view name) const {
  for (auto const& l : locations) {
    if (l.name == name) return &l;
  }
  return nullptr;
}

ConfigParseResult ParseAgentConfig(std::string_view text, std::string_view file) {
  ConfigParseResult out;
  out.config.file = std::string(file);
  Walker w(file, out.errors);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (YAML::Exception const& e) {
    out.errors.push_back(fmt::format("{}:{}: YAML syntax: {}", file, e.mark.line + 1, e.msg));
    return out;
  }
  try {
    if (!root.IsDefined() || root.IsNull()) {
      out.errors.push_back(fmt::format("{}:1: the file is empty (cluster: is required)", file));
      return out;
    }
    ReadRoot(w, root, out.config);
  } catch (YAML::Exception const& e) {
    out.errors.push_back(fmt::format("{}:{}: {}", file, e.mark.line + 1, e.msg));
  }
  return out;
}

StatusOr<AgentConfig> LoadAgentConfig(std::filesystem::path const& path) {
  KB_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  ConfigParseResult r = ParseAgentConfig(text, path.string());
  if (r.errors.empty()) return std::move(r.config);
  std::string more = r.errors.size() == 1
                         ? std::string()
                         : fmt::format(" ({} more problems: kbackup config validate {})",
                                       r.errors.size() - 1, path.string());
  return InvalidArgumentError(r.errors.front() + more);
}

}  // namespace kb::agent
