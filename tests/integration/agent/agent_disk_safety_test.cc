// kbackup agent, the real process, against a real etcd and the real MinIO, with a location
// slowed by its upload_rate_limit: SIGTERM mid-upload stops at once and the next start resumes
// the upload, sending only the missing parts; a slow location never makes two runs overlap
// (ticks are skipped and counted); kill -9 mid-run leaves nothing the next start does not
// remove; the snapshot dir's quota stops a snapshot before it starts.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/base/json.h"
#include "etcd/snapshot_manifest.h"
#include "tests/support/background_process.h"
#include "tests/support/etcd_env.h"
#include "tests/support/test_env.h"
#include "tests/support/velero_env.h"

namespace kb::testing {
namespace {

namespace fs = std::filesystem;

int Count(std::string const& text, std::string const& what) {
  int n = 0;
  for (std::size_t pos = text.find(what); pos != std::string::npos;
       pos = text.find(what, pos + what.size())) {
    ++n;
  }
  return n;
}

/// Files of the snapshot dir whose names end with `suffix`.
std::vector<fs::path> FilesEndingWith(fs::path const& dir, std::string const& suffix) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (auto const& e : fs::directory_iterator(dir, ec)) {
    if (e.path().filename().string().ends_with(suffix)) out.push_back(e.path());
  }
  return out;
}

/// An etcd of its own holding ~10 MiB of random values: its snapshot is two 5 MiB parts, and at
/// 512 KiB/s each part takes about 10 s to send.
class AgentDiskSafety : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    data_ = std::make_unique<TempDir>();
    std::string const bin = RequireEnv("KB_TEST_ETCD36_BIN");
    etcd_ = std::make_unique<ScratchEtcd>(bin, data_->path() + "/etcd", "slow",
                                          "http://127.0.0.1:" + std::to_string(FreePort()));
    ASSERT_TRUE(etcd_->ready()) << etcd_->log();
    PutRandomMiB(bin, etcd_->endpoint(), data_->path(), "/slow/", 10, 7);
  }
  static void TearDownTestSuite() {
    etcd_.reset();
    data_.reset();
  }

  /// A config whose snapshot schedule is `schedule` on the slow etcd, uploading to `loc` at
  /// 512 KiB/s, one 5 MiB part at a time.
  std::string Config(MinioLocation const& loc, std::string const& schedule,
                     std::string const& metrics_address = "") {
    std::ostringstream c;
    c << "cluster: slow\nnode: n1\n"
      << "snapshot_dir: " << dir_.path() << "/snapshots\nstate_dir: " << dir_.path() << "/state\n"
      << "etcd:\n  endpoints: [" << etcd_->endpoint() << "]\n"
      << "locations:\n  minio:\n    url: \"" << loc.url << "\"\n"
      << "    credentials: {access_key_id_env: KB_T_KEY, secret_access_key_env: KB_T_SECRET}\n"
      << "    upload_rate_limit: 512KiB\n    upload_part_size: 5MiB\n    upload_parallelism: 1\n"
      << "etcd_snapshots:\n  schedule: \"" << schedule << "\"\n  keep_local: 3\n"
      << "  location: minio\n"
      << "agent:\n  metrics_address: \"" << metrics_address << "\"\n"
      << "  control_socket: \"\"\n";
    std::string const file = dir_.path() + "/config.yaml";
    std::ofstream(file) << c.str();
    return file;
  }

  /// The schedule's last tick two days back: the agent runs it once at start.
  void MissedTick() {
    fs::create_directories(dir_.path() + "/state");
    std::ofstream(dir_.path() + "/state/agent-state.json")
        << R"({"etcd-snapshots":"2020-01-01T00:00:00Z"})";
  }

  static std::vector<std::string> Env() {
    return {"KB_T_KEY=" + RequireEnv("KB_TEST_S3_ACCESS_KEY"),
            "KB_T_SECRET=" + RequireEnv("KB_TEST_S3_SECRET_KEY")};
  }

  fs::path Snapshots() const { return fs::path(dir_.path()) / "snapshots"; }

  static std::unique_ptr<TempDir> data_;
  static std::unique_ptr<ScratchEtcd> etcd_;
  TempDir dir_;
};

