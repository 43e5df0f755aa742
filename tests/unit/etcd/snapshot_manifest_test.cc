#include "etcd/snapshot_manifest.h"

#include <gtest/gtest.h>

#include "agent/base/clock.h"

namespace kb::etcd {
namespace {

SnapshotManifest Sample() {
  SnapshotManifest m;
  m.name = "prod-etcd-cp1-20261124T020000Z";
  m.cluster = "prod";
  m.node = "cp1";
  EXPECT_TRUE(ParseRfc3339("2026-11-24T02:00:00Z", m.created_at));
  std::chrono::system_clock::time_point exp;
  EXPECT_TRUE(ParseRfc3339("2026-12-24T02:00:00Z", exp));
  m.expires_at = exp;
  m.etcd_endpoint = "https://127.0.0.1:2379";
  m.etcd_version = "3.5.17";
  m.member_id = 0x8e9e05c52164694d;
  m.cluster_id = 0xcdf818194e3a8c32;
  m.revision = 88123401;
  m.revision_exact = true;
  m.db_size = 4096 * 10;
  m.raw_size = m.db_size + 32;
  m.db_sha256 = std::string(64, 'a');
  m.raw_sha256 = std::string(64, 'b');
  m.compressed_size = 1234;
  m.compressed_sha256 = std::string(64, 'c');
  return m;
}

TEST(SnapshotManifest, RoundTrips) {
  SnapshotManifest m = Sample();
  auto parsed = ParseManifestJson(ManifestToJson(m), "m.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->name, m.name);
  EXPECT_EQ(parsed->created_at, m.created_at);
  EXPECT_EQ(parsed->expires_at, m.expires_at);
  EXPECT_EQ(parsed->member_id, m.member_id);
  EXPECT_EQ(parsed->cluster_id, m.cluster_id);
  EXPECT_EQ(parsed->revision, m.revision);
  EXPECT_TRUE(parsed->revision_exact);
  EXPECT_EQ(parsed->raw_size, m.raw_size);
  EXPECT_EQ(parsed->compressed_sha256, m.compressed_sha256);
}

TEST(SnapshotManifest, RejectsNewerFormat) {
  std::string j = ManifestToJson(Sample());
  j.replace(j.find("\"format_version\": 1"), 19, "\"format_version\": 9");
  auto parsed = ParseManifestJson(j, "m.json");
  EXPECT_EQ(parsed.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(parsed.status().message().find("m.json"), std::string::npos);
}

TEST(SnapshotManifest, RejectsMalformedHashAndSizes) {
  SnapshotManifest m = Sample();
  m.raw_sha256 = "xyz";
  EXPECT_EQ(ParseManifestJson(ManifestToJson(m), "m").status().code(),
            StatusCode::kInvalidArgument);
  m = Sample();
  m.raw_size = m.db_size;
  EXPECT_EQ(ParseManifestJson(ManifestToJson(m), "m").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseManifestJson("{not json", "m").status().code(), StatusCode::kInvalidArgument);
}

TEST(SnapshotManifest, NameIsClusterEtcdNodeStamp) {
  std::chrono::system_clock::time_point t;
  ASSERT_TRUE(ParseRfc3339("2026-11-24T02:00:04Z", t));
  EXPECT_EQ(MakeSnapshotName("prod", "cp1", t), "prod-etcd-cp1-20261124T020004Z");
}

}  // namespace
}  // namespace kb::etcd
