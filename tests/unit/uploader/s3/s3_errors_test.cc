// S3 error documents → Status: codes, retryability and messages that say what to do.
#include "uploader/s3/s3_errors.h"

#include <gtest/gtest.h>

namespace kb::uploader {
namespace {

S3ErrorContext Ctx() {
  return {.operation = "PutObject", .bucket = "backups", .key = "etcd/a.zst",
          .endpoint = "http://127.0.0.1:9000", .upload_id = "U1"};
}

std::string Doc(std::string const& code, std::string const& extra = "") {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code +
         "</Code><Message>msg &amp; more</Message>" + extra +
         "<RequestId>R42</RequestId><HostId>H</HostId></Error>";
}

TEST(S3Errors, ParsesTheErrorDocument) {
  S3Error e = ParseS3Error(Doc("AuthorizationHeaderMalformed", "<Region>eu-west-1</Region>"));
  EXPECT_EQ(e.code, "AuthorizationHeaderMalformed");
  EXPECT_EQ(e.message, "msg & more");
  EXPECT_EQ(e.request_id, "R42");
  EXPECT_EQ(e.region, "eu-west-1");
}

TEST(S3Errors, SlowDownIsResourceExhausted) {
  Status st = S3ErrorToStatus(503, Doc("SlowDown"), Ctx());
  EXPECT_EQ(st.code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(IsTransient(st.code()));
  EXPECT_EQ(S3ErrorToStatus(429, "", Ctx()).code(), StatusCode::kResourceExhausted);
}

TEST(S3Errors, ServerErrorsAndRequestTimeoutAreUnavailable) {
  for (auto [status, code] : {std::pair{500L, "InternalError"}, {503L, "ServiceUnavailable"},
                              {400L, "RequestTimeout"}, {502L, ""}, {504L, ""}}) {
    Status st = S3ErrorToStatus(status, code[0] ? Doc(code) : "", Ctx());
    EXPECT_EQ(st.code(), StatusCode::kUnavailable) << status << " " << code;
    EXPECT_TRUE(IsTransient(st.code()));
  }
}

TEST(S3Errors, NoSuchBucketSaysCreateItOrFixTheLocation) {
  Status st = S3ErrorToStatus(404, Doc("NoSuchBucket"), Ctx());
  EXPECT_EQ(st.code(), StatusCode::kNotFound);
  EXPECT_NE(st.message().find("bucket backups does not exist at http://127.0.0.1:9000: create it "
                              "or fix --location"),
            std::string::npos)
      << st.message();
  EXPECT_FALSE(IsTransient(st.code()));
}

TEST(S3Errors, NoSuchUploadAndNoSuchKeyAreNotFound) {
  Status st = S3ErrorToStatus(404, Doc("NoSuchUpload"), Ctx());
  EXPECT_EQ(st.code(), StatusCode::kNotFound);
  EXPECT_NE(st.message().find("U1"), std::string::npos);
  EXPECT_EQ(S3ErrorToStatus(404, Doc("NoSuchKey"), Ctx()).code(), StatusCode::kNotFound);
  EXPECT_EQ(S3ErrorToStatus(404, "", Ctx()).code(), StatusCode::kNotFound);  // HEAD: no body
}

// Refused credentials are kUnauthenticated; refused permissions kPermissionDenied.
TEST(S3Errors, CredentialErrorsAreUnauthenticatedDenialsPermissionDenied) {
  Status denied = S3ErrorToStatus(403, Doc("AccessDenied"), Ctx());
  EXPECT_EQ(denied.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(denied.message().find("policy"), std::string::npos);
  Status key = S3ErrorToStatus(403, Doc("InvalidAccessKeyId"), Ctx());
  EXPECT_EQ(key.code(), StatusCode::kUnauthenticated);
  EXPECT_NE(key.message().find("AWS_ACCESS_KEY_ID"), std::string::npos);
  Status sig = S3ErrorToStatus(403, Doc("SignatureDoesNotMatch"), Ctx());
  EXPECT_EQ(sig.code(), StatusCode::kUnauthenticated);
  EXPECT_NE(sig.message().find("AWS_SECRET_ACCESS_KEY"), std::string::npos);
  for (Status const& st : {denied, key, sig}) {
    EXPECT_NE(st.message().find("s3://backups/etcd/a.zst"), std::string::npos) << st.message();
    EXPECT_NE(st.message().find("http://127.0.0.1:9000"), std::string::npos);
    EXPECT_NE(st.message().find("R42"), std::string::npos);
  }
  EXPECT_EQ(S3ErrorToStatus(403, "", Ctx()).code(), StatusCode::kPermissionDenied);
}

TEST(S3Errors, ClockSkewIsFailedPrecondition) {
  Status st = S3ErrorToStatus(403, Doc("RequestTimeTooSkewed"), Ctx());
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(st.message().find("clock skew"), std::string::npos);
}

TEST(S3Errors, WrongRegionNamesTheRightOne) {
  Status st = S3ErrorToStatus(400, Doc("AuthorizationHeaderMalformed", "<Region>eu-west-1</Region>"),
                              Ctx());
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(st.message().find("region=eu-west-1"), std::string::npos) << st.message();
  st = S3ErrorToStatus(301, "", Ctx(), "ap-south-1");
  EXPECT_NE(st.message().find("region=ap-south-1"), std::string::npos) << st.message();
}

TEST(S3Errors, OtherCodes) {
  EXPECT_EQ(S3ErrorToStatus(400, Doc("ExpiredToken"), Ctx()).code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(S3ErrorToStatus(416, Doc("InvalidRange"), Ctx()).code(), StatusCode::kOutOfRange);
  EXPECT_EQ(S3ErrorToStatus(400, Doc("BadDigest"), Ctx()).code(), StatusCode::kDataLoss);
  EXPECT_EQ(S3ErrorToStatus(400, Doc("XAmzContentSHA256Mismatch"), Ctx()).code(),
            StatusCode::kDataLoss);
  EXPECT_EQ(S3ErrorToStatus(400, Doc("InvalidPart"), Ctx()).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(S3ErrorToStatus(400, Doc("EntityTooSmall"), Ctx()).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(S3ErrorToStatus(400, Doc("InvalidArgument"), Ctx()).code(),
            StatusCode::kInvalidArgument);
}

TEST(S3Errors, ErrorInsideA200IsMappedByItsCode) {
  // CompleteMultipartUpload may answer 200 and then an <Error> body.
  Status st = S3ErrorToStatus(200, Doc("InternalError"), Ctx());
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_EQ(S3ErrorToStatus(200, "", Ctx()).code(), StatusCode::kUnknown);
}

}  // namespace
}  // namespace kb::uploader
