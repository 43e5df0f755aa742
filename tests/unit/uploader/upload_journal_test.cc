// The resume journal: round trip, corrupt and future files, atomic replacement.
#include "uploader/upload_journal.h"

#include <gtest/gtest.h>

#include <fstream>

#include "tests/support/test_env.h"

namespace kb::uploader {
namespace {

namespace fs = std::filesystem;
using kb::testing::TempDir;

UploadJournal Sample() {
  UploadJournal j;
  j.location = "s3://b/p at http://127.0.0.1:9000";
  j.key = "plugins/kbackup/etcd/x.db.zst";
  j.upload_id = "2~abc";
  j.part_size = 16ull << 20;
  j.source = SourceIdentity{.path = "/var/lib/kbackup/x.db.zst", .size = 40ull << 20,
                            .mtime_ns = 1'790'000'000'123'456'789, .inode = 4242};
  j.parts = {{.number = 2, .size = 16ull << 20, .etag = "e2", .sha256_hex = "s2"},
             {.number = 1, .size = 16ull << 20, .etag = "e1", .sha256_hex = "s1"}};
  return j;
}

TEST(UploadJournal, RoundTripsThroughAFile) {
  TempDir dir;
  fs::path path = fs::path(dir.path()) / ".x.upload.json";
  ASSERT_TRUE(WriteJournal(path, Sample()).ok());
  auto read = ReadJournal(path);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  ASSERT_TRUE(read->has_value());
  UploadJournal const& j = **read;
  EXPECT_EQ(j.version, kUploadJournalVersion);
  EXPECT_EQ(j.location, Sample().location);
  EXPECT_EQ(j.key, Sample().key);
  EXPECT_EQ(j.upload_id, "2~abc");
  EXPECT_EQ(j.part_size, 16ull << 20);
  ASSERT_TRUE(j.source.has_value());
  EXPECT_EQ(*j.source, *Sample().source);
  ASSERT_EQ(j.parts.size(), 2u);
  EXPECT_EQ(j.parts[0].number, 1);  // sorted
  EXPECT_EQ(j.parts[0].etag, "e1");
  EXPECT_EQ(j.parts[1].sha256_hex, "s2");
  // No temp file is left beside it.
  int entries = 0;
  for ([[maybe_unused]] auto const& e : fs::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 1);
  ASSERT_TRUE(RemoveJournal(path).ok());
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE(RemoveJournal(path).ok());
}

TEST(UploadJournal, APendingSourceIsNull) {
  UploadJournal j = Sample();
  j.source.reset();
  std::string text = JournalToJson(j);
  EXPECT_NE(text.find("\"source\":null"), std::string::npos) << text;
  auto back = ParseJournal(text, "t");
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(back->source.has_value());
}

TEST(UploadJournal, MissingFileIsNoJournal) {
  TempDir dir;
  auto read = ReadJournal(fs::path(dir.path()) / "none.json");
  ASSERT_TRUE(read.ok());
  EXPECT_FALSE(read->has_value());
}

TEST(UploadJournal, CorruptInputIsDataLoss) {
  for (std::string text : {"", "{", "[]", "{\"version\":1}", "{\"version\":0,\"key\":\"k\"}",
                           R"({"version":1,"key":"k","upload_id":"u","part_size":5,"parts":{}})",
                           R"({"version":1,"key":"k","upload_id":"u","part_size":5,"parts":[{}]})"}) {
    auto j = ParseJournal(text, "/x/.a.upload.json");
    EXPECT_EQ(j.status().code(), StatusCode::kDataLoss) << text;
    EXPECT_NE(j.status().message().find("/x/.a.upload.json"), std::string::npos);
  }
}

TEST(UploadJournal, NewerVersionIsFailedPrecondition) {
  auto j = ParseJournal(R"({"version":99,"key":"k","upload_id":"u","part_size":5,"parts":[]})",
                        "j");
  EXPECT_EQ(j.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(j.status().message().find("newer kbackup"), std::string::npos);
}

TEST(UploadJournal, IdentityChangesWithTheFile) {
  TempDir dir;
  fs::path path = fs::path(dir.path()) / "f";
  std::ofstream(path) << "one";
  auto a = IdentifyFile(path);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->size, 3u);
  EXPECT_TRUE(fs::path(a->path).is_absolute());
  auto same = IdentifyFile(path);
  EXPECT_EQ(*a, *same);
  std::ofstream(path) << "other";
  EXPECT_NE(*a, *IdentifyFile(path));
  EXPECT_EQ(IdentifyFile(fs::path(dir.path()) / "missing").status().code(),
            StatusCode::kNotFound);
}

TEST(UploadJournal, DefaultPathIsHiddenBesideTheFile) {
  EXPECT_EQ(DefaultJournalPath("/a/b/snap.db.zst"), fs::path("/a/b/.snap.db.zst.upload.json"));
}

}  // namespace
}  // namespace kb::uploader
