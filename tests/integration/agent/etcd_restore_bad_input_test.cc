// Bad input never loses data: every refused restore exits non-zero with one clear line and
// leaves the existing data dir exactly as it was.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>

#include "tests/support/etcd_env.h"
#include "tests/support/test_env.h"

namespace kb::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

std::string ReadAll(fs::path const& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteAll(fs::path const& p, std::string const& s) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << s;
}

class EtcdRestoreBadInput : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = GetEtcdServer("ETCD36");
    root_ = fs::path(dir_.path());
    snaps_ = root_ / "snaps";
    std::vector<std::string> args{"--output", "json", "--location", "file://" + (root_ / "loc").string(),
                                  "etcd", "snapshot", "--cluster-name", "bad", "--node-name", "n1",
                                  "--snapshot-dir", snaps_.string()};
    auto flags = server_.KbackupFlags();
    args.insert(args.end(), flags.begin(), flags.end());
    auto r = RunKbackup(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    boost::system::error_code ec;
    name_ = std::string(json::parse(r.out, ec).as_object().at("name").as_string());
    data_dir_ = root_ / "data";
    fs::create_directories(data_dir_ / "member" / "snap");
    WriteAll(data_dir_ / "member" / "snap" / "db", "precious");
  }

  /// Runs a restore of `from` and checks the refusal: exit 1, one line, data dir untouched.
  void ExpectRefused(std::string const& from, std::string const& location,
                     std::string const& must_mention, std::vector<std::string> env = {}) {
    auto r = RunKbackup({"--location", location, "etcd", "restore", "--from", from, "--data-dir",
                         data_dir_.string(), "--snapshot-dir", snaps_.string(), "--etcd-tool",
                         server_.restore_tool, "--yes"},
                        env);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "want one line:\n" << r.err;
    EXPECT_NE(r.err.find(must_mention), std::string::npos) << r.err;
    EXPECT_EQ(ReadAll(data_dir_ / "member" / "snap" / "db"), "precious");
    for (auto const& e : fs::directory_iterator(root_)) {
      std::string f = e.path().filename().string();
      EXPECT_FALSE(f.starts_with(".kbackup-restore-")) << "work dir left behind: " << f;
      EXPECT_FALSE(f.find("kbackup-prev") != std::string::npos) << "data dir was moved: " << f;
    }
  }

  fs::path Zst() const { return snaps_ / (name_ + ".db.zst"); }
  fs::path Manifest() const { return snaps_ / (name_ + ".manifest.json"); }
  std::string FileLoc() const { return "file://" + (root_ / "loc").string(); }

  EtcdServer server_;
  TempDir dir_;
  fs::path root_, snaps_, data_dir_;
  std::string name_;
};

TEST_F(EtcdRestoreBadInput, OneFlippedByteIsRefused) {
  std::string data = ReadAll(Zst());
  data[data.size() / 2] = static_cast<char>(data[data.size() / 2] ^ 0x01);
  WriteAll(Zst(), data);
  ExpectRefused(name_, FileLoc(), "corrupt");
}

TEST_F(EtcdRestoreBadInput, TruncatedFileIsRefused) {
  std::string data = ReadAll(Zst());
  WriteAll(Zst(), data.substr(0, data.size() - 100));
  ExpectRefused(Zst().string(), FileLoc(), name_);
}

TEST_F(EtcdRestoreBadInput, ManifestThatDoesNotMatchIsRefused) {
  std::string m = ReadAll(Manifest());
  auto pos = m.find("\"db_sha256\": \"");
  ASSERT_NE(pos, std::string::npos);
  pos += 14;
  m[pos] = m[pos] == '0' ? '1' : '0';
  WriteAll(Manifest(), m);
  ExpectRefused(name_, FileLoc(), "mismatch");
}

TEST_F(EtcdRestoreBadInput, UnreachableLocationIsRefused) {
  int port = FreePort();
  ExpectRefused("not-local-" + name_,
                "s3://bucket/x?endpoint=http://127.0.0.1:" + std::to_string(port) +
                    "&region=us-east-1&path_style=true",
                "127.0.0.1", {"AWS_ACCESS_KEY_ID=a", "AWS_SECRET_ACCESS_KEY=b"});
}

TEST_F(EtcdRestoreBadInput, RawSnapshotWithBadTrailerIsRefused) {
  // A plain etcdctl-style file (db || sha256) with one byte changed in the db part.
  auto raw = root_ / "plain.db";
  auto save = server_.Etcdctl({"snapshot", "save", raw.string()});
  ASSERT_EQ(save.exit_code, 0) << save.err;
  std::string data = ReadAll(raw);
  data[4096 + 17] = static_cast<char>(data[4096 + 17] ^ 0x10);
  WriteAll(raw, data);
  ExpectRefused(raw.string(), FileLoc(), "hash mismatch");
}

