// The metrics server over real HTTP on loopback: /metrics parses line by line as the text
// exposition format 0.0.4, /healthz follows the health check, 404/405, oversized and slow
// requests, address errors (taken, bad, not loopback), Stop() with clients connected.
#include "agent/metrics_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>

#include "agent/base/clock.h"
#include "agent/base/http_client.h"

namespace kb::testing {
namespace {

using agent::AgentMetrics;
using agent::MetricsRegistry;
using agent::MetricsServer;
using agent::MetricsServerOptions;
using std::chrono::milliseconds;

// Parses an exposition-format body; records a failure for each line that is not HELP, TYPE or
// a sample of a declared family. Returns "name{labels}" (as written, escapes kept) → value.
std::map<std::string, std::string> ParseExposition(std::string const& body) {
  std::map<std::string, std::string> samples;
  EXPECT_TRUE(body.empty() || body.back() == '\n') << "the last line must end with \\n";
  static std::regex const help(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (([^\\\n]|\\\\|\\n)*))");
  static std::regex const type(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge))");
  static std::regex const sample(
      R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\\\|\\"|\\n)*",?)*\})? )"
      R"(([-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?|NaN|[-+]Inf))");
  std::set<std::string> typed, helped, sampled;
  std::istringstream in(body);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    std::smatch m;
    if (std::regex_match(line, m, help)) {
      EXPECT_TRUE(helped.insert(m[1]).second) << "line " << n << ": second HELP: " << line;
    } else if (std::regex_match(line, m, type)) {
      EXPECT_TRUE(typed.insert(m[1]).second) << "line " << n << ": second TYPE: " << line;
      EXPECT_FALSE(sampled.count(m[1])) << "line " << n << ": TYPE after samples: " << line;
    } else if (std::regex_match(line, m, sample)) {
      EXPECT_TRUE(typed.count(m[1])) << "line " << n << ": sample before its TYPE: " << line;
      sampled.insert(m[1]);
      std::string key = line.substr(0, line.rfind(' '));
      EXPECT_TRUE(samples.emplace(key, m[5]).second) << "line " << n << ": repeated: " << line;
    } else {
      ADD_FAILURE() << "line " << n << " is not exposition format 0.0.4: " << line;
    }
  }
  return samples;
}

// A plain TCP client for what an HTTP client library will not do: half a request, idling.
class RawClient {
 public:
  explicit RawClient(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    timeval tv{5, 0};  // a read never hangs the test
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~RawClient() { ::close(fd_); }
  RawClient(RawClient const&) = delete;
  RawClient& operator=(RawClient const&) = delete;

  void Send(std::string_view data) {
    EXPECT_EQ(::send(fd_, data.data(), data.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(data.size()));
  }
  // Reads until the server closes the connection (true) or 5 s pass without data (false).
  bool ReadUntilClosed(std::string* received = nullptr) {
    char buf[4096];
    for (;;) {
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;
      if (received) received->append(buf, static_cast<std::size_t>(n));
    }
  }

 private:
  int fd_;
};

class MetricsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    metrics_ = std::make_unique<AgentMetrics>(AgentMetrics::Register(registry_).value());
    http_ = HttpClient::Create({}).value();
  }

  // Starts a server on a free loopback port, healthy unless told otherwise by SetHealth().
  std::unique_ptr<MetricsServer> StartServer(MetricsServerOptions options = {}) {
    if (options.address == MetricsServerOptions{}.address) options.address = "127.0.0.1:0";
    auto server = std::make_unique<MetricsServer>(options, registry_, [this] {
      std::lock_guard lock(mu_);
      return health_;
    });
    Status started = server->Start();
    EXPECT_TRUE(started.ok()) << started.ToString();
    EXPECT_NE(server->port(), 0);
    return server;
  }

  void SetHealth(Status s) {
    std::lock_guard lock(mu_);
    health_ = std::move(s);
  }

  HttpResponse Fetch(MetricsServer const& server, std::string const& path,
                     std::string method = "GET") {
    HttpRequest req;
    req.method = std::move(method);
    req.url = "http://" + server.bound_address() + path;
    auto res = http_->Send(req);
    EXPECT_TRUE(res.ok()) << req.url << ": " << res.status().ToString();
    return res.ok() ? *res : HttpResponse{};
  }

  MetricsRegistry registry_;
  std::unique_ptr<AgentMetrics> metrics_;
  std::shared_ptr<HttpClient> http_;
  std::mutex mu_;
  Status health_;
};

