// The agent's config file: defaults, every key, and every problem named with its line.
#include "agent/config.h"

#include <gtest/gtest.h>

namespace kb::agent {
namespace {

constexpr char kFull[] = R"(cluster: prod
node: cp1
time_zone: Europe/Berlin
kubeconfig: /etc/kubernetes/admin.conf
snapshot_dir: /var/lib/kbackup/snapshots
etcd:
  endpoints: [https://10.0.0.1:2379, https://10.0.0.2:2379]
  dial_timeout: 3s
locations:
  primary:
    url: s3://backups/prod?region=eu-west-1
    credentials: {file: /etc/kbackup/aws-credentials, profile: prod}
  minio:
    url: s3://kb?endpoint=http://127.0.0.1:9000
    credentials: {access_key_id_env: MINIO_USER, secret_access_key_env: MINIO_PASSWORD}
    upload_rate_limit: 20MiB
    upload_part_size: 64MiB
    upload_parallelism: 2
  disk:
    url: file:///var/backups/kbackup
etcd_snapshots:
  schedule: "0 * * * *"
  keep_local: 4
  expiry: 90d
  location: primary
  max_local_bytes: 20GiB
resource_backups:
- name: nightly
  schedule: "@daily"
  location: minio
  expiry: 3mo
  exclude_namespaces: [kube-system]
  include_cluster_resources: "true"
- name: weekly
  schedule: {day: 1, hour: 3, minute: 30}
  location: disk
  include_namespaces: shop,billing
agent:
  metrics_address: 127.0.0.1:9700
  log_format: json
  lease_ttl: 20s
)";

TEST(AgentConfig, ReadsEveryKey) {
  ConfigParseResult r = ParseAgentConfig(kFull, "config.yaml");
  ASSERT_TRUE(r.errors.empty()) << r.errors.front();
  AgentConfig const& c = r.config;
  EXPECT_EQ(c.cluster, "prod");
  EXPECT_EQ(c.node, "cp1");
  EXPECT_EQ(c.time_zone, "Europe/Berlin");
  EXPECT_EQ(c.etcd.endpoints,
            (std::vector<std::string>{"https://10.0.0.1:2379", "https://10.0.0.2:2379"}));
  EXPECT_EQ(c.etcd.dial_timeout, std::chrono::seconds(3));
  EXPECT_EQ(c.etcd.cacert, "") << "kubeadm's files when present, as the CLI's flags";
  ASSERT_EQ(c.locations.size(), 3u);
  ASSERT_NE(c.FindLocation("primary"), nullptr);
  EXPECT_EQ(c.FindLocation("primary")->credentials.file, "/etc/kbackup/aws-credentials");
  EXPECT_EQ(c.FindLocation("primary")->credentials.profile, "prod");
  EXPECT_EQ(c.FindLocation("primary")->line, 10);
  EXPECT_EQ(c.FindLocation("minio")->credentials.secret_access_key_env, "MINIO_PASSWORD");
  EXPECT_TRUE(c.FindLocation("disk")->credentials.empty());
  EXPECT_EQ(c.FindLocation("minio")->upload_rate_limit, 20ull << 20);
  EXPECT_EQ(c.FindLocation("minio")->upload_part_size, 64ull << 20);
  EXPECT_EQ(c.FindLocation("minio")->upload_parallelism, 2);
  EXPECT_EQ(c.FindLocation("disk")->upload_rate_limit, 0u) << "unlimited by default";
  EXPECT_EQ(c.FindLocation("disk")->upload_parallelism, 0) << "the uploader's default";
  ASSERT_TRUE(c.etcd_snapshots.has_value());
  EXPECT_EQ(c.etcd_snapshots->keep_local, 4);
  EXPECT_EQ(c.etcd_snapshots->location, "primary");
  EXPECT_EQ(c.etcd_snapshots->max_local_bytes, 20ull << 30);
  EXPECT_EQ(c.etcd_snapshots->schedule.text(), "0 * * * *");
  EXPECT_EQ(c.etcd_snapshots->schedule.time_zone(), "Europe/Berlin");
  ASSERT_TRUE(c.etcd_snapshots->expiry.has_value());
  EXPECT_EQ(c.etcd_snapshots->expiry->text(), "90d");
  ASSERT_EQ(c.resource_backups.size(), 2u);
  EXPECT_EQ(c.resource_backups[0].name, "nightly");
  EXPECT_EQ(c.resource_backups[0].expiry.text(), "3mo");
  EXPECT_EQ(c.resource_backups[0].exclude_namespaces, std::vector<std::string>{"kube-system"});
  EXPECT_EQ(c.resource_backups[0].include_cluster_resources, std::optional<bool>(true));
  EXPECT_EQ(c.resource_backups[1].include_namespaces,
            (std::vector<std::string>{"shop", "billing"}));
  EXPECT_EQ(c.resource_backups[1].expiry.text(), "720h") << "Velero's default TTL";
  EXPECT_FALSE(c.resource_backups[1].include_cluster_resources.has_value());
  EXPECT_EQ(c.daemon.metrics_address, "127.0.0.1:9700");
  EXPECT_EQ(c.daemon.log_format, "json");
  EXPECT_EQ(c.daemon.lease_ttl, std::chrono::seconds(20));
  EXPECT_EQ(c.daemon.control_socket, "/run/kbackup/agent.sock") << "default";
}

TEST(AgentConfig, CustomScheduleIsTheCronItStandsFor) {
  ConfigParseResult r = ParseAgentConfig(kFull, "config.yaml");
  ASSERT_TRUE(r.errors.empty());
  auto cron = Schedule::Parse("30 3 1 * *", "Europe/Berlin");
  ASSERT_TRUE(cron.ok());
  auto from = std::chrono::sys_days{std::chrono::year{2027} / 1 / 15};
  EXPECT_EQ(r.config.resource_backups[1].schedule.Next(from), cron->Next(from));
}

TEST(AgentConfig, MinimalConfigTakesTheDefaults) {
  ConfigParseResult r = ParseAgentConfig("cluster: dev\n", "c.yaml");
  ASSERT_TRUE(r.errors.empty()) << r.errors.front();
  EXPECT_EQ(r.config.time_zone, "UTC");
  EXPECT_EQ(r.config.kubeconfig, "/etc/kubernetes/admin.conf");
  EXPECT_EQ(r.config.etcd.endpoints, std::vector<std::string>{"https://127.0.0.1:2379"});
  EXPECT_FALSE(r.config.node.empty()) << "the host name";
  EXPECT_FALSE(r.config.etcd_snapshots.has_value());
  EXPECT_TRUE(r.config.resource_backups.empty());
}

std::vector<std::string> Errors(std::string const& text) {
  return ParseAgentConfig(text, "c.yaml").errors;
}

TEST(AgentConfig, LocationUploadSettingsAreChecked) {
  auto e = Errors(
      "cluster: dev\nlocations:\n  a:\n    url: s3://b\n    upload_part_size: 1MiB\n"
      "    upload_parallelism: 0\n    upload_rate_limit: fast\n");
  std::string all;
  for (auto const& l : e) all += l + "\n";
  for (std::string want : {"c.yaml:5: locations.a.upload_part_size: must be at least 5MiB",
                           "c.yaml:6: locations.a.upload_parallelism:",
                           "c.yaml:7: locations.a.upload_rate_limit:"}) {
    EXPECT_NE(all.find(want), std::string::npos) << want << "\n" << all;
  }
}

TEST(AgentConfig, UnknownKeysAreErrorsWithTheirLineAndField) {
  auto e = Errors("cluster: dev\netcd:\n  endpoint: https://x:2379\n");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].substr(0, e[0].find(" (")),
            "c.yaml:3: etcd.endpoint: unknown key");
}