std::unique_ptr<TempDir> AgentDiskSafety::data_;
std::unique_ptr<ScratchEtcd> AgentDiskSafety::etcd_;

TEST_F(AgentDiskSafety, SigtermMidUploadStopsAtOnceAndTheNextStartResumesIt) {
  MinioLocation loc("agent-sigterm");
  // Yearly: only the missed tick runs, at start; the second start has nothing to catch up.
  std::string const file = Config(loc, "0 0 1 1 *");
  MissedTick();
  fs::path journal;
  int journaled = 0;
  {
    BackgroundProcess agent({KB_BINARY_PATH, "agent", "--config", file}, Env(),
                            dir_.path() + "/agent1.log");
    ASSERT_TRUE(WaitUntil(std::chrono::seconds(90), [&] {
      auto j = FilesEndingWith(Snapshots(), ".upload.json");
      if (j.size() != 1) return false;
      journal = j[0];
      journaled = UploadJournalParts(journal.string());
      return journaled >= 1;
    })) << "no part was sent\n" << agent.Log();
    auto const stop = std::chrono::steady_clock::now();
    agent.Signal(SIGTERM);
    auto code = agent.Wait(std::chrono::seconds(60));
    ASSERT_TRUE(code.has_value()) << agent.Log();
    EXPECT_EQ(*code, 0) << agent.Log();
    // The part in flight (5 MiB at 512 KiB/s: 10 s) was cut off, not waited for.
    EXPECT_LT(std::chrono::steady_clock::now() - stop, std::chrono::seconds(8)) << agent.Log();
    EXPECT_NE(agent.Log().find("agent stopped"), std::string::npos) << agent.Log();
  }
  // The snapshot is whole locally (its manifest written), its upload checkpointed: the journal
  // names the upload and the parts MinIO acknowledged, and MinIO has no manifest of it.
  std::string const jname = journal.filename().string();  // ".<name>.upload.json"
  std::string const name = jname.substr(1, jname.size() - 1 - std::string(".upload.json").size());
  ASSERT_TRUE(fs::exists(journal));
  journaled = UploadJournalParts(journal.string());
  EXPECT_EQ(journaled, 1) << "two parts of 5 MiB: only the first was sent";
  EXPECT_TRUE(fs::exists(Snapshots() / etcd::ManifestFileName(name)));
  EXPECT_TRUE(fs::exists(Snapshots() / etcd::SnapshotFileName(name)));
  EXPECT_TRUE(FilesEndingWith(Snapshots(), ".part").empty());
  std::string const manifest_key =
      std::string(etcd::kSnapshotKeyPrefix) + etcd::ManifestFileName(name);
  auto keys = loc.Keys();
  EXPECT_EQ(std::count(keys.begin(), keys.end(), manifest_key), 0)
      << "an unfinished upload is presented as a snapshot";

  // The next start resumes the upload at once and sends only the part MinIO lacks.
  {
    BackgroundProcess agent({KB_BINARY_PATH, "agent", "--config", file}, Env(),
                            dir_.path() + "/agent2.log");
    ASSERT_TRUE(WaitUntil(std::chrono::seconds(90), [&] {
      return agent.Log().find("upload resumed name=" + name) != std::string::npos;
    })) << agent.Log();
    EXPECT_NE(agent.Log().find("upload resumed name=" + name + " parts_sent=1 parts_reused=1"),
              std::string::npos)
        << agent.Log();
    EXPECT_EQ(agent.Log().find("run started"), std::string::npos) << "no tick was due";
    agent.Signal(SIGTERM);
    EXPECT_EQ(agent.Wait(std::chrono::seconds(60)), std::optional<int>(0)) << agent.Log();
  }
  EXPECT_FALSE(fs::exists(journal)) << "journal kept after the upload completed";
  keys = loc.Keys();
  EXPECT_EQ(std::count(keys.begin(), keys.end(), manifest_key), 1);
  // The object in MinIO is the snapshot: verify downloads it and checks every hash.
  TempDir empty;
  std::vector<std::string> env{"AWS_ACCESS_KEY_ID=" + RequireEnv("KB_TEST_S3_ACCESS_KEY"),
                               "AWS_SECRET_ACCESS_KEY=" + RequireEnv("KB_TEST_S3_SECRET_KEY")};
  auto v = RunKbackup({"--output", "json", "--location", loc.url, "etcd", "verify", name,
                       "--snapshot-dir", empty.path()},
                      env);
  ASSERT_EQ(v.exit_code, 0) << v.err;
  auto vo = ParseJson(v.out, "verify output");
  ASSERT_TRUE(vo.ok()) << v.out;
  EXPECT_TRUE(vo->as_object().at("verified").as_bool()) << v.out;
}

