#include "restore/etcd_restore.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include "agent/base/file_util.h"
#include "agent/base/log.h"
#include "etcd/bbolt_reader.h"

extern char** environ;

namespace kb::restore {
namespace {

bool IsExecutable(std::filesystem::path const& p) { return ::access(p.c_str(), X_OK) == 0; }

std::optional<std::filesystem::path> FindInPath(std::string const& name) {
  char const* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    std::size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::filesystem::path candidate = std::filesystem::path(dirs.substr(start, end - start)) / name;
    if (IsExecutable(candidate)) return candidate;
    start = end + 1;
  }
  return std::nullopt;
}

struct ToolRun {
  int exit_code = -1;
  std::string output;
};

/// Runs argv with stdout+stderr captured into one string (ETCDCTL_API=3 set for etcdctl 3.4).
StatusOr<ToolRun> Run(std::vector<std::string> const& argv, std::filesystem::path const& log) {
  int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoToStatus(errno, log.string());
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fd, 1);
  posix_spawn_file_actions_adddup2(&fa, fd, 2);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::string_view(*e).starts_with("ETCDCTL_")) continue;
    env.emplace_back(*e);
  }
  env.emplace_back("ETCDCTL_API=3");
  std::vector<char*> cargv, cenv;
  for (auto const& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  for (auto const& e : env) cenv.push_back(const_cast<char*>(e.c_str()));
  cenv.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, cargv[0], &fa, nullptr, cargv.data(), cenv.data());
  posix_spawn_file_actions_destroy(&fa);
  ::close(fd);
  if (rc != 0) return ErrnoToStatus(rc, argv[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  ToolRun r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  auto out = ReadFileToString(log);
  if (out.ok()) r.output = *out;
  return r;
}

bool DirIsNonEmpty(std::filesystem::path const& p) {
  std::error_code ec;
  return std::filesystem::is_directory(p, ec) && !std::filesystem::is_empty(p, ec);
}

/// True when a process (etcd) holds the bbolt lock of the data dir's db.
bool DataDirInUse(std::filesystem::path const& data_dir) {
  auto db = data_dir / "member" / "snap" / "db";
  int fd = ::open(db.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool in_use = ::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);
  return in_use;
}

}  // namespace

