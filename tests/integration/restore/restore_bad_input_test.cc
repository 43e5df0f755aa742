// Bad backups given to kbackup restore create, each with a tarball of its own in a real MinIO
// location, restored into the real cluster b: a bad tarball applies nothing; a bad item is a
// failure in the report while the other items are restored.
#include <gtest/gtest.h>

#include "agent/base/json.h"
#include "tests/support/restore_env.h"
#include "tests/support/test_tarballs.h"

namespace kb::testing {
namespace {

TestTarEntry File(std::string path, std::string content) {
  TestTarEntry e;
  e.path = std::move(path);
  e.content = std::move(content);
  return e;
}

TestTarEntry Special(std::string path, TestTarType type, std::string target = "") {
  TestTarEntry e;
  e.path = std::move(path);
  e.type = type;
  e.link_target = std::move(target);
  return e;
}

TestTarEntry Lying(std::string path, std::string content, std::uint64_t declared) {
  TestTarEntry e = File(std::move(path), std::move(content));
  e.declared_size = declared;
  return e;
}

std::string ConfigMapJson(std::string const& ns, std::string const& name) {
  return R"({"apiVersion":"v1","data":{"k":"v"},"kind":"ConfigMap","metadata":{"name":")" +
         name + R"(","namespace":")" + ns + R"("}})";
}

/// Entries of a good backup of namespace `ns`: version, the namespace and two ConfigMaps.
std::vector<TestTarEntry> GoodEntries(std::string const& ns) {
  return {
      File("metadata/version", "1.1.0\n"),
      File("resources/namespaces/cluster/" + ns + ".json",
           R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":")" + ns + R"("}})"),
      File("resources/configmaps/namespaces/" + ns + "/one.json", ConfigMapJson(ns, "one")),
      File("resources/configmaps/namespaces/" + ns + "/two.json", ConfigMapJson(ns, "two")),
  };
}

/// Writes backups/<name>/ with `tarball` and a velero-backup.json of `phase`.
void PutBackup(MinioLocation const& loc, std::string const& name, std::string const& tarball,
               std::string const& phase = "Completed") {
  std::string meta = R"({"apiVersion":"velero.io/v1","kind":"Backup","metadata":{"name":")" +
                     name + R"(","namespace":"velero"},"spec":{},"status":{"phase":")" + phase +
                     R"(","formatVersion":"1.1.0","version":1}})";
  ASSERT_TRUE(loc.store->Put("backups/" + name + "/" + name + ".tar.gz", tarball, {}).ok());
  ASSERT_TRUE(loc.store->Put("backups/" + name + "/velero-backup.json", meta, {}).ok());
}

struct Outcome {
  int code = -1;
  std::string err;
  json::object result;
};

Outcome Restore(MinioLocation const& loc, std::string const& backup, std::string const& target) {
  Outcome o;
  o.result = RestoreIntoClusterB(loc.url, loc.env, "r-" + backup, backup,
                                 {"--namespace-mappings", "src:" + target}, o.code, &o.err);
  return o;
}

bool NamespaceExists(std::string const& ns) {
  return Kubectl("B", {"get", "namespace", ns}).exit_code == 0;
}

