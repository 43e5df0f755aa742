// The global flags (--location, -o/--output, -v/--verbose) are accepted before the verb, after
// it, and between verbs, as kubectl and velero accept theirs; unknown flags stay usage errors.
// Runs the built binary on file:// locations: no server needed.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>

#include "tests/support/test_env.h"

namespace kb::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

json::value ParseOut(CommandResult const& r) {
  boost::system::error_code ec;
  auto v = json::parse(r.out, ec);
  EXPECT_FALSE(ec) << "stdout is not one JSON document: " << r.out << "\nstderr: " << r.err;
  return v;
}

long CountLines(std::string const& s) { return std::count(s.begin(), s.end(), '\n'); }

class GlobalFlags : public ::testing::Test {
 protected:
  void SetUp() override {
    // One Velero backup's metadata in a file:// location, so that a listing that read the
    // location named by the flag differs from one that read the default location.
    fs::path meta = fs::path(dir_.path()) / "loc" / "backups" / "b1" / "velero-backup.json";
    fs::create_directories(meta.parent_path());
    std::ofstream(meta) << R"({"apiVersion":"velero.io/v1","kind":"Backup",)"
                           R"("metadata":{"name":"b1","namespace":"velero"},)"
                           R"("status":{"phase":"Completed",)"
                           R"("startTimestamp":"2026-12-01T00:00:00Z"}})";
    location_ = "file://" + (fs::path(dir_.path()) / "loc").string();
    fs::create_directories(fs::path(dir_.path()) / "empty");
    empty_location_ = "file://" + (fs::path(dir_.path()) / "empty").string();
  }

  /// Expects exit 0 and a JSON array on stdout naming exactly the backups in `names`.
  void ExpectBackupList(CommandResult const& r, std::vector<std::string> const& names) {
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto v = ParseOut(r);
    ASSERT_TRUE(v.is_array()) << r.out;
    std::vector<std::string> got;
    for (auto const& b : v.as_array()) got.emplace_back(b.as_object().at("name").as_string());
    EXPECT_EQ(got, names) << r.out;
  }

  TempDir dir_;
  std::string location_, empty_location_;
};

TEST_F(GlobalFlags, AfterTheVerb) {
  auto etcd = RunKbackup({"etcd", "list", "--location", empty_location_, "-o", "json"});
  ASSERT_EQ(etcd.exit_code, 0) << etcd.err;
  auto v = ParseOut(etcd);
  EXPECT_TRUE(v.is_array() && v.as_array().empty()) << etcd.out;

  ExpectBackupList(RunKbackup({"backup", "list", "--location", location_, "--output", "json"}),
                   {"b1"});
  ExpectBackupList(RunKbackup({"backup", "list", "--location=" + location_, "--output=json"}),
                   {"b1"});
  ExpectBackupList(RunKbackup({"backup", "list", "--location", location_, "-ojson"}), {"b1"});
}

TEST_F(GlobalFlags, BeforeBetweenAndAfterVerbs) {
  ExpectBackupList(RunKbackup({"-o", "json", "backup", "list", "--location", location_}), {"b1"});
  ExpectBackupList(RunKbackup({"--location", location_, "-o", "json", "backup", "list"}), {"b1"});
  ExpectBackupList(RunKbackup({"backup", "-o", "json", "list", "--location", location_}), {"b1"});
  ExpectBackupList(RunKbackup({"backup", "--location", location_, "list", "-v", "-o", "json"}),
                   {"b1"});
  // Given twice, the last one counts (as with kubectl), wherever each stands.
  ExpectBackupList(RunKbackup({"--location", empty_location_, "-o", "table", "backup", "list",
                               "--location", location_, "-o", "json"}),
                   {"b1"});
  auto last_empty = RunKbackup({"--location", location_, "backup", "list", "--location",
                                empty_location_, "-o", "json"});
  ASSERT_EQ(last_empty.exit_code, 0) << last_empty.err;
  EXPECT_EQ(last_empty.out, "[]\n");
}

TEST_F(GlobalFlags, TableByDefaultAndVerboseAfterTheVerb) {
  auto table = RunKbackup({"backup", "list", "--location", location_});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("NAME"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("b1"), std::string::npos) << table.out;
  auto verbose = RunKbackup({"backup", "list", "--location", location_, "-vv", "-o", "json"});
  ExpectBackupList(verbose, {"b1"});
}

TEST_F(GlobalFlags, ValuesAreStillChecked) {
  // The location given after the verb is the one opened: an unsupported scheme is a usage error.
  auto bad_loc = RunKbackup({"etcd", "list", "--location", "ftp://x"});
  EXPECT_EQ(bad_loc.exit_code, 2);
  EXPECT_NE(bad_loc.err.find("ftp://x"), std::string::npos) << bad_loc.err;
  auto bad_output = RunKbackup({"backup", "list", "--location", location_, "-o", "yaml"});
  EXPECT_EQ(bad_output.exit_code, 2);
  EXPECT_NE(bad_output.err.find("yaml"), std::string::npos) << bad_output.err;
  EXPECT_TRUE(bad_output.out.empty()) << bad_output.out;
}

TEST_F(GlobalFlags, UnknownFlagIsAUsageErrorOnOneLine) {
  for (auto const& args : std::vector<std::vector<std::string>>{
           {"etcd", "list", "--location", location_, "--no-such-flag"},
           {"--no-such-flag", "backup", "list", "--location", location_},
           {"backup", "--no-such-flag", "list"}}) {
    auto r = RunKbackup(args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(CountLines(r.err), 1) << "want one line:\n" << r.err;
    EXPECT_NE(r.err.find("--no-such-flag"), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
  // A stray positional is not taken by a parent command either.
  auto extra = RunKbackup({"backup", "list", "--location", location_, "stray"});
  EXPECT_EQ(extra.exit_code, 2) << extra.err;
  EXPECT_NE(extra.err.find("stray"), std::string::npos) << extra.err;
}

TEST_F(GlobalFlags, HelpListsThem) {
  auto top = RunKbackup({"--help"});
  ASSERT_EQ(top.exit_code, 0) << top.err;
  for (char const* flag : {"--location", "--output", "--verbose"}) {
    EXPECT_NE(top.out.find(flag), std::string::npos) << flag << " missing from:\n" << top.out;
  }
  // A verb's help says where the global flags are and that they may follow it.
  auto verb = RunKbackup({"etcd", "list", "--help"});
  ASSERT_EQ(verb.exit_code, 0) << verb.err;
  EXPECT_NE(verb.out.find("--location"), std::string::npos) << verb.out;
  EXPECT_NE(verb.out.find("after any verb"), std::string::npos) << verb.out;
}

}  // namespace
}  // namespace kb::testing
