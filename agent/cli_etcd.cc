// `kbackup etcd ...`: snapshot, list, status, verify, upload, restore.
#include <fmt/ranges.h>

#include <memory>

#include "agent/base/clock.h"
#include "agent/base/json.h"
#include "agent/cli.h"
#include "agent/cli_common.h"
#include "agent/progress.h"
#include "agent/snapshot_job.h"
#include "etcd/bbolt_reader.h"
#include "etcd/snapshot_file.h"
#include "restore/etcd_restore.h"
#include "restore/snapshot_source.h"
#include "uploader/location.h"

namespace kb::agent {
namespace {

json::object ManifestJson(etcd::SnapshotManifest const& m) {
  json::object o{{"name", m.name},
                 {"cluster", m.cluster},
                 {"node", m.node},
                 {"created", FormatRfc3339(m.created_at)},
                 {"size", m.compressed_size},
                 {"raw_size", m.raw_size},
                 {"db_size", m.db_size},
                 {"sha256", m.compressed_sha256},
                 {"raw_sha256", m.raw_sha256},
                 {"db_sha256", m.db_sha256},
                 {"revision", m.revision},
                 {"revision_exact", m.revision_exact},
                 {"etcd_version", m.etcd_version},
                 {"etcd_endpoint", m.etcd_endpoint}};
  o["expires"] = m.expires_at ? json::value(FormatRfc3339(*m.expires_at)) : json::value(nullptr);
  return o;
}

std::string ShortTime(std::chrono::system_clock::time_point t) {
  std::string s = FormatRfc3339(t);  // 2026-11-24T02:00:04Z → 2026-11-24 02:00:04Z
  s[10] = ' ';
  return s;
}

struct SnapshotCmd {
  EtcdFlags etcd;
  UploadFlags upload;
  std::string cluster_name = "default";
  std::string node_name;
  std::string snapshot_dir;
  int keep_local = 5;
  int level = 3;
  int workers = 2;
  std::string ttl;
  std::string stale_after = "24h";
};

/// Takes what the flags of `cmd` left unset from the config's cluster, node, etcd and etcd
/// snapshot schedule.
void ApplyConfigDefaults(AgentConfig const& cfg, CLI::App const& cmd, SnapshotCmd& c) {
  auto unset = [&](char const* flag) { return cmd.count(flag) == 0; };
  if (unset("--etcd-endpoints")) c.etcd.endpoints = fmt::format("{}", fmt::join(cfg.etcd.endpoints, ","));
  if (unset("--etcd-cacert")) c.etcd.cacert = cfg.etcd.cacert;
  if (unset("--etcd-cert")) c.etcd.cert = cfg.etcd.cert;
  if (unset("--etcd-key")) c.etcd.key = cfg.etcd.key;
  if (unset("--etcd-user")) c.etcd.user = cfg.etcd.user;
  if (unset("--etcd-dial-timeout")) {
    c.etcd.dial_timeout_seconds = static_cast<int>(cfg.etcd.dial_timeout.count());
  }
  if (unset("--cluster-name")) c.cluster_name = cfg.cluster;
  if (unset("--node-name")) c.node_name = cfg.node;
  if (unset("--snapshot-dir")) c.snapshot_dir = cfg.snapshot_dir;
  if (cfg.etcd_snapshots) {
    if (unset("--keep-local")) c.keep_local = std::max(1, cfg.etcd_snapshots->keep_local);
    if (unset("--ttl") && cfg.etcd_snapshots->expiry) c.ttl = cfg.etcd_snapshots->expiry->text();
  }
}

int RunSnapshot(GlobalFlags const& g, SnapshotCmd c, CLI::App const& cmd) {
  auto cfg = g.Config();
  if (!cfg.ok()) return Fail(cfg.status(), true);
  if (*cfg != nullptr) ApplyConfigDefaults(**cfg, cmd, c);
  SnapshotJobOptions o;
  auto eo = c.etcd.ToOptions();
  if (!eo.ok()) return Fail(eo.status(), true);
  o.etcd = *eo;
  auto loc = g.Location();
  if (!loc.ok()) return Fail(loc.status(), true);
  auto uo = c.upload.ToOptions(&*loc);
  if (!uo.ok()) return Fail(uo.status(), true);
  o.upload = *uo;
  if (auto st = loc->Open(); !st.ok()) return Fail(st.status(), true);
  o.location = loc->url;
  o.location_options = loc->options;
  o.snapshot_dir = EffectiveSnapshotDir(c.snapshot_dir);
  o.cluster_name = c.cluster_name;
  o.node_name = c.node_name.empty() ? HostName() : c.node_name;
  if (c.keep_local < 1) return Fail(InvalidArgumentError("--keep-local must be at least 1"), true);
  o.keep_local = c.keep_local;
  o.compression_level = c.level;
  o.compression_workers = c.workers;
  if (!c.ttl.empty()) {
    auto ttl = Expiry::Parse(c.ttl);
    if (!ttl.ok()) return Fail(InvalidArgumentError("--ttl: " + std::string(ttl.status().message())), true);
    o.ttl = ttl->ApproximateTtl(SystemClock::Instance().Now());
  }
  if (!ParseGoDuration(c.stale_after, o.stale_after)) {
    return Fail(InvalidArgumentError(
                    fmt::format("--stale-after {}: use a duration like 24h", c.stale_after)),
                true);
  }
  o.progress = g.format() == OutputFormat::kTable;
  auto r = RunSnapshotJob(o, SystemClock::Instance());
  if (!r.ok()) return Fail(r.status(), false);
  auto const& m = r->manifest;
  if (g.format() == OutputFormat::kJson) {
    json::object o2 = ManifestJson(m);
    o2["location"] = r->location;
    o2["key"] = r->key;
    o2["local_path"] = r->local_path.string();
    o2["parts"] = r->upload.parts_total;
    o2["seconds"] = r->seconds;
    o2["pruned_local"] = JsonStringArray(r->pruned_local);
    o2["stale_uploads_aborted"] = r->stale_uploads_aborted;
    o2["stale_files_removed"] = JsonStringArray(r->stale_files_removed);
    PrintJson(o2);
  } else {
    PrintTable({"NAME", "REVISION", "DB SIZE", "COMPRESSED", "SHA256", "LOCATION"},
               {{m.name, std::to_string(m.revision), HumanBytes(m.db_size),
                 HumanBytes(m.compressed_size), m.compressed_sha256.substr(0, 16),
                 r->location + " " + r->key}});
  }
  return kExitOk;
}

int RunList(GlobalFlags const& g) {
  auto store = g.OpenStore();
  if (!store.ok()) return Fail(store.status(), true);
  auto list = restore::ListRemoteSnapshots(**store);
  if (!list.ok()) return Fail(list.status(), false);
  if (g.format() == OutputFormat::kJson) {
    json::array a;
    for (auto const& m : *list) a.emplace_back(ManifestJson(m));
    PrintJson(a);
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (auto const& m : *list) {
    rows.push_back({m.name, ShortTime(m.created_at), HumanBytes(m.compressed_size),
                    std::to_string(m.revision)});
  }
  PrintTable({"NAME", "CREATED", "SIZE", "REVISION"}, rows);
  return kExitOk;
}

/// Opens the location for name lookups; a bad location is only fatal when it is needed.
std::unique_ptr<uploader::ObjectStore> MaybeStore(GlobalFlags const& g, Status& error) {
  auto store = g.OpenStore();
  if (!store.ok()) {
    error = store.status();
    return nullptr;
  }
  return std::move(*store);
}

int RunStatusOrVerify(GlobalFlags const& g, std::string const& what, std::string const& dir,
                      bool verify) {
  Status store_error;
  auto store = MaybeStore(g, store_error);
  auto ref = restore::ResolveSnapshot(what, g.SnapshotDir(dir), store.get());
  if (!ref.ok()) {
    return Fail(store_error.ok() ? ref.status() : store_error, !store_error.ok());
  }
  json::object out;
  out["snapshot"] = what;
  out["source"] = ref->where;
  if (ref->manifest) out["manifest"] = ManifestJson(*ref->manifest);
  Progress progress(verify ? "verify" : "status",
                    g.format() == OutputFormat::kTable && Progress::StderrIsTty());
  std::uint64_t total = ref->manifest ? ref->manifest->compressed_size : 0;
  auto report = restore::VerifySnapshot(*ref, store.get(), std::nullopt,
                                        [&](std::uint64_t d) { progress.Update(d, total); });
  progress.Done();
  out["verified"] = report.ok();
  if (!report.ok()) out["error"] = report.status().message();
  if (ref->kind == restore::SnapshotKind::kLocalRaw && report.ok()) {
    auto info = etcd::ReadSnapshotDbInfo(ref->local_path);
    if (info.ok()) {
      out["revision"] = info->revision;
      out["total_keys"] = info->total_keys;
    }
  }
  if (g.format() == OutputFormat::kJson) {
    PrintJson(out);
  } else {
    std::vector<std::vector<std::string>> rows;
    rows.push_back({"source", ref->where});
    if (ref->manifest) {
      auto const& m = *ref->manifest;
      rows.push_back({"name", m.name});
      rows.push_back({"created", ShortTime(m.created_at)});
      rows.push_back({"expires", m.expires_at ? ShortTime(*m.expires_at) : "never"});
      rows.push_back({"etcd", m.etcd_version + " at " + m.etcd_endpoint});
      rows.push_back({"revision", std::to_string(m.revision) + (m.revision_exact ? "" : " (at least)")});
      rows.push_back({"db size", HumanBytes(m.db_size)});
      rows.push_back({"compressed", HumanBytes(m.compressed_size) + " zstd-" +
                                        std::to_string(m.compression_level)});
      rows.push_back({"sha256", m.compressed_sha256});
    } else if (out.contains("revision")) {
      rows.push_back({"revision", std::to_string(out["revision"].as_int64())});
    }
    rows.push_back({"verified", report.ok() ? "yes: every hash matches" : "NO"});
    PrintTable({"FIELD", "VALUE"}, rows);
  }
  if (!report.ok()) return Fail(report.status(), false);
  return kExitOk;
}

int RunUpload(GlobalFlags const& g, std::string const& name, std::string const& dir,
              UploadFlags const& flags) {
  auto loc = g.Location();
  if (!loc.ok()) return Fail(loc.status(), true);
  auto uo = flags.ToOptions(&*loc);
  if (!uo.ok()) return Fail(uo.status(), true);
  if (auto st = loc->Open(); !st.ok()) return Fail(st.status(), true);
  Progress progress("upload", g.format() == OutputFormat::kTable && Progress::StderrIsTty());
  uo->progress = [&](std::uint64_t d, std::uint64_t t) { progress.Update(d, t); };
  auto r = ResumeSnapshotUpload(g.SnapshotDir(dir), name, loc->url, loc->options, *uo);
  progress.Done();
  if (!r.ok()) return Fail(r.status(), false);
  if (g.format() == OutputFormat::kJson) {
    PrintJson(json::object{{"name", name},
                           {"bytes", r->bytes},
                           {"parts_total", r->parts_total},
                           {"parts_sent", r->parts_sent},
                           {"parts_reused", r->parts_reused},
                           {"resumed", r->resumed},
                           {"upload_id", r->upload_id}});
  } else {
    PrintTable({"NAME", "BYTES", "PARTS", "SENT", "REUSED", "RESUMED"},
               {{name, HumanBytes(r->bytes), std::to_string(r->parts_total),
                 std::to_string(r->parts_sent), std::to_string(r->parts_reused),
                 r->resumed ? "yes" : "no"}});
  }
  return kExitOk;
}

int RunRestore(GlobalFlags const& g, restore::EtcdRestoreOptions o, std::string const& dir) {
  o.snapshot_dir = g.SnapshotDir(dir);
  Status store_error;
  auto store = MaybeStore(g, store_error);
  bool json_out = g.format() == OutputFormat::kJson;
  // A dry run's steps are its result; a real run shows them as progress on a terminal.
  bool show_steps = !json_out && (o.dry_run || Progress::StderrIsTty());
  Progress progress("verify", !json_out && Progress::StderrIsTty());
  o.progress = [&](std::uint64_t done, std::uint64_t total) { progress.Update(done, total); };
  auto r = restore::RestoreEtcd(o, store.get(), SystemClock::Instance(), [&](std::string const& s) {
    if (!show_steps) return;
    progress.Done();
    std::fprintf(stderr, "%s%s\n", o.dry_run ? "would " : "", s.c_str());
  });
  progress.Done();
  if (!r.ok()) {
    bool usage = r.status().code() == StatusCode::kInvalidArgument;
    return Fail(r.status(), usage);
  }
  if (json_out) {
    PrintJson(json::object{{"snapshot", r->snapshot},
                           {"source", r->source},
                           {"data_dir", r->data_dir.string()},
                           {"previous_data_dir", r->previous_data_dir
                                                     ? json::value(r->previous_data_dir->string())
                                                     : json::value(nullptr)},
                           {"revision", r->revision},
                           {"dry_run", r->dry_run},
                           {"steps", JsonStringArray(r->steps)}});
  } else {
    PrintTable({"SNAPSHOT", "DATA DIR", "PREVIOUS DATA DIR", "RESULT"},
               {{r->snapshot, r->data_dir.string(),
                 r->previous_data_dir ? r->previous_data_dir->string() : "-",
                 r->dry_run ? "dry run: nothing changed" : "restored"}});
  }
  return kExitOk;
}

}  // namespace

void AddEtcdCommands(CLI::App& app, GlobalFlags& g, int& exit_code) {
  auto* etcd = app.add_subcommand("etcd", "etcd snapshots: take, list, check, upload, restore");
  etcd->require_subcommand(1);

  auto snap = std::make_shared<SnapshotCmd>();
  auto* s = etcd->add_subcommand("snapshot", "Take a snapshot, compress it, store it locally and "
                                             "upload it to the location");
  snap->etcd.Add(*s);
  snap->upload.Add(*s);
  s->add_option("--cluster-name", snap->cluster_name, "Goes into snapshot names")->capture_default_str();
  s->add_option("--node-name", snap->node_name, "Goes into snapshot names. Default: host name");
  s->add_option("--snapshot-dir", snap->snapshot_dir,
                "Local copies. Default: $KBACKUP_SNAPSHOT_DIR or /var/lib/kbackup/snapshots");
  s->add_option("--keep-local", snap->keep_local, "Local copies to keep")->capture_default_str();
  s->add_option("--compression-level", snap->level, "zstd level 1..19")->capture_default_str();
  s->add_option("--compression-threads", snap->workers, "zstd worker threads (0 = inline)")
      ->capture_default_str();
  s->add_option("--ttl", snap->ttl, "Expiry recorded in the manifest: 720h, 90d, 3mo, 1y");
  s->add_option("--stale-after", snap->stale_after,
                "Abort leftover multipart uploads of killed runs older than this (local leftover "
                "files of killed runs are deleted at once)")
      ->capture_default_str();
  s->callback([&g, &exit_code, snap, s] { exit_code = RunSnapshot(g, *snap, *s); });

  auto* l = etcd->add_subcommand("list", "List the snapshots in the location, newest first");
  l->callback([&g, &exit_code] { exit_code = RunList(g); });

  auto status_arg = std::make_shared<std::pair<std::string, std::string>>();
  auto* st = etcd->add_subcommand("status", "Show a snapshot's manifest and check its hashes");
  st->add_option("snapshot", status_arg->first, "Snapshot name or file")->required();
  st->add_option("--snapshot-dir", status_arg->second, "Local snapshot dir");
  st->callback([&g, &exit_code, status_arg] {
    exit_code = RunStatusOrVerify(g, status_arg->first, status_arg->second, false);
  });

  auto verify_arg = std::make_shared<std::pair<std::string, std::string>>();
  auto* v = etcd->add_subcommand("verify", "Re-read (re-download) a snapshot and check every hash");
  v->add_option("snapshot", verify_arg->first, "Snapshot name or file")->required();
  v->add_option("--snapshot-dir", verify_arg->second, "Local snapshot dir");
  v->callback([&g, &exit_code, verify_arg] {
    exit_code = RunStatusOrVerify(g, verify_arg->first, verify_arg->second, true);
  });

  struct UploadArgs {
    std::string name, dir;
    UploadFlags flags;
  };
  auto up = std::make_shared<UploadArgs>();
  auto* u = etcd->add_subcommand(
      "upload", "Upload a local snapshot; resumes an interrupted upload, sending only missing parts");
  u->add_option("snapshot", up->name, "Snapshot name")->required();
  u->add_option("--snapshot-dir", up->dir, "Local snapshot dir");
  up->flags.Add(*u);
  u->callback([&g, &exit_code, up] { exit_code = RunUpload(g, up->name, up->dir, up->flags); });

  auto ro = std::make_shared<std::pair<restore::EtcdRestoreOptions, std::string>>();
  auto* r = etcd->add_subcommand(
      "restore", "Restore a snapshot into a new data dir; the old one is moved aside, never deleted");
  r->add_option("--from", ro->first.from, "Snapshot name or file")->required();
  r->add_option("--data-dir", ro->first.data_dir, "The member's data dir")->required();
  r->add_option("--name", ro->first.name, "Member name")->capture_default_str();
  r->add_option("--initial-cluster", ro->first.initial_cluster,
                "name=peerURL,... Default: <name>=<initial-advertise-peer-urls>");
  r->add_option("--initial-cluster-token", ro->first.initial_cluster_token)->capture_default_str();
  r->add_option("--initial-advertise-peer-urls", ro->first.initial_advertise_peer_urls)
      ->capture_default_str();
  r->add_option("--bump-revision", ro->first.bump_revision,
                "Add N to the restored revision and mark it compacted (Kubernetes watchers re-list)");
  r->add_option("--etcd-tool", ro->first.etcd_tool,
                "etcdutl (3.5+) or etcdctl (3.4) to run. Default: etcdutl, else etcdctl, from PATH");
  r->add_option("--snapshot-dir", ro->second, "Local snapshot dir");
  r->add_flag("--yes", ro->first.yes, "Replace an existing data dir (it is moved aside)");
  r->add_flag("--dry-run", ro->first.dry_run, "Print every step, change nothing");
  r->callback([&g, &exit_code, ro] { exit_code = RunRestore(g, ro->first, ro->second); });
}

}  // namespace kb::agent
