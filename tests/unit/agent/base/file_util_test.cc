// Temp files under a writer's flock: a live writer's file is recognised, a killed writer's
// leftover is not, and a second writer of the same temp file is refused.
#include "agent/base/file_util.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "tests/support/test_env.h"

namespace kb {
namespace {

namespace fs = std::filesystem;

TEST(OpenLockedTempFile, ALiveWriterIsSeenAndASecondWriterRefused) {
  testing::TempDir dir;
  fs::path const tmp = fs::path(dir.path()) / ".x.db.zst.part";
  auto fd = OpenLockedTempFile(tmp, O_WRONLY);
  ASSERT_TRUE(fd.ok()) << fd.status().message();
  ASSERT_EQ(::write(*fd, "abc", 3), 3);
  EXPECT_TRUE(TempFileHasWriter(tmp));
  auto second = OpenLockedTempFile(tmp, O_WRONLY);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kAborted);
  EXPECT_EQ(fs::file_size(tmp), 3u) << "the refused writer truncated the live one's file";
  ::close(*fd);
  EXPECT_FALSE(TempFileHasWriter(tmp)) << "the writer is gone";
}

TEST(OpenLockedTempFile, AKilledWritersLeftoverHasNoWriterAndIsTakenOver) {
  testing::TempDir dir;
  fs::path const tmp = fs::path(dir.path()) / ".y.part";
  std::ofstream(tmp) << "leftover";
  EXPECT_FALSE(TempFileHasWriter(tmp));
  EXPECT_FALSE(TempFileHasWriter(fs::path(dir.path()) / "missing"));
  auto fd = OpenLockedTempFile(tmp, O_RDWR);
  ASSERT_TRUE(fd.ok()) << fd.status().message();
  EXPECT_EQ(fs::file_size(tmp), 0u) << "truncated once locked";
  ::close(*fd);
}

TEST(AtomicFileSink, HoldsItsTempFilesLockUntilPublished) {
  testing::TempDir dir;
  fs::path const path = fs::path(dir.path()) / "s.db.zst";
  auto sink = AtomicFileSink::Create(path);
  ASSERT_TRUE(sink.ok()) << sink.status().message();
  EXPECT_TRUE(TempFileHasWriter(fs::path(dir.path()) / ".s.db.zst.part"));
  std::string const data = "snapshot bytes";
  ASSERT_TRUE((*sink)->Write(AsBytes(data)).ok());
  ASSERT_TRUE((*sink)->Finish().ok());
  EXPECT_FALSE(fs::exists(fs::path(dir.path()) / ".s.db.zst.part"));
  EXPECT_EQ(fs::file_size(path), data.size());
}

}  // namespace
}  // namespace kb