TEST_F(MetricsServerTest, MetricsParseAsExpositionFormat) {
  metrics_->last_success_timestamp_seconds.Set({"nightly", "backup", "primary"}, 1732413604.5);
  metrics_->run_bytes.Set({"nightly", "backup", "primary"}, 432013312);
  metrics_->upload_retries_total.Increment({"odd \"name\" \\ with\nnewline"}, 2);
  metrics_->leader.Set({"prod"}, 1);
  metrics_->snapshot_dir_bytes.Set({}, 1.5e21);
  auto server = StartServer();

  HttpResponse res = Fetch(*server, "/metrics");
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.Header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  auto samples = ParseExposition(res.body);
  EXPECT_EQ(samples[R"(kbackup_last_success_timestamp_seconds{schedule="nightly",kind="backup",)"
                    R"(location="primary"})"],
            "1732413604.5");
  EXPECT_EQ(samples[R"(kbackup_upload_retries_total{location="odd \"name\" \\ with\nnewline"})"],
            "2");
  EXPECT_EQ(samples[R"(kbackup_leader{cluster="prod"})"], "1");
  EXPECT_EQ(samples["kbackup_snapshot_dir_bytes"], "1.5e+21");
  EXPECT_EQ(samples["kbackup_snapshot_dir_quota_bytes"], "0");
  EXPECT_EQ(res.body, registry_.Render());

  // A later scrape sees later values (and the query string is ignored).
  metrics_->leader.Set({"prod"}, 0);
  samples = ParseExposition(Fetch(*server, "/metrics?x=1").body);
  EXPECT_EQ(samples[R"(kbackup_leader{cluster="prod"})"], "0");
}

TEST_F(MetricsServerTest, HealthzFollowsTheHealthCheck) {
  auto server = StartServer();
  HttpResponse ok = Fetch(*server, "/healthz");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "ok");

  SetHealth(UnavailableError("etcd https://127.0.0.1:2379 unreachable for 2m"));
  HttpResponse bad = Fetch(*server, "/healthz");
  EXPECT_EQ(bad.status, 503);
  EXPECT_EQ(bad.body, "etcd https://127.0.0.1:2379 unreachable for 2m");

  SetHealth(OkStatus());
  EXPECT_EQ(Fetch(*server, "/healthz").status, 200);
}

TEST_F(MetricsServerTest, OtherPathsAre404OtherMethods405) {
  auto server = StartServer();
  EXPECT_EQ(Fetch(*server, "/").status, 404);
  EXPECT_EQ(Fetch(*server, "/metrics/extra").status, 404);
  EXPECT_EQ(Fetch(*server, "/debug/pprof").status, 404);
  for (char const* method : {"POST", "PUT", "DELETE"}) {
    HttpResponse res = Fetch(*server, "/metrics", method);
    EXPECT_EQ(res.status, 405) << method;
    EXPECT_EQ(res.Header("allow"), "GET") << method;
  }
  EXPECT_EQ(Fetch(*server, "/healthz", "POST").status, 405);
  EXPECT_EQ(Fetch(*server, "/metrics").status, 200);  // the server still serves
}

