#include "agent/control_service.h"

#include <grpcpp/grpcpp.h>
#include <cstring>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>

#include "agent/base/log.h"
#include "agent/proto/control.grpc.pb.h"

namespace kb::agent {
namespace {

grpc::Status ToGrpc(Status const& st) {
  return st.ok() ? grpc::Status::OK
                 : grpc::Status(static_cast<grpc::StatusCode>(st.code()), std::string(st.message()));
}

Status FromGrpc(grpc::Status const& st, std::string const& socket_path) {
  if (st.ok()) return OkStatus();
  if (st.error_code() == grpc::StatusCode::UNAVAILABLE ||
      st.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    return UnavailableError(fmt::format(
        "no kbackup agent answers on {} ({}): is `kbackup agent` running with this config?",
        socket_path, st.error_message()));
  }
  return Status(static_cast<StatusCode>(st.error_code()), st.error_message());
}

class Service final : public control::Control::Service {
 public:
  explicit Service(ControlTarget& target) : target_(target) {}
  grpc::Status RunNow(grpc::ServerContext*, control::RunNowRequest const* req,
                      control::RunNowResponse* resp) override {
    ::kb::Status st = target_.RunNow(req->schedule());
    resp->set_started(st.ok());
    resp->set_message(std::string(st.message()));
    return ToGrpc(st);
  }
  grpc::Status Status(grpc::ServerContext*, control::StatusRequest const* req,
                      control::StatusResponse* resp) override {
    *resp = target_.Report(req->next_count() > 0 ? std::min(req->next_count(), 50) : 3);
    return grpc::Status::OK;
  }

 private:
  ControlTarget& target_;
};

std::unique_ptr<control::Control::Stub> Stub(std::string const& socket_path) {
  return control::Control::NewStub(
      grpc::CreateChannel("unix:" + socket_path, grpc::InsecureChannelCredentials()));
}

}  // namespace

struct ControlServer::Impl {
  explicit Impl(ControlTarget& target) : service(target) {}
  Service service;
  std::unique_ptr<grpc::Server> server;
  std::string path;
};

ControlServer::ControlServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ControlServer::~ControlServer() {
  if (impl_ && impl_->server) {
    impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    std::error_code ec;
    std::filesystem::remove(impl_->path, ec);
  }
}

namespace {

/// True when something accepts connections on the unix socket `path`.
bool SocketAnswers(std::string const& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return false;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  bool const answers = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return answers;
}

}  // namespace

StatusOr<std::unique_ptr<ControlServer>> ControlServer::Start(std::string const& socket_path,
                                                              ControlTarget& target) {
  namespace fs = std::filesystem;
  fs::path const dir = fs::path(socket_path).parent_path();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || ::chmod(dir.c_str(), 0700) != 0) {
    return PermissionDeniedError(fmt::format("control socket dir {}: {}", dir.string(),
                                             ec ? ec.message() : std::strerror(errno)));
  }
  if (fs::is_socket(socket_path, ec)) {
    // A live agent answers a connect: never take its socket away. Refused: a crashed agent's.
    if (SocketAnswers(socket_path)) {
      return AlreadyExistsError(fmt::format(
          "control socket {}: another kbackup agent is running and serving it; stop it first, "
          "or give this one its own agent.control_socket in the config",
          socket_path));
    }
    fs::remove(socket_path, ec);
  }
  auto impl = std::make_unique<Impl>(target);
  impl->path = socket_path;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix:" + socket_path, grpc::InsecureServerCredentials());
  builder.RegisterService(&impl->service);
  impl->server = builder.BuildAndStart();
  if (impl->server == nullptr) {
    return UnavailableError(fmt::format("cannot listen on the control socket {}: is another "
                                        "agent running? (agent.control_socket in the config)",
                                        socket_path));
  }
  if (::chmod(socket_path.c_str(), 0600) != 0) {
    return PermissionDeniedError(fmt::format("control socket {}: chmod 0600: {}", socket_path,
                                             std::strerror(errno)));
  }
  return std::unique_ptr<ControlServer>(new ControlServer(std::move(impl)));
}

StatusOr<control::StatusResponse> AgentStatus(std::string const& socket_path, int next_count) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  control::StatusRequest req;
  req.set_next_count(next_count);
  control::StatusResponse resp;
  KB_RETURN_IF_ERROR(FromGrpc(Stub(socket_path)->Status(&ctx, req, &resp), socket_path));
  return resp;
}

Status AgentRunNow(std::string const& socket_path, std::string const& schedule) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  control::RunNowRequest req;
  req.set_schedule(schedule);
  control::RunNowResponse resp;
  return FromGrpc(Stub(socket_path)->RunNow(&ctx, req, &resp), socket_path);
}

}  // namespace kb::agent
