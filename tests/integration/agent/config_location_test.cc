// kbackup config validate and kbackup location check, against the real MinIO of the test env:
// a location named in the config file, its credentials by reference, and each kind of failure
// named.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "agent/base/clock.h"
#include "agent/base/json.h"
#include "tests/support/etcd_env.h"
#include "tests/support/test_env.h"
#include "tests/support/velero_env.h"

namespace kb::testing {
namespace {

std::string Endpoint() { return RequireEnv("KB_TEST_S3_ENDPOINT"); }

std::string S3Url(std::string const& bucket, std::string const& prefix,
                  std::string const& endpoint) {
  return "s3://" + bucket + "/" + prefix + "?endpoint=" + endpoint + "&region=us-east-1";
}

/// The prefix of a MinIO location's URL (s3://BUCKET/PREFIX?...).
std::string PrefixOf(MinioLocation const& loc) {
  auto const slash = loc.url.find('/', 5);
  return loc.url.substr(slash + 1, loc.url.find('?') - slash - 1);
}

/// A config with the locations the checks use; the keys are in a credentials file and in
/// environment variables, never in the config.
std::string WriteConfig(TempDir const& dir, std::string const& prefix) {
  std::string const creds = dir.path() + "/aws-credentials";
  std::ofstream(creds) << "[default]\naws_access_key_id = " << RequireEnv("KB_TEST_S3_ACCESS_KEY")
                       << "\naws_secret_access_key = " << RequireEnv("KB_TEST_S3_SECRET_KEY")
                       << "\n[wrong]\naws_access_key_id = " << RequireEnv("KB_TEST_S3_ACCESS_KEY")
                       << "\naws_secret_access_key = not-the-secret\n";
  std::string const bucket = RequireEnv("KB_TEST_S3_BUCKET");
  std::string const file = dir.path() + "/config.yaml";
  std::ofstream(file) << "cluster: test\nlocations:\n"
                      << "  good:\n    url: " << S3Url(bucket, prefix, Endpoint())
                      << "\n    credentials: {file: " << creds << "}\n"
                      << "  from-env:\n    url: " << S3Url(bucket, prefix, Endpoint())
                      << "\n    credentials: {access_key_id_env: KB_T_KEY, "
                         "secret_access_key_env: KB_T_SECRET}\n"
                      << "  wrong-secret:\n    url: " << S3Url(bucket, prefix, Endpoint())
                      << "\n    credentials: {file: " << creds << ", profile: wrong}\n"
                      << "  no-bucket:\n    url: " << S3Url("kbackup-no-such-bucket", prefix, Endpoint())
                      << "\n    credentials: {file: " << creds << "}\n"
                      << "  refused:\n    url: " << S3Url(bucket, prefix, "http://127.0.0.1:1")
                      << "\n    credentials: {file: " << creds << "}\n"
                      << "  no-dns:\n    url: " << S3Url(bucket, prefix, "http://kbackup-test.invalid:9000")
                      << "\n    credentials: {file: " << creds << "}\n"
                      // MinIO over https: its CA given, and not given (the system store lacks it).
                      << "  tls:\n    url: \""
                      << S3Url(RequireEnv("KB_TEST_S3TLS_BUCKET"), prefix,
                               RequireEnv("KB_TEST_S3TLS_ENDPOINT"))
                      << "&ca_file=" << RequireEnv("KB_TEST_S3TLS_CA")
                      << "\"\n    credentials: {file: " << creds << "}\n"
                      << "  tls-untrusted:\n    url: "
                      << S3Url(RequireEnv("KB_TEST_S3TLS_BUCKET"), prefix,
                               RequireEnv("KB_TEST_S3TLS_ENDPOINT"))
                      << "\n    credentials: {file: " << creds << "}\n";
  return file;
}

/// Runs `kbackup --config FILE -o json location check NAME`; returns the JSON result.
json::object Check(std::string const& file, std::string const& name, int expected_exit) {
  auto r = RunKbackup({"--config", file, "-o", "json", "location", "check", name},
                      {"KB_T_KEY=" + RequireEnv("KB_TEST_S3_ACCESS_KEY"),
                       "KB_T_SECRET=" + RequireEnv("KB_TEST_S3_SECRET_KEY")});
  EXPECT_EQ(r.exit_code, expected_exit) << name << ": " << r.err;
  boost::system::error_code ec;
  json::value v = json::parse(r.out, ec);
  EXPECT_FALSE(ec) << r.out << r.err;
  return v.is_object() ? v.as_object() : json::object();
}

/// "step: result" of the last step of a check.
std::string LastStep(json::object const& check) {
  auto const* steps = check.if_contains("steps");
  if (steps == nullptr || !steps->is_array() || steps->as_array().empty()) return "(none)";
  auto const& s = steps->as_array().back().as_object();
  return JsonString(s, "step") + ": " + JsonString(s, "result");
}

TEST(LocationCheck, PassesOnAGoodLocationAndLeavesNothingBehind) {
  TempDir dir;
  MinioLocation loc("location-check");
  std::string const prefix = PrefixOf(loc);
  std::string const file = WriteConfig(dir, prefix);
  for (std::string name : {"good", "from-env", "tls"}) {
    json::object ok = Check(file, name, 0);
    EXPECT_EQ(LastStep(ok), "delete: ok") << json::serialize(ok);
    EXPECT_EQ(ok.at("steps").as_array().size(), 5u) << "open, write, read, list, delete";
  }
  EXPECT_TRUE(loc.Keys("kbackup-probe/").empty()) << "the probe objects are deleted";
}

TEST(LocationCheck, NamesWhatFailed) {
  TempDir dir;
  std::string const file = WriteConfig(dir, "location-check-failures");
  EXPECT_EQ(LastStep(Check(file, "wrong-secret", 1)), "write: TLS or credentials refused");
  json::object untrusted = Check(file, "tls-untrusted", 1);
  EXPECT_EQ(LastStep(untrusted), "write: TLS or credentials refused");
  EXPECT_NE(json::serialize(untrusted).find("TLS certificate is not trusted; pass its CA with "
                                            "ca_file=PATH"),
            std::string::npos)
      << json::serialize(untrusted);
  EXPECT_EQ(LastStep(Check(file, "no-bucket", 1)), "write: bucket or path not found");
  json::object refused = Check(file, "refused", 1);
  EXPECT_EQ(LastStep(refused), "write: unreachable (DNS, connection or timeout)");
  json::object no_dns = Check(file, "no-dns", 1);
  EXPECT_EQ(LastStep(no_dns), "write: unreachable (DNS, connection or timeout)");
  EXPECT_NE(json::serialize(no_dns).find("does not resolve (DNS)"), std::string::npos)
      << json::serialize(no_dns);
  // An unknown name: a usage error naming the names the config has.
  auto r = RunKbackup({"--config", file, "location", "check", "nope"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no location named \"nope\" (defined: good, from-env"), std::string::npos)
      << r.err;
}

TEST(ConfigValidate, ListsEveryProblemWithItsLine) {
  TempDir dir;
  std::string const good = WriteConfig(dir, "validate");
  auto ok = RunKbackup({"config", "validate", good});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("valid: cluster test, 8 location(s)"), std::string::npos) << ok.out;

