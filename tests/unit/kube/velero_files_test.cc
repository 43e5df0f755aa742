// The files beside a backup's tarball, encoded without a store: Velero's names in Velero's
// order, gzip'd JSON, and velero-backup.json last.
#include "kube/velero_files.h"

#include <gtest/gtest.h>

#include "kube/velero_tar.h"

namespace kb::kube {
namespace {

TEST(VeleroFiles, EncodesVelerosFilesWithVeleroBackupJsonLast) {
  FakeClock clock;
  BackupLog log(clock, "b", "velero");
  log.Info("Starting backup");
  BackupResults results;
  results.AddWarning("ns1", "a warning");
  BackupMetadata meta;
  meta.name = "b";
  meta.velero_namespace = "velero";
  meta.phase = "Completed";
  auto files = EncodeBackupFiles(meta, log, results, {{"v1/ConfigMap", {"ns1/b", "ns1/a"}}});
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  std::vector<std::string> names;
  for (auto const& f : *files) names.push_back(f.name);
  EXPECT_EQ(names, (std::vector<std::string>{
                       "b-logs.gz", "b-resource-list.json.gz", "b-results.gz",
                       "b-volumesnapshots.json.gz", "b-podvolumebackups.json.gz",
                       "b-itemoperations.json.gz", "b-volumeinfo.json.gz", "velero-backup.json"}));
  for (std::size_t i = 0; i + 1 < files->size(); ++i) {
    EXPECT_EQ((*files)[i].content_type, "application/gzip") << (*files)[i].name;
  }
  EXPECT_EQ(Gunzip((*files)[0].bytes, "logs").value(), log.text());
  EXPECT_EQ(Gunzip((*files)[1].bytes, "list").value(),
            "{\"v1/ConfigMap\":[\"ns1/a\",\"ns1/b\"]}\n");
  EXPECT_EQ(Gunzip((*files)[2].bytes, "results").value(),
            "{\"errors\":{},\"warnings\":{\"namespaces\":{\"ns1\":[\"a warning\"]}}}\n");
  auto const& last = files->back();
  EXPECT_EQ(last.content_type, "application/json");
  auto backup = ParseJson(last.bytes, "velero-backup.json");
  ASSERT_TRUE(backup.ok()) << backup.status().ToString();
  EXPECT_EQ(JsonString(backup->as_object().at("status").as_object(), "phase"), "Completed");
}

}  // namespace
}  // namespace kb::kube