TEST_F(EtcdRestoreBadInput, ExistingDataDirNeedsYes) {
  auto r = RunKbackup({"--location", FileLoc(), "etcd", "restore", "--from", name_, "--data-dir",
                       data_dir_.string(), "--snapshot-dir", snaps_.string(), "--etcd-tool",
                       server_.restore_tool});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--yes"), std::string::npos) << r.err;
  EXPECT_EQ(ReadAll(data_dir_ / "member" / "snap" / "db"), "precious");
}

TEST(EtcdCliErrors, UnreachableEtcdNamesEveryEndpoint) {
  TempDir dir;
  int p1 = FreePort(), p2 = FreePort();
  std::string e1 = "http://127.0.0.1:" + std::to_string(p1);
  std::string e2 = "http://127.0.0.1:" + std::to_string(p2);
  auto r = RunKbackup({"--location", "file://" + dir.path(), "etcd", "snapshot",
                       "--etcd-endpoints", e1 + "," + e2, "--etcd-dial-timeout", "1",
                       "--snapshot-dir", dir.path() + "/s"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(e1), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(e2), std::string::npos) << r.err;
}

TEST(EtcdCliErrors, ClientCertFromAnotherCaIsRejectedClearly) {
  auto s = GetEtcdServer("ETCD36");
  TempDir dir;
  auto r = RunKbackup({"--location", "file://" + dir.path(), "etcd", "snapshot",
                       "--etcd-endpoints", s.endpoint, "--etcd-cacert", s.cacert, "--etcd-cert",
                       RequireEnv("KB_TEST_ETCD_BAD_CERT"), "--etcd-key",
                       RequireEnv("KB_TEST_ETCD_BAD_KEY"), "--etcd-dial-timeout", "2",
                       "--snapshot-dir", dir.path() + "/s"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(s.endpoint), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(fs::path(dir.path()) / "s") &&
               !fs::is_empty(fs::path(dir.path()) / "s"))
      << "a failed snapshot left files";
}

TEST(EtcdCliErrors, UsageErrorsExitTwo) {
  EXPECT_EQ(RunKbackup({"etcd", "snapshot", "--no-such-flag"}).exit_code, 2);
  auto bad_loc = RunKbackup({"--location", "ftp://x", "etcd", "list"});
  EXPECT_EQ(bad_loc.exit_code, 2);
  EXPECT_NE(bad_loc.err.find("ftp://x"), std::string::npos) << bad_loc.err;
  auto missing_cert = RunKbackup({"etcd", "snapshot", "--etcd-cert", "/nonexistent/c.crt",
                                  "--etcd-key", "/nonexistent/c.key"});
  EXPECT_EQ(missing_cert.exit_code, 2);
  EXPECT_NE(missing_cert.err.find("/nonexistent/c.crt"), std::string::npos) << missing_cert.err;
  auto help = RunKbackup({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Exit codes"), std::string::npos);
}

TEST(EtcdCliErrors, PasswordNeverPrinted) {
  TempDir dir;
  std::string endpoint = RequireEnv("KB_TEST_ETCDAUTH_ENDPOINT");
  auto r = RunKbackup({"-vv", "--location", "file://" + dir.path(), "etcd", "snapshot",
                       "--etcd-endpoints", endpoint, "--etcd-user",
                       RequireEnv("KB_TEST_ETCDAUTH_USER"), "--snapshot-dir", dir.path() + "/s"},
                      {"KBACKUP_ETCD_PASSWORD=wrong-Secret-123"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out.find("wrong-Secret-123"), std::string::npos);
  EXPECT_EQ(r.err.find("wrong-Secret-123"), std::string::npos) << r.err;
  auto ok = RunKbackup({"-vv", "--output", "json", "--location", "file://" + dir.path(), "etcd",
                        "snapshot", "--etcd-endpoints", endpoint, "--etcd-user",
                        RequireEnv("KB_TEST_ETCDAUTH_USER"), "--snapshot-dir", dir.path() + "/s"},
                       {"KBACKUP_ETCD_PASSWORD=" + RequireEnv("KB_TEST_ETCDAUTH_PASSWORD")});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ok.err.find(RequireEnv("KB_TEST_ETCDAUTH_PASSWORD")), std::string::npos);
}

}  // namespace
}  // namespace kb::testing
