// kill -9 during an upload, run again: the upload resumes, sends only the missing parts, and the
// object in MinIO is byte-for-byte the local snapshot.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/support/etcd_env.h"
#include "tests/support/test_env.h"

extern char** environ;

namespace kb::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

TEST(EtcdUploadResume, KillDuringUploadThenResumeSendsOnlyMissingParts) {
  TempDir dir;
  fs::path root(dir.path());
  // A dedicated etcd holding ~60 MiB of random data, so the snapshot has many 5 MiB parts.
  std::string bin = RequireEnv("KB_TEST_ETCD36_BIN");
  std::string peer = "http://127.0.0.1:" + std::to_string(FreePort());
  ScratchEtcd etcd(bin, (root / "etcd").string(), "big", peer);
  ASSERT_TRUE(etcd.ready()) << etcd.log();
  PutRandomMiB(bin, etcd.endpoint(), root.string(), "/big/", 60, 42);
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  fs::path snaps = root / "snaps";
  auto snap = RunKbackup({"--output", "json", "--location", "file://" + (root / "local").string(),
                          "etcd", "snapshot", "--etcd-endpoints", etcd.endpoint(),
                          "--cluster-name", "resume", "--node-name", "n1", "--snapshot-dir",
                          snaps.string(), "--compression-level", "1"});
  ASSERT_EQ(snap.exit_code, 0) << snap.err;
  boost::system::error_code ec;
  auto so = json::parse(snap.out, ec).as_object();
  std::string name(so.at("name").as_string());
  auto compressed = so.at("size").to_number<std::int64_t>();
  ASSERT_GT(compressed, 30 << 20) << "snapshot too small for a multi-part test";

  std::string loc = "s3://" + RequireEnv("KB_TEST_S3_BUCKET") + "/resume-" +
                    std::to_string(::getpid()) + "?endpoint=" + RequireEnv("KB_TEST_S3_ENDPOINT") +
                    "&region=us-east-1&path_style=true";
  std::vector<std::string> env{"AWS_ACCESS_KEY_ID=" + RequireEnv("KB_TEST_S3_ACCESS_KEY"),
                               "AWS_SECRET_ACCESS_KEY=" + RequireEnv("KB_TEST_S3_SECRET_KEY")};

  // Run 1: slowed down (2 parts in flight at 4 MiB/s each), killed with SIGKILL mid-way.
  std::vector<std::string> argv{KB_BINARY_PATH, "--location", loc, "etcd", "upload", name,
                                "--snapshot-dir", snaps.string(), "--part-size", "5MiB",
                                "--upload-parallelism", "2", "--upload-rate-limit", "4MiB"};
  std::vector<std::string> envs;
  for (char** e = environ; *e != nullptr; ++e) envs.emplace_back(*e);
  envs.insert(envs.end(), env.begin(), env.end());
  std::vector<char*> cargv, cenv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  for (auto& e : envs) cenv.push_back(e.data());
  cenv.push_back(nullptr);
  pid_t pid = -1;
  ASSERT_EQ(posix_spawn(&pid, cargv[0], nullptr, nullptr, cargv.data(), cenv.data()), 0);
  fs::path journal = snaps / ("." + name + ".upload.json");
  int journaled = 0;
  for (int i = 0; i < 600 && journaled < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    journaled = UploadJournalParts(journal.string());
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the upload finished before it could be killed";
  journaled = UploadJournalParts(journal.string());
  ASSERT_GE(journaled, 3);
  // What MinIO holds of the killed upload, asked with the AWS CLI (not with kbackup).
  std::string upload_id;
  {
    std::ifstream in(journal);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    upload_id = std::string(json::parse(text, ec).as_object().at("upload_id").as_string());
  }
  std::string bucket = RequireEnv("KB_TEST_S3_BUCKET");
  std::string key = "resume-" + std::to_string(::getpid()) + "/plugins/kbackup/etcd/" + name +
                    ".db.zst";
  auto lp = RunCommand({"aws", "--endpoint-url", RequireEnv("KB_TEST_S3_ENDPOINT"), "--region",
                        "us-east-1", "s3api", "list-parts", "--bucket", bucket, "--key", key,
                        "--upload-id", upload_id, "--output", "json"},
                       env);
  ASSERT_EQ(lp.exit_code, 0) << lp.err;
  auto lpo = json::parse(lp.out, ec).as_object();
  int server_parts =
      lpo.contains("Parts") ? static_cast<int>(lpo.at("Parts").as_array().size()) : 0;
  EXPECT_GE(server_parts, journaled);

  // Run 2: resumes the same upload id and sends only what is missing.
  auto r = RunKbackup({"--output", "json", "--location", loc, "etcd", "upload", name,
                       "--snapshot-dir", snaps.string(), "--part-size", "5MiB"},
                      env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto ro = json::parse(r.out, ec).as_object();
  int total = static_cast<int>(ro.at("parts_total").to_number<std::int64_t>());
  int sent = static_cast<int>(ro.at("parts_sent").to_number<std::int64_t>());
  int reused = static_cast<int>(ro.at("parts_reused").to_number<std::int64_t>());
  EXPECT_TRUE(ro.at("resumed").as_bool());
  EXPECT_EQ(sent + reused, total);
  EXPECT_GE(reused, journaled) << "parts the journal recorded were sent again";
  // Every part MinIO already held is reused; only the parts missing there are sent. The parts
  // sent twice are the ones in flight when run 1 died: at most --upload-parallelism (2).
  EXPECT_EQ(sent, total - server_parts);
  EXPECT_EQ(reused, server_parts);
  EXPECT_FALSE(fs::exists(journal)) << "journal kept after a completed upload";

  // The object in MinIO equals the local file: verify re-downloads it and checks every hash.
  TempDir empty;
  auto v = RunKbackup({"--output", "json", "--location", loc, "etcd", "verify", name,
                       "--snapshot-dir", empty.path()},
                      env);
  ASSERT_EQ(v.exit_code, 0) << v.err;
  auto vo = json::parse(v.out, ec).as_object();
  EXPECT_TRUE(vo.at("verified").as_bool());
  EXPECT_EQ(vo.at("manifest").as_object().at("sha256"), so.at("sha256"));
}

}  // namespace
}  // namespace kb::testing