TEST_F(AgentDiskSafety, ASlowLocationSkipsTicksNeverOverlapsAndAKilledRunLeavesNothing) {
  MinioLocation loc("agent-slow");
  std::string const metrics = "127.0.0.1:" + std::to_string(FreePort());
  // A run takes ~20 s (10 MiB at 512 KiB/s); the schedule ticks every 3 s.
  std::string const file = Config(loc, "@every 3s", metrics);
  BackgroundProcess agent({KB_BINARY_PATH, "agent", "--config", file}, Env(),
                          dir_.path() + "/agent1.log");
  ASSERT_TRUE(WaitUntil(std::chrono::seconds(60), [&] {
    return Count(agent.Log(), "tick skipped schedule=etcd-snapshots") >= 3;
  })) << agent.Log();
  std::string log = agent.Log();
  EXPECT_EQ(Count(log, "run started schedule=etcd-snapshots"), 1) << log;
  EXPECT_EQ(Count(log, "run done schedule=etcd-snapshots"), 0) << log;
  auto scrape = RunCommand({"curl", "-sS", "--fail", "http://" + metrics + "/metrics"});
  ASSERT_EQ(scrape.exit_code, 0) << scrape.err;
  std::string const skipped =
      "kbackup_runs_skipped_total{schedule=\"etcd-snapshots\",reason=\"still_running\"} ";
  auto at = scrape.out.find(skipped);
  ASSERT_NE(at, std::string::npos) << scrape.out;
  EXPECT_GE(std::stod(scrape.out.substr(at + skipped.size())), 3.0) << scrape.out;

  // kill -9 while the run writes its temp file and sends parts.
  ASSERT_FALSE(FilesEndingWith(Snapshots(), ".part").empty()) << "the run is not mid-way";
  agent.Signal(SIGKILL);
  ASSERT_TRUE(agent.Wait(std::chrono::seconds(30)).has_value());
  ASSERT_FALSE(FilesEndingWith(Snapshots(), ".part").empty());
  ASSERT_EQ(FilesEndingWith(Snapshots(), ".upload.json").size(), 1u);

  // The next start removes what the killed run left, before anything else runs.
  std::string const quiet = Config(loc, "0 0 1 1 *");
  BackgroundProcess again({KB_BINARY_PATH, "agent", "--config", quiet}, Env(),
                          dir_.path() + "/agent2.log");
  ASSERT_TRUE(WaitUntil(std::chrono::seconds(30), [&] {
    return again.Log().find("agent started") != std::string::npos;
  })) << again.Log();
  EXPECT_TRUE(FilesEndingWith(Snapshots(), ".part").empty()) << again.Log();
  EXPECT_TRUE(FilesEndingWith(Snapshots(), ".upload.json").empty()) << again.Log();
  EXPECT_TRUE(FilesEndingWith(Snapshots(), ".tmp").empty()) << again.Log();
  EXPECT_TRUE(FilesEndingWith(Snapshots(), ".db.zst").empty()) << "no snapshot was finished";
  EXPECT_EQ(Count(again.Log(), "leftover file removed"), 2) << again.Log();
  for (auto const& k : loc.Keys()) {
    EXPECT_FALSE(k.ends_with(".manifest.json")) << k << ": the killed run is listed";
  }
  again.Signal(SIGTERM);
  EXPECT_EQ(again.Wait(std::chrono::seconds(60)), std::optional<int>(0)) << again.Log();
}

