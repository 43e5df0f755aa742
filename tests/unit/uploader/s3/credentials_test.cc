// The credential chain: environment, then the shared credentials and config files.
#include "uploader/s3/credentials.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "tests/support/test_env.h"

namespace kb::uploader {
namespace {

EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars](std::string const& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

constexpr char kCredentials[] = R"(# comment
[default]
aws_access_key_id = AKDEFAULT
aws_secret_access_key=SKDEFAULT

; another comment
[ prod ]
AWS_ACCESS_KEY_ID   =   AKPROD
aws_secret_access_key = SK/PROD+==
aws_session_token = TOKEN
)";

TEST(Credentials, ParsesProfilesAsTheCliDoes) {
  auto def = ParseSharedCredentials(kCredentials, "default", "creds", false);
  ASSERT_TRUE(def.ok() && def->has_value());
  EXPECT_EQ((*def)->access_key_id, "AKDEFAULT");
  EXPECT_EQ((*def)->secret_access_key.reveal(), "SKDEFAULT");
  EXPECT_TRUE((*def)->session_token.empty());
  auto prod = ParseSharedCredentials(kCredentials, "prod", "creds", false);
  ASSERT_TRUE(prod.ok() && prod->has_value());
  EXPECT_EQ((*prod)->access_key_id, "AKPROD");
  EXPECT_EQ((*prod)->secret_access_key.reveal(), "SK/PROD+==");
  EXPECT_EQ((*prod)->session_token.reveal(), "TOKEN");
  EXPECT_EQ((*prod)->source, "creds [prod]");
  auto none = ParseSharedCredentials(kCredentials, "staging", "creds", false);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TEST(Credentials, ConfigFileUsesTheProfilePrefix) {
  std::string config = "[default]\nregion = us-east-1\n[profile ops]\naws_access_key_id = AKOPS\n"
                       "aws_secret_access_key = SKOPS\ns3 =\n  max_concurrent_requests = 20\n"
                       "[ops]\naws_access_key_id = WRONG\naws_secret_access_key = WRONG\n";
  auto ops = ParseSharedCredentials(config, "ops", "config", true);
  ASSERT_TRUE(ops.ok() && ops->has_value()) << ops.status().ToString();
  EXPECT_EQ((*ops)->access_key_id, "AKOPS");
  auto def = ParseSharedCredentials(config, "default", "config", true);
  ASSERT_TRUE(def.ok());
  EXPECT_FALSE(def->has_value());  // a profile without keys
}

TEST(Credentials, MalformedInputNamesTheFileAndLine) {
  auto bad = ParseSharedCredentials("[default\naws_access_key_id=x\n", "default", "f", false);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("f:1"), std::string::npos);
  auto half = ParseSharedCredentials("[default]\naws_access_key_id=x\n", "default", "f", false);
  EXPECT_EQ(half.status().code(), StatusCode::kInvalidArgument);
}

TEST(Credentials, EnvironmentComesFirst) {
  kb::testing::TempDir dir;
  std::string file = dir.path() + "/credentials";
  std::ofstream(file) << kCredentials;
  auto c = ResolveDefaultCredentials(Env({{"AWS_ACCESS_KEY_ID", "AKENV"},
                                          {"AWS_SECRET_ACCESS_KEY", "SKENV"},
                                          {"AWS_SESSION_TOKEN", "TKENV"},
                                          {"AWS_SHARED_CREDENTIALS_FILE", file}}));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "AKENV");
  EXPECT_EQ(c->session_token.reveal(), "TKENV");
  EXPECT_EQ(c->source, "environment");
  EXPECT_EQ(ResolveDefaultCredentials(Env({{"AWS_ACCESS_KEY_ID", "AK"}})).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(Credentials, ThenTheFilesWithTheChosenProfile) {
  kb::testing::TempDir dir;
  std::string file = dir.path() + "/credentials";
  std::ofstream(file) << kCredentials;
  auto c = ResolveDefaultCredentials(
      Env({{"AWS_SHARED_CREDENTIALS_FILE", file}, {"AWS_PROFILE", "prod"}}));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, "AKPROD");
  // ~/.aws/credentials through HOME, default profile.
  std::filesystem::create_directories(dir.path() + "/.aws");
  std::ofstream(dir.path() + "/.aws/credentials") << kCredentials;
  c = ResolveDefaultCredentials(Env({{"HOME", dir.path()}}));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "AKDEFAULT");
  // The config file when the credentials file lacks the profile.
  std::ofstream(dir.path() + "/.aws/config") << "[profile cfg]\naws_access_key_id = AKCFG\n"
                                                "aws_secret_access_key = SKCFG\n";
  c = ResolveDefaultCredentials(Env({{"HOME", dir.path()}, {"AWS_PROFILE", "cfg"}}));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, "AKCFG");
}

TEST(Credentials, NothingFoundSaysWhatWasTried) {
  auto c = ResolveDefaultCredentials(Env({{"HOME", "/nonexistent-home"}}));
  EXPECT_EQ(c.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(c.status().message().find("/nonexistent-home/.aws/credentials"), std::string::npos)
      << c.status().message();
}

TEST(Credentials, SecretsNeverPrint) {
  auto c = ResolveDefaultCredentials(
      Env({{"AWS_ACCESS_KEY_ID", "AK"}, {"AWS_SECRET_ACCESS_KEY", "topsecret"}}));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(fmt::format("{} {}", c->secret_access_key, c->session_token),
            "<redacted> <redacted>");
}

}  // namespace
}  // namespace kb::uploader