StatusOr<EtcdRestoreResult> RestoreEtcd(EtcdRestoreOptions const& options,
                                        uploader::ObjectStore* store, Clock& clock,
                                        std::function<void(std::string const&)> on_step) {
  EtcdRestoreResult result;
  result.snapshot = options.from;
  result.dry_run = options.dry_run;
  auto step = [&](std::string s) {
    KB_LOG(restore, info, "restore step=\"{}\"", s);
    if (on_step) on_step(s);
    result.steps.push_back(std::move(s));
  };
  if (options.data_dir.empty() || !options.data_dir.is_absolute()) {
    return InvalidArgumentError(fmt::format(
        "--data-dir \"{}\" must be an absolute path", options.data_dir.string()));
  }
  std::filesystem::path data_dir = options.data_dir.lexically_normal();
  if (data_dir.filename().empty()) data_dir = data_dir.parent_path();
  result.data_dir = data_dir;
  std::filesystem::path parent = data_dir.parent_path();
  std::string stamp = FormatCompactUtc(clock.Now());

  // 1. Refuse early, before any download or change.
  bool replacing = DirIsNonEmpty(data_dir);
  if (replacing && DataDirInUse(data_dir)) {
    return FailedPreconditionError(fmt::format(
        "{} is in use by a running etcd: stop it first (on kubeadm nodes move "
        "/etc/kubernetes/manifests/etcd.yaml out of the manifests dir)",
        data_dir.string()));
  }
  if (replacing && !options.yes && !options.dry_run) {
    return FailedPreconditionError(fmt::format(
        "{} exists and is not empty: pass --yes to restore anyway (it will be moved to "
        "{}.kbackup-prev-<time>, not deleted)",
        data_dir.string(), data_dir.string()));
  }
  std::filesystem::path tool = options.etcd_tool;
  if (tool.empty()) {
    if (auto p = FindInPath("etcdutl")) tool = *p;
    else if (auto q = FindInPath("etcdctl")) tool = *q;
  }
  if (tool.empty() || !IsExecutable(tool)) {
    return FailedPreconditionError(
        "neither etcdutl nor etcdctl was found: install the etcd tools of the node's etcd "
        "version or pass --etcd-tool PATH");
  }
  bool is_etcdutl = tool.filename().string().find("etcdutl") != std::string::npos;

  KB_ASSIGN_OR_RETURN(SnapshotRef ref, ResolveSnapshot(options.from, options.snapshot_dir, store));
  result.source = ref.where;
  if (ref.manifest) result.revision = ref.manifest->revision;

  std::filesystem::path work = parent / fmt::format(".kbackup-restore-{}", stamp);
  std::filesystem::path raw = work / "snapshot.db";
  std::filesystem::path staged = work / "data";
  std::filesystem::path previous = parent / fmt::format("{}.kbackup-prev-{}",
                                                        data_dir.filename().string(), stamp);
  std::vector<std::string> argv{tool.string(), "snapshot", "restore", raw.string(),
                                "--data-dir", staged.string(), "--name", options.name,
                                "--initial-cluster",
                                options.initial_cluster.empty()
                                    ? options.name + "=" + options.initial_advertise_peer_urls
                                    : options.initial_cluster,
                                "--initial-cluster-token", options.initial_cluster_token,
                                "--initial-advertise-peer-urls",
                                options.initial_advertise_peer_urls};
  if (options.bump_revision > 0) {
    argv.push_back(fmt::format("--bump-revision={}", options.bump_revision));
    argv.push_back("--mark-compacted");
  }
  std::string command;
  for (auto const& a : argv) command += (command.empty() ? "" : " ") + a;

  // The plan. A dry run announces all of it; a real run announces each step as it starts.
  std::string verify_step = fmt::format("verify every hash of {} and write the raw snapshot to {}",
                                        ref.where, raw.string());
  std::string run_step = fmt::format("run {}", command);
  std::string aside_step = fmt::format("move {} aside to {}", data_dir.string(), previous.string());
  std::string swap_step = fmt::format("rename {} to {}", staged.string(), data_dir.string());
  if (options.dry_run) {
    step(verify_step);
    step(run_step);
    if (replacing) step(aside_step);
    step(swap_step);
    return result;
  }

  // 2. Verify everything into a work dir beside the data dir (same file system: rename works).
  KB_RETURN_IF_ERROR(EnsureDir(work));
  auto cleanup_work = [&] {
    std::error_code ec;
    std::filesystem::remove_all(work, ec);
  };
  step(verify_step);
  std::uint64_t total = ref.manifest ? ref.manifest->compressed_size : 0;
  auto on_bytes = [&](std::uint64_t done) {
    if (options.progress) options.progress(done, total);
  };
  if (auto v = VerifySnapshot(ref, store, raw, on_bytes); !v.ok()) {
    cleanup_work();
    return v.status();
  }
  // The exact revision is in the bbolt file (the manifest may only hold a lower bound).
  if (auto info = etcd::ReadSnapshotDbInfo(raw); info.ok()) {
    result.revision = info->revision;
  } else {
    KB_LOG(restore, warn, "restore revision unknown file={} error=\"{}\"", raw.string(),
           info.status().message());
  }

  // 3. The node's own tool builds the new member dir.
  step(run_step);
  auto run = Run(argv, work / "restore.log");
  if (!run.ok() || run->exit_code != 0) {
    std::string out = run.ok() ? run->output : run.status().message();
    cleanup_work();
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return InternalError(fmt::format("{} snapshot restore failed (exit {}): {}",
                                     is_etcdutl ? "etcdutl" : "etcdctl",
                                     run.ok() ? run->exit_code : -1, out));
  }

  // 4. Swap by rename; the previous data dir is kept.
  std::error_code ec;
  if (std::filesystem::exists(data_dir, ec)) {
    step(aside_step);
    std::filesystem::rename(data_dir, previous, ec);
    if (ec) {
      cleanup_work();
      return ErrnoToStatus(ec.value(), "moving " + data_dir.string() + " aside");
    }
    result.previous_data_dir = previous;
  }
  step(swap_step);
  std::filesystem::rename(staged, data_dir, ec);
  if (ec) {
    Status st = ErrnoToStatus(ec.value(), "renaming the restored data into " + data_dir.string());
    if (result.previous_data_dir) {
      std::error_code back;
      std::filesystem::rename(previous, data_dir, back);  // put the old one back
    }
    return st;
  }
  std::filesystem::permissions(data_dir, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, ec);
  KB_RETURN_IF_ERROR(SyncDir(parent));
  cleanup_work();
  return result;
}

}  // namespace kb::restore