TEST(AgentQuota, ASnapshotThatWouldExceedTheQuotaDoesNotStart) {
  TempDir dir;
  MinioLocation loc("agent-quota");
  EtcdServer etcd = GetEtcdServer("ETCD36");
  std::string const metrics = "127.0.0.1:" + std::to_string(FreePort());
  std::ostringstream c;
  c << "cluster: quota\nnode: n1\n"
    << "snapshot_dir: " << dir.path() << "/snapshots\nstate_dir: " << dir.path() << "/state\n"
    << "etcd:\n  endpoints: [" << etcd.endpoint << "]\n  cacert: " << etcd.cacert
    << "\n  cert: " << etcd.cert << "\n  key: " << etcd.key << "\n"
    << "locations:\n  minio:\n    url: \"" << loc.url << "\"\n"
    << "    credentials: {access_key_id_env: KB_T_KEY, secret_access_key_env: KB_T_SECRET}\n"
    << "etcd_snapshots:\n  schedule: \"@every 2s\"\n  keep_local: 5\n  location: minio\n"
    << "  max_local_bytes: 1KiB\n"
    << "agent:\n  metrics_address: \"" << metrics << "\"\n  control_socket: \"\"\n";
  std::string const file = dir.path() + "/config.yaml";
  std::ofstream(file) << c.str();
  BackgroundProcess agent({KB_BINARY_PATH, "agent", "--config", file, "--retry-delay", "1"},
                          {"KB_T_KEY=" + RequireEnv("KB_TEST_S3_ACCESS_KEY"),
                           "KB_T_SECRET=" + RequireEnv("KB_TEST_S3_SECRET_KEY")},
                          dir.path() + "/agent.log");
  // The first snapshot fits in an empty dir; every later one would pass 1 KiB.
  ASSERT_TRUE(WaitUntil(std::chrono::seconds(60), [&] {
    return Count(agent.Log(), "would exceed etcd_snapshots.max_local_bytes 1024") >= 2;
  })) << agent.Log();
  EXPECT_EQ(FilesEndingWith(fs::path(dir.path()) / "snapshots", ".db.zst").size(), 1u)
      << agent.Log();
  EXPECT_NE(agent.Log().find("raise it or lower keep_local"), std::string::npos);
  // Not retried within the tick: a full dir does not empty itself in seconds.
  EXPECT_EQ(agent.Log().find("attempt=2"), std::string::npos) << agent.Log();
  auto scrape = RunCommand({"curl", "-sS", "--fail", "http://" + metrics + "/metrics"});
  ASSERT_EQ(scrape.exit_code, 0) << scrape.err;
  EXPECT_NE(scrape.out.find("kbackup_snapshot_dir_quota_bytes 1024"), std::string::npos)
      << scrape.out;
  std::string const skipped =
      "kbackup_runs_skipped_total{schedule=\"etcd-snapshots\",reason=\"quota\"} ";
  auto at = scrape.out.find(skipped);
  ASSERT_NE(at, std::string::npos) << scrape.out;
  EXPECT_GE(std::stod(scrape.out.substr(at + skipped.size())), 2.0) << scrape.out;
  agent.Signal(SIGTERM);
  EXPECT_EQ(agent.Wait(std::chrono::seconds(60)), std::optional<int>(0)) << agent.Log();
}

}  // namespace
}  // namespace kb::testing
