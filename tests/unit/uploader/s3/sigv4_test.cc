// SigV4 against the AWS test-suite vectors (general rules, service "service") and the two S3
// API reference examples (spec object-storage.md §1).
#include "uploader/s3/sigv4.h"

#include <gtest/gtest.h>

#include "agent/base/clock.h"

namespace kb::uploader {
namespace {

std::chrono::system_clock::time_point At(char const* rfc3339) {
  std::chrono::system_clock::time_point t;
  EXPECT_TRUE(ParseRfc3339(rfc3339, t));
  return t;
}

AwsCredentials SuiteCredentials(std::string token = "") {
  AwsCredentials c;
  c.access_key_id = "AKIDEXAMPLE";
  c.secret_access_key = Secret<std::string>("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
  c.session_token = Secret<std::string>(std::move(token));
  return c;
}

SigV4Result SignSuite(SigV4Request r, AwsCredentials const& c) {
  r.method = "GET";
  r.headers = {{"Host", "example.amazonaws.com"}};
  SigV4Config config{.region = "us-east-1", .service = "service", .s3_rules = false};
  return SignV4(r, c, config, At("2015-08-30T12:36:00Z"));
}

std::string Header(SigV4Result const& r, std::string const& name) {
  for (auto const& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

TEST(SigV4, GetVanilla) {
  SigV4Result r = SignSuite({.method = "", .path = "/", .query = {}, .headers = {}}, SuiteCredentials());
  EXPECT_EQ(r.canonical_request,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "host;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(r.signature, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
  EXPECT_EQ(Header(r, "authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
  EXPECT_EQ(Header(r, "x-amz-content-sha256"), "");  // general rules: no such header
}

TEST(SigV4, GetVanillaQueryOrderKeyCase) {
  SigV4Result r = SignSuite(
      {.method = "", .path = "/", .query = {{"Param2", "value2"}, {"Param1", "value1"}},
       .headers = {}},
      SuiteCredentials());
  EXPECT_NE(r.canonical_request.find("\nParam1=value1&Param2=value2\n"), std::string::npos);
  EXPECT_EQ(r.signature, "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

TEST(SigV4, GetVanillaWithSessionToken) {
  SigV4Result r = SignSuite(
      {.method = "", .path = "/", .query = {}, .headers = {}},
      SuiteCredentials("6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"));
  EXPECT_NE(Header(r, "authorization").find("SignedHeaders=host;x-amz-date;x-amz-security-token,"),
            std::string::npos);
  EXPECT_EQ(Header(r, "x-amz-security-token"),
            "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267");
  EXPECT_EQ(r.signature, "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8");
}

TEST(SigV4, GeneralRulesEncodeThePathAgain) {
  // get-space-normalized: the path as sent has a raw space; general rules encode it.
  SigV4Result r = SignSuite({.method = "", .path = "/example space/", .query = {}, .headers = {}},
                            SuiteCredentials());
  EXPECT_NE(r.canonical_request.find("\n/example%20space/\n"), std::string::npos);
  EXPECT_EQ(r.signature, "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741");
  // Already-encoded input is double-encoded, and dot segments go.
  r = SignSuite({.method = "", .path = "/a/./b/../c%20d", .query = {}, .headers = {}},
                SuiteCredentials());
  EXPECT_NE(r.canonical_request.find("\n/a/c%2520d\n"), std::string::npos) << r.canonical_request;
}

AwsCredentials S3Credentials() {
  AwsCredentials c;
  c.access_key_id = "AKIAIOSFODNN7EXAMPLE";
  c.secret_access_key = Secret<std::string>("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
  return c;
}

TEST(SigV4, S3GetObjectWithRange) {
  SigV4Request req{.method = "GET", .path = "/test.txt", .query = {},
                   .headers = {{"Host", "examplebucket.s3.amazonaws.com"},
                               {"Range", "bytes=0-9"}}};
  SigV4Result r = SignV4(req, S3Credentials(), SigV4Config{}, At("2013-05-24T00:00:00Z"));
  EXPECT_NE(Header(r, "authorization")
                .find("SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"),
            std::string::npos);
  EXPECT_EQ(Header(r, "x-amz-content-sha256"), kEmptyPayloadSha256);
  EXPECT_EQ(r.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4, S3ListObjects) {
  SigV4Request req{.method = "GET", .path = "/", .query = {{"max-keys", "2"}, {"prefix", "J"}},
                   .headers = {{"Host", "examplebucket.s3.amazonaws.com"}}};
  SigV4Result r = SignV4(req, S3Credentials(), SigV4Config{}, At("2013-05-24T00:00:00Z"));
  EXPECT_EQ(r.signature, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(SigV4, S3RulesKeepTheKeyAsEncodedOnce) {
  std::string path = "/" + UriEncode("a b//./../c", true);
  SigV4Request req{.method = "PUT", .path = path, .query = {},
                   .headers = {{"host", "h"}}};
  SigV4Result r = SignV4(req, S3Credentials(), SigV4Config{}, At("2013-05-24T00:00:00Z"));
  EXPECT_NE(r.canonical_request.find("\n/a%20b//./../c\n"), std::string::npos)
      << r.canonical_request;
}

TEST(SigV4, UriEncodeAndCanonicalQuery) {
  EXPECT_EQ(UriEncode("a b/c~é=&+", true), "a%20b/c~%C3%A9%3D%26%2B");
  EXPECT_EQ(UriEncode("a/b", false), "a%2Fb");
  EXPECT_EQ(CanonicalQueryString({{"uploads", ""}, {"b", "2"}, {"a", "x/y"}, {"b", "1"}}),
            "a=x%2Fy&b=1&b=2&uploads=");
}

TEST(SigV4, HeaderValuesAreTrimmedAndRepeatedNamesJoined) {
  SigV4Request req{.method = "GET", .path = "/", .query = {},
                   .headers = {{"Host", "h"}, {"My-Header1", "  a   b  "}, {"my-header1", "c"}}};
  SigV4Result r = SignV4(req, S3Credentials(), SigV4Config{}, At("2013-05-24T00:00:00Z"));
  EXPECT_NE(r.canonical_request.find("\nmy-header1:a b,c\n"), std::string::npos)
      << r.canonical_request;
}

TEST(SigV4, SecretsNeverPrint) {
  EXPECT_EQ(fmt::format("{}", SuiteCredentials().secret_access_key), "<redacted>");
}

}  // namespace
}  // namespace kb::uploader
