// Location URLs: what parses, what is refused (with the URL named, secrets redacted).
#include "uploader/location.h"

#include <gtest/gtest.h>

#include "tests/support/test_env.h"

namespace kb::uploader {
namespace {

LocationOptions WithCredentials() {
  LocationOptions o;
  AwsCredentials c;
  c.access_key_id = "AK";
  c.secret_access_key = Secret<std::string>("SK");
  o.credentials = c;
  return o;
}

TEST(Location, S3Defaults) {
  auto aws = ParseS3Location("s3://my-bucket");
  ASSERT_TRUE(aws.ok());
  EXPECT_EQ(aws->bucket, "my-bucket");
  EXPECT_EQ(aws->prefix, "");
  EXPECT_EQ(aws->endpoint, "");
  EXPECT_EQ(aws->region, "us-east-1");
  EXPECT_FALSE(aws->path_style);  // AWS: virtual-hosted
  auto minio = ParseS3Location("s3://b/a/b/?endpoint=http%3A%2F%2F127.0.0.1%3A9000&region=eu-1");
  ASSERT_TRUE(minio.ok()) << minio.status().ToString();
  EXPECT_EQ(minio->prefix, "a/b");
  EXPECT_EQ(minio->endpoint, "http://127.0.0.1:9000");
  EXPECT_EQ(minio->region, "eu-1");
  EXPECT_TRUE(minio->path_style);  // an endpoint: path-style unless told otherwise
  auto vhost = ParseS3Location("s3://b?endpoint=https://s3.example.com/&path_style=false&"
                               "ca_file=/etc/ca.pem");
  ASSERT_TRUE(vhost.ok());
  EXPECT_FALSE(vhost->path_style);
  EXPECT_EQ(vhost->endpoint, "https://s3.example.com");
  EXPECT_EQ(vhost->ca_file, "/etc/ca.pem");
}

TEST(Location, BadS3UrlsAreInvalidArgumentNamingTheUrl) {
  for (std::string url : {"s3://", "s3:///prefix", "s3://b?colour=red", "s3://b?path_style=yes",
                          "s3://b?endpoint=ftp://h", "s3://b?endpoint=http://h/path",
                          "s3://b?region=", "s3://b?ca_file=relative.pem"}) {
    auto st = ParseS3Location(url).status();
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << url;
    EXPECT_NE(st.message().find("location \""), std::string::npos) << st.message();
  }
  EXPECT_NE(ParseS3Location("s3://b?colour=red").status().message().find("colour"),
            std::string::npos);
}

TEST(Location, CredentialsInTheUrlAreRefusedAndNeverEchoed) {
  auto st = ParseS3Location("s3://b?endpoint=http://AKID:s3cr3t@host:9000").status();
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message().find("s3cr3t"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("AWS_ACCESS_KEY_ID"), std::string::npos);
  st = ParseS3Location("s3://b?endpoint=http%3A%2F%2FAKID%3As3cr3t%40host").status();
  EXPECT_EQ(st.message().find("s3cr3t"), std::string::npos) << st.message();
  st = ParseS3Location("s3://b?secret_key=s3cr3t").status();
  EXPECT_EQ(st.message().find("s3cr3t"), std::string::npos) << st.message();
}

TEST(Location, RedactsSecretsOnly) {
  EXPECT_EQ(RedactedLocation("s3://b/p?endpoint=http://u:p@h:1&region=r"),
            "s3://b/p?endpoint=http://<redacted>@h:1&region=r");
  EXPECT_EQ(RedactedLocation("s3://b?X-Amz-Signature=abc&region=r"),
            "s3://b?X-Amz-Signature=<redacted>&region=r");
  EXPECT_EQ(RedactedLocation("s3://b?endpoint=http%3A%2F%2Fu%3Ap%40h%3A1&region=r"),
            "s3://b?endpoint=http%3A%2F%2F<redacted>%40h%3A1&region=r");
  EXPECT_EQ(RedactedLocation("file:///var/backups"), "file:///var/backups");
  EXPECT_EQ(RedactedLocation("s3://b/p@x"), "s3://b/p@x");  // "@" in a path is not userinfo
}

TEST(Location, OpensFileLocations) {
  kb::testing::TempDir dir;
  auto store = OpenLocation("file://" + dir.path() + "/backups", {});
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->Describe(), "file://" + dir.path() + "/backups");
  ASSERT_TRUE((*store)->Put("k", "v", {}).ok());
}

TEST(Location, BadFileAndUnknownSchemes) {
  for (std::string url : {"file://relative/path", "file://", "file:///a?x=1", "gs://bucket",
                          "/just/a/path", "s4://b"}) {
    auto st = OpenLocation(url, {}).status();
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << url;
    EXPECT_NE(st.message().find(url), std::string::npos) << st.message();
  }
}

TEST(Location, OpensS3LocationsWithoutSendingAnything) {
  auto store = OpenLocation("s3://bucket/pre/fix?endpoint=http://127.0.0.1:1", WithCredentials());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->Describe(), "s3://bucket/pre/fix at http://127.0.0.1:1");
  auto aws = OpenLocation("s3://bucket?region=eu-west-3", WithCredentials());
  ASSERT_TRUE(aws.ok());
  EXPECT_EQ((*aws)->Describe(), "s3://bucket at https://s3.eu-west-3.amazonaws.com");
  EXPECT_EQ(OpenLocation("s3://Not_A_Bucket", WithCredentials()).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(Location, MissingCredentialsAreUnauthenticated) {
  LocationOptions o;
  o.env = [](std::string const&) -> std::optional<std::string> { return std::nullopt; };
  auto st = OpenLocation("s3://bucket", o).status();
  EXPECT_EQ(st.code(), StatusCode::kUnauthenticated) << st.ToString();
  EXPECT_NE(st.message().find("AWS_ACCESS_KEY_ID"), std::string::npos);
}

TEST(Location, MissingCaFileIsInvalidArgument) {
  auto st = OpenLocation("s3://bucket?endpoint=https://h&ca_file=/nonexistent/ca.pem",
                         WithCredentials())
                .status();
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("/nonexistent/ca.pem"), std::string::npos);
}

}  // namespace
}  // namespace kb::uploader
