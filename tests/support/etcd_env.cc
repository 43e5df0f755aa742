#include "tests/support/etcd_env.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <random>
#include <thread>

extern char** environ;

namespace kb::testing {

std::vector<std::string> EtcdServer::KbackupFlags() const {
  return {"--etcd-endpoints", endpoint, "--etcd-cacert", cacert, "--etcd-cert", cert,
          "--etcd-key", key};
}

CommandResult EtcdServer::Etcdctl(std::vector<std::string> const& args) const {
  std::vector<std::string> argv{bin + "/etcdctl", "--endpoints", endpoint, "--cacert", cacert,
                                "--cert", cert, "--key", key};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, {"ETCDCTL_API=3"});
}

EtcdServer GetEtcdServer(std::string const& id) {
  auto env = [&](char const* suffix) { return RequireEnv(("KB_TEST_" + id + "_" + suffix).c_str()); };
  EtcdServer s;
  s.id = id;
  s.endpoint = env("ENDPOINT");
  s.cacert = env("CACERT");
  s.cert = env("CERT");
  s.key = env("KEY");
  s.bin = env("BIN");
  s.restore_tool = ::access((s.bin + "/etcdutl").c_str(), X_OK) == 0 ? s.bin + "/etcdutl"
                                                                      : s.bin + "/etcdctl";
  return s;
}

void PutKeys(EtcdServer const& s, std::string const& prefix, int count, int value_bytes) {
  std::mt19937 rng(static_cast<unsigned>(count * 7919 + value_bytes));
  int done = 0;
  while (done < count) {
    // One txn of up to 100 puts per etcdctl call (etcd's default --max-txn-ops is 128).
    // etcdctl txn reads: compares, blank line, success ops, blank line, failure ops.
    std::string script = "\n";
    // etcd refuses requests over ~1.5 MiB: keep a txn under 1 MiB.
    int per_txn = std::max(1, std::min(100, (1 << 20) / std::max(1, value_bytes)));
    int batch = std::min(per_txn, count - done);
    for (int i = 0; i < batch; ++i) {
      std::string value;
      for (int b = 0; b < value_bytes; ++b) value.push_back(static_cast<char>('a' + rng() % 26));
      script += "put " + prefix + std::to_string(done + i) + " " + value + "\n";
    }
    script += "\n\n";
    std::string file = "/tmp/kbtest-txn-" + std::to_string(::getpid());
    std::ofstream(file) << script;
    auto r = RunCommand({"/bin/sh", "-c",
                         "ETCDCTL_API=3 '" + s.bin + "/etcdctl' --endpoints " + s.endpoint +
                             " --cacert " + s.cacert + " --cert " + s.cert + " --key " + s.key +
                             " txn < " + file});
    ::unlink(file.c_str());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    done += batch;
  }
}

KeysAndRevision ReadKeysAndRevision(std::string const& bin, std::string const& endpoint,
                                    std::string const& prefix, std::string const& cacert,
                                    std::string const& cert, std::string const& key) {
  std::vector<std::string> argv{bin + "/etcdctl", "--endpoints", endpoint};
  if (!cacert.empty()) {
    argv.insert(argv.end(), {"--cacert", cacert, "--cert", cert, "--key", key});
  }
  // etcd 3.4's etcdctl has no --count-only; a range's count is the total whatever the limit.
  argv.insert(argv.end(), {"get", prefix, "--prefix", "--keys-only", "--limit", "1", "-w", "json"});
  auto r = RunCommand(argv, {"ETCDCTL_API=3"});
  KeysAndRevision out;
  if (r.exit_code != 0) {
    ADD_FAILURE() << "etcdctl get failed: " << r.err;
    return out;
  }
  boost::system::error_code ec;
  auto v = boost::json::parse(r.out, ec);
  if (ec || !v.is_object()) {
    ADD_FAILURE() << "etcdctl printed no JSON: " << r.out;
    return out;
  }
  auto const& o = v.as_object();
  out.count = o.contains("count") ? o.at("count").to_number<std::int64_t>() : 0;
  out.revision = o.at("header").as_object().at("revision").to_number<std::int64_t>();
  return out;
}

void PutRandomMiB(std::string const& bin, std::string const& endpoint,
                  std::string const& work_dir, std::string const& prefix, int mib,
                  unsigned seed) {
  // Plain-http etcdctl: PutKeys passes TLS flags, so write through a Txn script instead.
  std::mt19937 rng(seed);
  static char const kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string const txn = work_dir + "/txn";
  for (int batch = 0; batch < mib; ++batch) {
    std::string script = "\n";
    for (int i = 0; i < 4; ++i) {
      std::string value;
      value.reserve(256 << 10);
      for (int b = 0; b < (256 << 10); ++b) value.push_back(kAlphabet[rng() % 64]);
      script += "put " + prefix + std::to_string(batch * 4 + i) + " " + value + "\n";
    }
    script += "\n\n";
    std::ofstream(txn) << script;
    auto r = RunCommand({"/bin/sh", "-c",
                         "'" + bin + "/etcdctl' --endpoints " + endpoint + " txn < " + txn},
                        {"ETCDCTL_API=3"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
}

int UploadJournalParts(std::string const& path) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (ec || !v.is_object() || !v.as_object().contains("parts")) return 0;
  return static_cast<int>(v.as_object().at("parts").as_array().size());
}

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

ScratchEtcd::ScratchEtcd(std::string const& bin, std::string const& data_dir,
                         std::string const& name, std::string const& peer_url) {
  int client = FreePort();
  endpoint_ = "http://127.0.0.1:" + std::to_string(client);
  log_ = data_dir + ".log";
  std::vector<std::string> argv{bin + "/etcd",
                                "--name", name,
                                "--data-dir", data_dir,
                                "--listen-client-urls", endpoint_,
                                "--advertise-client-urls", endpoint_,
                                "--listen-peer-urls", peer_url,
                                "--initial-advertise-peer-urls", peer_url};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  std::vector<char*> cargv;
  for (auto const& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawn(&pid, cargv[0], &fa, nullptr, cargv.data(), environ) == 0) pid_ = pid;
  posix_spawn_file_actions_destroy(&fa);
  for (int i = 0; i < 100 && pid_ > 0; ++i) {
    auto r = RunCommand({bin + "/etcdctl", "--endpoints", endpoint_, "endpoint", "health"},
                        {"ETCDCTL_API=3"});
    if (r.exit_code == 0) {
      ready_ = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

ScratchEtcd::~ScratchEtcd() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

}  // namespace kb::testing