TEST_F(MetricsServerTest, OversizedAndMalformedRequestsAreRefused) {
  MetricsServerOptions options;
  options.max_request_bytes = 1024;
  auto server = StartServer(options);

  RawClient big(server->port());
  big.Send("GET /metrics HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(4096, 'a') + "\r\n\r\n");
  std::string answer;
  EXPECT_TRUE(big.ReadUntilClosed(&answer));
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 431 ")) << answer;

  RawClient body(server->port());
  body.Send("GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n");
  answer.clear();
  EXPECT_TRUE(body.ReadUntilClosed(&answer));
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 413 ")) << answer;

  RawClient garbage(server->port());
  garbage.Send("this is not http\r\n\r\n");
  answer.clear();
  EXPECT_TRUE(garbage.ReadUntilClosed(&answer));
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 400 ")) << answer;

  EXPECT_EQ(Fetch(*server, "/metrics").status, 200);
}

TEST_F(MetricsServerTest, SlowClientIsCutOffAndDoesNotHoldOthers) {
  MetricsServerOptions options;
  options.read_timeout = milliseconds(300);
  auto server = StartServer(options);
  Clock& clock = SystemClock::Instance();

  auto const start = clock.Monotonic();
  RawClient slow(server->port());
  slow.Send("GET /metrics HTTP/1.1\r\nHost: ");  // and never the rest
  RawClient idle(server->port());                 // connects, sends nothing
  EXPECT_EQ(Fetch(*server, "/metrics").status, 200);
  EXPECT_EQ(Fetch(*server, "/healthz").status, 200);

  EXPECT_TRUE(slow.ReadUntilClosed());
  EXPECT_TRUE(idle.ReadUntilClosed());
  auto const waited = clock.Monotonic() - start;
  EXPECT_GE(waited, milliseconds(250));
  EXPECT_LT(waited, milliseconds(3000));
}

TEST_F(MetricsServerTest, StopReturnsPromptlyWithClientsConnected) {
  auto server = StartServer();  // read_timeout 10 s: only Stop() can end these connections
  RawClient idle(server->port());
  RawClient half(server->port());
  half.Send("GET /metrics HTTP/1.1\r\n");
  RawClient kept(server->port());  // a keep-alive connection after one answered request
  kept.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(Fetch(*server, "/healthz").status, 200);  // all three have been accepted by now

  Clock& clock = SystemClock::Instance();
  auto const start = clock.Monotonic();
  server->Stop();
  EXPECT_LT(clock.Monotonic() - start, milliseconds(1000));
  EXPECT_TRUE(idle.ReadUntilClosed());
  EXPECT_TRUE(half.ReadUntilClosed());
  std::string answer;
  EXPECT_TRUE(kept.ReadUntilClosed(&answer));
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 200 ")) << answer;

  HttpRequest req;
  req.url = "http://" + server->bound_address() + "/metrics";
  EXPECT_FALSE(http_->Send(req).ok()) << "still listening after Stop()";
  server->Stop();  // twice is fine
}

TEST_F(MetricsServerTest, ConnectionsBeyondTheLimitAreClosedAtOnce) {
  MetricsServerOptions options;
  options.max_connections = 2;
  options.read_timeout = milliseconds(500);
  auto server = StartServer(options);
  Clock& clock = SystemClock::Instance();
  auto const start = clock.Monotonic();
  {
    RawClient a(server->port()), b(server->port());
    a.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");  // answered: both are being served
    b.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    RawClient third(server->port());
    EXPECT_TRUE(third.ReadUntilClosed());
    EXPECT_LT(clock.Monotonic() - start, milliseconds(400)) << "not closed at once";
    EXPECT_TRUE(a.ReadUntilClosed());  // idle after their answers: closed by the server
    EXPECT_TRUE(b.ReadUntilClosed());
  }
  EXPECT_EQ(Fetch(*server, "/metrics").status, 200);  // served again once they are gone
}

TEST_F(MetricsServerTest, PortTakenIsUnavailableNamingTheAddress) {
  auto first = StartServer();
  MetricsServerOptions options;
  options.address = first->bound_address();
  MetricsServer second(options, registry_, nullptr);
  Status s = second.Start();
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_NE(s.message().find(first->bound_address()), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("in use"), std::string::npos) << s.message();
  EXPECT_EQ(Fetch(*first, "/healthz").status, 200);  // the first one is unharmed
}

TEST_F(MetricsServerTest, BadAddressesAreInvalidArgument) {
  for (char const* address : {"127.0.0.1", "127.0.0.1:", "127.0.0.1:99999", "127.0.0.1:http",
                              ":9632", "node1.example.com:9632", "::1:9632", "[::1:9632",
                              "999.1.1.1:9632"}) {
    MetricsServerOptions options;
    options.address = address;
    MetricsServer server(options, registry_, nullptr);
    Status s = server.Start();
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << address << ": " << s.ToString();
    EXPECT_NE(s.message().find(address), std::string::npos) << s.message();
  }
}

TEST_F(MetricsServerTest, NonLoopbackNeedsExplicitPermission) {
  MetricsServerOptions options;
  options.address = "0.0.0.0:0";
  MetricsServer refused(options, registry_, nullptr);
  Status s = refused.Start();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find("0.0.0.0:0"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("loopback"), std::string::npos) << s.message();

  options.allow_non_loopback = true;
  MetricsServer allowed(options, registry_, nullptr);
  ASSERT_TRUE(allowed.Start().ok());
  HttpRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(allowed.port()) + "/healthz";
  auto res = http_->Send(req);
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(res->status, 200);

  options.address = "192.0.2.1:0";  // TEST-NET-1: no interface of this host has it
  MetricsServer elsewhere(options, registry_, nullptr);
  s = elsewhere.Start();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find("not an address of this host"), std::string::npos) << s.message();
}

TEST_F(MetricsServerTest, LocalhostAndIpv6LoopbackAreAccepted) {
  MetricsServerOptions options;
  options.address = "localhost:0";
  auto v4 = StartServer(options);
  EXPECT_TRUE(v4->bound_address().starts_with("127.0.0.1:")) << v4->bound_address();
  EXPECT_EQ(Fetch(*v4, "/healthz").status, 200);

  options.address = "[::1]:0";
  MetricsServer v6(options, registry_, nullptr);
  Status s = v6.Start();
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(v6.bound_address().starts_with("[::1]:")) << v6.bound_address();
  EXPECT_EQ(Fetch(v6, "/healthz").status, 200);
  EXPECT_EQ(v6.Start().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace kb::testing
