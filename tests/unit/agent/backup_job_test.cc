// The object-store side of a resource backup on a FileObjectStore: a taken name is refused, and
// the files beside the tarball are stored in order with velero-backup.json only after the rest.
#include "agent/backup_job.h"

#include <gtest/gtest.h>

#include <fstream>

#include "tests/support/test_env.h"
#include "uploader/download.h"
#include "uploader/file_object_store.h"

namespace kb::testing {
namespace {

namespace fs = std::filesystem;

std::vector<kube::BackupFile> Files() {
  return {{"b-logs.gz", "application/gzip", "logs"},
          {"b-results.gz", "application/gzip", "results"},
          {"velero-backup.json", "application/json", "{}\n"}};
}

TEST(BackupJob, StoresEveryFileUnderTheBackupsDirectory) {
  TempDir dir;
  auto store = uploader::FileObjectStore::Create(dir.path()).value();
  ASSERT_TRUE(agent::PutBackupFiles(*store, "b", Files()).ok());
  for (auto const& f : Files()) {
    EXPECT_EQ(uploader::ReadObjectToString(*store, "backups/b/" + f.name).value(), f.bytes);
  }
}

TEST(BackupJob, AFailedFileStopsBeforeVeleroBackupJson) {
  TempDir dir;
  auto store = uploader::FileObjectStore::Create(dir.path()).value();
  // A non-empty directory where b-results.gz would go: its Put fails.
  fs::create_directories(fs::path(dir.path()) / "backups/b/b-results.gz");
  std::ofstream(fs::path(dir.path()) / "backups/b/b-results.gz/x") << "x";
  EXPECT_FALSE(agent::PutBackupFiles(*store, "b", Files()).ok());
  EXPECT_TRUE(store->Stat("backups/b/b-logs.gz").ok());
  EXPECT_EQ(store->Stat("backups/b/velero-backup.json").status().code(), StatusCode::kNotFound);
}

TEST(BackupJob, ANameTakenInTheLocationIsRefused) {
  TempDir dir;
  auto store = uploader::FileObjectStore::Create(dir.path()).value();
  EXPECT_TRUE(agent::RefuseExistingBackup(*store, "b").ok());
  ASSERT_TRUE(store->Put("backups/b/velero-backup.json", "{}", {}).ok());
  Status st = agent::RefuseExistingBackup(*store, "b");
  EXPECT_EQ(st.code(), StatusCode::kAlreadyExists);
  EXPECT_NE(st.message().find("backup b already exists in"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace kb::testing