  std::string const bad = dir.path() + "/bad.yaml";
  std::ofstream(bad) << "cluster: test\nlocatons: {}\netcd_snapshots:\n  schedule: \"0 25 * * *\"\n"
                        "  location: primary\n";
  auto r = RunKbackup({"config", "validate", bad});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(bad + ":2: locatons: unknown key"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(bad + ":4: etcd_snapshots.schedule:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(bad + ":5: etcd_snapshots.location: no location \"primary\""),
            std::string::npos) << r.err;
  EXPECT_NE(r.err.find("3 problem(s)"), std::string::npos) << r.err;
  // Any command given that config refuses it with the first problem.
  auto list = RunKbackup({"--config", bad, "etcd", "list"});
  EXPECT_EQ(list.exit_code, 2);
  EXPECT_NE(list.err.find(":2: locatons: unknown key"), std::string::npos) << list.err;
}

TEST(ConfigLocation, CommandsUseANamedLocationWithItsCredentials) {
  TempDir dir;
  MinioLocation loc("config-named");
  std::string const prefix = PrefixOf(loc);
  std::string const file = WriteConfig(dir, prefix);
  // No AWS_* variables: the credentials come from the file the config names.
  auto r = RunKbackup({"--config", file, "--location", "good", "-o", "json", "backup", "list"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "[]\n");
  auto wrong = RunKbackup({"--config", file, "--location", "wrong-secret", "backup", "list"});
  EXPECT_EQ(wrong.exit_code, 1) << wrong.err;
  EXPECT_EQ(wrong.err.find("not-the-secret"), std::string::npos) << "never a secret in output";
}

TEST(ConfigLocation, EtcdSnapshotTakesItsDefaultsFromTheConfig) {
  TempDir dir;
  MinioLocation loc("config-defaults");
  EtcdServer etcd = GetEtcdServer("ETCD36");
  std::string const file = dir.path() + "/config.yaml";
  std::ofstream(file) << "cluster: fromconfig\nnode: cp9\nsnapshot_dir: " << dir.path()
                      << "/snaps\netcd:\n  endpoints: [" << etcd.endpoint << "]\n  cacert: "
                      << etcd.cacert << "\n  cert: " << etcd.cert << "\n  key: " << etcd.key
                      << "\nlocations:\n  m:\n    url: \"" << loc.url << "\"\n"
                      << "    credentials: {access_key_id_env: KB_T_KEY, secret_access_key_env: "
                         "KB_T_SECRET}\netcd_snapshots: {schedule: never, location: m, "
                         "expiry: 30d, keep_local: 1}\n";
  // No etcd flag, no --location, no AWS_* variable: all from the config.
  auto r = RunKbackup({"--config", file, "-o", "json", "etcd", "snapshot"},
                      {"KB_T_KEY=" + RequireEnv("KB_TEST_S3_ACCESS_KEY"),
                       "KB_T_SECRET=" + RequireEnv("KB_TEST_S3_SECRET_KEY")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json::object out = json::parse(r.out).as_object();
  std::string const name = JsonString(out, "name");
  EXPECT_TRUE(name.starts_with("fromconfig-etcd-cp9-")) << name;
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/snaps/" + name + ".manifest.json"));
  json::object manifest =
      json::parse(loc.Read("plugins/kbackup/etcd/" + name + ".manifest.json")).as_object();
  std::chrono::system_clock::time_point created, expires;
  ASSERT_TRUE(ParseRfc3339(JsonString(manifest, "created_at"), created)) << json::serialize(manifest);
  ASSERT_TRUE(ParseRfc3339(JsonString(manifest, "expires_at"), expires)) << json::serialize(manifest);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::hours>(expires - created).count(), 30 * 24);

  // etcd verify finds it in the config's snapshot dir (no --snapshot-dir, and an environment
  // snapshot dir that a config overrides).
  auto v = RunKbackup({"--config", file, "-o", "json", "etcd", "verify", name},
                      {"KB_T_KEY=" + RequireEnv("KB_TEST_S3_ACCESS_KEY"),
                       "KB_T_SECRET=" + RequireEnv("KB_TEST_S3_SECRET_KEY"),
                       "KBACKUP_SNAPSHOT_DIR=" + dir.path() + "/elsewhere"});
  ASSERT_EQ(v.exit_code, 0) << v.err;
  json::object vo = json::parse(v.out).as_object();
  EXPECT_TRUE(vo.at("verified").as_bool()) << v.out;
  EXPECT_TRUE(JsonString(vo, "source").starts_with(dir.path() + "/snaps/")) << v.out;
}

}  // namespace
}  // namespace kb::testing