TEST(AgentConfig, AnInlineSecretIsRefusedAndNeverEchoed) {
  auto e = Errors(
      "cluster: dev\nlocations:\n  a:\n    url: s3://b\n    credentials:\n"
      "      secret_access_key: wJalrXUtnFEMI\n");
  ASSERT_FALSE(e.empty());
  EXPECT_NE(e[0].find("c.yaml:6: locations.a.credentials.secret_access_key: unknown key"),
            std::string::npos) << e[0];
  EXPECT_NE(e[0].find("secrets are never written here"), std::string::npos) << e[0];
  for (auto const& line : e) EXPECT_EQ(line.find("wJalrXUtnFEMI"), std::string::npos) << line;
}

TEST(AgentConfig, EveryProblemIsListed) {
  auto e = Errors(R"(cluster: Prod_1
time_zone: Mars/Olympus
locations:
  a: {url: "ftp://x"}
etcd_snapshots:
  schedule: "61 * * * *"
  keep_local: many
  location: nowhere
resource_backups:
- name: n
  schedule: "@daily"
  location: a
  expiry: soon
- name: n
  location: a
agent: {log_format: xml, lease_ttl: 1s}
)");
  std::string all;
  for (auto const& l : e) all += l + "\n";
  for (std::string want :
       {"c.yaml:1: cluster:", "c.yaml:2: time_zone:", "c.yaml:4: locations.a.url:",
        "c.yaml:6: etcd_snapshots.schedule:", "c.yaml:7: etcd_snapshots.keep_local:",
        "c.yaml:8: etcd_snapshots.location: no location \"nowhere\"",
        "c.yaml:13: resource_backups[0].expiry:", "c.yaml:14: resource_backups[1].name: another",
        "resource_backups[1].schedule: is required", "c.yaml:16: agent.log_format:",
        "c.yaml:16: agent.lease_ttl:"}) {
    EXPECT_NE(all.find(want), std::string::npos) << want << "\n" << all;
  }
}

TEST(AgentConfig, DuplicateKeysAndYamlSyntax) {
  auto dup = Errors("cluster: a\ncluster: b\n");
  ASSERT_FALSE(dup.empty());
  EXPECT_NE(dup[0].find("c.yaml:2: cluster: duplicate key"), std::string::npos) << dup[0];
  auto syntax = Errors("cluster: a\netcd: [unclosed\n");
  ASSERT_EQ(syntax.size(), 1u);
  EXPECT_NE(syntax[0].find("YAML syntax"), std::string::npos) << syntax[0];
  auto empty = Errors("");
  ASSERT_EQ(empty.size(), 1u);
  EXPECT_NE(empty[0].find("cluster: is required"), std::string::npos);
}

TEST(AgentConfig, CredentialsNeedBothVariablesOrAFile) {
  auto e = Errors("cluster: a\nlocations:\n  m:\n    url: s3://b\n    credentials: "
                  "{access_key_id_env: K}\n");
  ASSERT_FALSE(e.empty());
  EXPECT_NE(e[0].find("access_key_id_env and secret_access_key_env go together"),
            std::string::npos) << e[0];
}

}  // namespace
}  // namespace kb::agent
