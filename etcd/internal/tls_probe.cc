#include "etcd/internal/tls_probe.h"

#include <netdb.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <fmt/format.h>

#include <memory>

namespace kb::etcd::internal {
namespace {

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, Deleter<SSL_CTX, SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, Deleter<SSL, SSL_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

BioPtr MemBio(std::string const& pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// The reason of the newest OpenSSL error, e.g. "tlsv1 alert unknown ca".
std::string LastSslError() {
  unsigned long e = 0, last = 0;
  while ((e = ERR_get_error()) != 0) last = e;
  char const* reason = last != 0 ? ERR_reason_error_string(last) : nullptr;
  return reason != nullptr ? reason : "connection closed during the TLS handshake";
}

// Loads the CA bundle and the client cert chain and key; false when the PEM is unusable (gRPC
// then reports its own error, so the probe judges nothing).
bool LoadContext(SSL_CTX* ctx, TlsFiles const& tls) {
  if (!tls.ca_pem.empty()) {
    X509_STORE* store = SSL_CTX_get_cert_store(ctx);
    BioPtr bio = MemBio(tls.ca_pem);
    int n = 0;
    while (X509Ptr cert{PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)}) {
      X509_STORE_add_cert(store, cert.get());
      ++n;
    }
    ERR_clear_error();
    if (n == 0) return false;
  } else {
    SSL_CTX_set_default_verify_paths(ctx);
  }
  if (!tls.cert_pem.empty()) {
    BioPtr bio = MemBio(tls.cert_pem);
    X509Ptr leaf{PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)};
    if (!leaf || SSL_CTX_use_certificate(ctx, leaf.get()) != 1) return false;
    while (X509* extra = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
      SSL_CTX_add_extra_chain_cert(ctx, extra);  // takes ownership
    }
    ERR_clear_error();
    BioPtr key_bio = MemBio(tls.key_pem);
    KeyPtr key{PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr)};
    if (!key || SSL_CTX_use_PrivateKey(ctx, key.get()) != 1) return false;
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  return true;
}

// Splits "host:port" or "[v6]:port".
bool SplitTarget(std::string const& target, std::string& host, std::string& port) {
  auto colon = target.rfind(':');
  if (colon == std::string::npos) return false;
  host = target.substr(0, colon);
  port = target.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return !host.empty() && !port.empty();
}

}  // namespace

Status ProbeTls(Endpoint const& ep, TlsFiles const& tls, std::chrono::seconds timeout) {
  std::string host, port;
  if (!ep.tls || !SplitTarget(ep.target, host, port)) return OkStatus();
  auto failed = [&](std::string const& reason) {
    return UnauthenticatedError(fmt::format(
        "TLS to {} failed: {}; check --etcd-cacert/--etcd-cert/--etcd-key", ep.url, reason));
  };
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* addrs = nullptr;
  if (::getaddrinfo(host.c_str(), port.c_str(), &hints, &addrs) != 0) return OkStatus();
  std::unique_ptr<addrinfo, Deleter<addrinfo, freeaddrinfo>> addrs_owner(addrs);
  Fd sock;
  timeval tv{static_cast<time_t>(timeout.count()), 0};
  for (addrinfo* a = addrs; a != nullptr && sock.fd < 0; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
      sock.fd = fd;
    } else {
      ::close(fd);
    }
  }
  if (sock.fd < 0) return OkStatus();  // not reachable: not a TLS question

  SslCtxPtr ctx{SSL_CTX_new(TLS_client_method())};
  if (!ctx || !LoadContext(ctx.get(), tls)) return OkStatus();
  SslPtr ssl{SSL_new(ctx.get())};
  if (!ssl) return OkStatus();
  static unsigned char const kAlpn[] = {2, 'h', '2'};
  SSL_set_alpn_protos(ssl.get(), kAlpn, sizeof kAlpn);
  SSL_set_tlsext_host_name(ssl.get(), host.c_str());
  SSL_set1_host(ssl.get(), host.c_str());
  SSL_set_fd(ssl.get(), sock.fd);
  ERR_clear_error();
  if (SSL_connect(ssl.get()) != 1) {
    long verify = SSL_get_verify_result(ssl.get());
    if (verify != X509_V_OK) {
      return failed(fmt::format("the server certificate is not trusted ({})",
                                X509_verify_cert_error_string(verify)));
    }
    return failed(LastSslError());
  }
  // TLS 1.3: the server judges our certificate now. Send the HTTP/2 preface and an empty
  // SETTINGS frame; an accepted client gets the server's SETTINGS, a rejected one an alert.
  static char const kPreface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0";
  if (SSL_write(ssl.get(), kPreface, sizeof kPreface - 1) <= 0) return failed(LastSslError());
  char buf[64];
  int const n = SSL_read(ssl.get(), buf, sizeof buf);
  if (n > 0) return OkStatus();
  int const err = SSL_get_error(ssl.get(), n);
  if (err == SSL_ERROR_SSL) return failed("the server rejected the client certificate (" +
                                          LastSslError() + ")");
  return OkStatus();  // timeout or plain close: cannot tell
}

}  // namespace kb::etcd::internal