TEST(RestoreBadInput, TarballsThatApplyNothing) {
  MinioLocation loc("restore-bad");
  struct Case {
    std::string name;
    std::function<std::string()> tarball;
    std::string says;  // a piece of the one-line error
  };
  auto with = [](TestTarEntry extra) {
    auto e = GoodEntries("src");
    e.push_back(std::move(extra));
    return MakeTarball(e);
  };
  std::vector<Case> cases{
      {"absolute", [&] { return with(File("/etc/kbackup-evil.json", "{}")); },
       "/etc/kbackup-evil.json"},
      {"dotdot", [&] { return with(File("resources/../../evil.json", "{}")); },
       "evil.json"},
      {"symlink", [&] {
         return with(Special("resources/configmaps/namespaces/src/link.json",
                             TestTarType::kSymlink, "/etc/passwd"));
       }, "link.json"},
      {"hardlink", [&] {
         return with(Special("resources/configmaps/namespaces/src/hard.json",
                             TestTarType::kHardlink, "metadata/version"));
       }, "hard.json"},
      {"device", [&] {
         return with(Special("resources/dev.json", TestTarType::kCharDevice));
       }, "dev.json"},
      {"oversize", [&] {
         return with(File("resources/configmaps/namespaces/src/huge.json",
                          std::string((32u << 20) + 1, ' ')));
       }, "huge.json"},
      {"size-lies", [&] {
         // The data runs two blocks past what the header declares: a reader that trusts the
         // header reads the rest as the next header.
         return with(Lying("resources/configmaps/namespaces/src/lie.json",
                           ConfigMapJson("src", std::string(1200, 'x')), 10));
       }, ""},
      {"truncated", [&] {
         std::string t = MakeTarball(GoodEntries("src"));
         return TruncateGzip(t, t.size() / 2);
       }, ""},
      {"version-2", [&] {
         auto e = GoodEntries("src");
         e[0].content = "2.0.0\n";
         return MakeTarball(e);
       }, "2.0.0"},
      {"missing-type", [&] {
         return with(File("resources/gadgets.example.org/namespaces/src/g.json",
                          R"({"apiVersion":"example.org/v1","kind":"Gadget",)"
                          R"("metadata":{"name":"g","namespace":"src"}})"));
       }, "gadgets.example.org"},
  };
  for (auto const& c : cases) {
    std::string const backup = "bad-" + c.name + "-" + UniqueSuffix();
    std::string const target = "bad-" + c.name + "-" + UniqueSuffix();
    PutBackup(loc, backup, c.tarball());
    Outcome o = Restore(loc, backup, target);
    EXPECT_EQ(o.code, 1) << c.name << ": " << o.err;
    EXPECT_NE(o.err.find("kbackup: "), std::string::npos) << c.name << ": " << o.err;
    EXPECT_NE(o.err.find(c.says), std::string::npos) << c.name << ": " << o.err;
    EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << c.name << ": one line: " << o.err;
    EXPECT_FALSE(NamespaceExists(target)) << c.name << ": nothing may be applied";
    EXPECT_TRUE(loc.Keys("restores/r-" + backup + "/").empty()) << c.name;
  }
}

TEST(RestoreBadInput, BackupsNotFinishedAreRefused) {
  MinioLocation loc("restore-phase");
  for (std::string phase : {"InProgress", "Failed", "FailedValidation"}) {
    std::string const backup = "phase-" + UniqueSuffix();
    PutBackup(loc, backup, MakeTarball(GoodEntries("src")), phase);
    Outcome o = Restore(loc, backup, "phase-" + UniqueSuffix());
    EXPECT_EQ(o.code, 1) << phase;
    EXPECT_NE(o.err.find("is " + phase + ": only a Completed or PartiallyFailed backup"),
              std::string::npos) << o.err;
  }
  Outcome missing = Restore(loc, "no-such-backup", "x");
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.err.find("no backup no-such-backup"), std::string::npos) << missing.err;
}

TEST(RestoreBadInput, BadItemsFailAloneAndTheRestIsRestored) {
  MinioLocation loc("restore-items");
  std::string const backup = "items-" + UniqueSuffix();
  std::string const target = "items-" + UniqueSuffix();
  auto e = GoodEntries("src");
  e.push_back(File("resources/configmaps/namespaces/src/broken.json", "{\"kind\":"));
  e.push_back(File("resources/configmaps/namespaces/src/wrong-kind.json",
                   R"({"apiVersion":"v1","kind":"Secret","metadata":)"
                   R"({"name":"wrong-kind","namespace":"src"}})"));
  PutBackup(loc, backup, MakeTarball(e));
  Outcome o = Restore(loc, backup, target);
  EXPECT_EQ(o.code, 1) << "a failed item fails the restore: " << o.err;
  EXPECT_EQ(JsonString(o.result, "phase"), "PartiallyFailed");
  EXPECT_EQ(JsonInt(o.result, "failed"), 2) << json::serialize(o.result);
  EXPECT_EQ(JsonInt(o.result, "created"), 3);  // the namespace and two ConfigMaps
  std::string failures;
  for (auto const& i : o.result.at("items").as_array()) {
    failures += JsonString(i.as_object(), "name") + ": " + JsonString(i.as_object(), "message") + "\n";
  }
  EXPECT_NE(failures.find("broken: invalid JSON"), std::string::npos) << failures;
  EXPECT_NE(failures.find("wrong-kind: kind Secret does not match its path resources/configmaps/"),
            std::string::npos) << failures;
  EXPECT_TRUE(NamespaceExists(target));
  EXPECT_EQ(Kubectl("B", {"-n", target, "get", "configmap", "one"}).exit_code, 0);
  // The report in the location names them too.
  std::string results = GunzipForTest(
      loc.Read("restores/r-" + backup + "/restore-r-" + backup + "-results.gz"));
  EXPECT_NE(results.find("broken"), std::string::npos) << results;
}

}  // namespace
}  // namespace kb::testing
