#pragma once
// kb::Status and kb::StatusOr<T>: the error type of every kbackup module (STYLE.md §3).
// Codes are gRPC's, so an etcd grpc::Status maps 1:1.

#include <fmt/format.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace kb {

/// gRPC status codes (https://grpc.github.io/grpc/core/md_doc_statuscodes.html), same numbers.
enum class StatusCode : int {
  kOk = 0,
  kCancelled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kDataLoss = 15,
  kUnauthenticated = 16,
};

/// Returns the code's gRPC name, e.g. "UNAVAILABLE".
std::string_view StatusCodeName(StatusCode code);

/// An operation's outcome: kOk, or a code and a one-line message that names the thing (endpoint,
/// bucket/key, file:line) and what to do. Cheap to copy; unread results break the build.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  std::string const& message() const { return message_; }
  /// "CODE: message", or "OK".
  std::string ToString() const;
  /// Returns a copy whose message is "prefix: message" (same code); OK stays OK.
  Status WithPrefix(std::string_view prefix) const;

  friend bool operator==(Status const& a, Status const& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

/// Marks a deliberately ignored result; easy to grep for.
inline void IgnoreError(Status const&) {}

/// True for the codes a retry may fix: kUnavailable, kResourceExhausted, kDeadlineExceeded.
bool IsTransient(StatusCode code);

Status OkStatus();
Status CancelledError(std::string message);
Status UnknownError(std::string message);
Status InvalidArgumentError(std::string message);
Status DeadlineExceededError(std::string message);
Status NotFoundError(std::string message);
Status AlreadyExistsError(std::string message);
Status PermissionDeniedError(std::string message);
Status ResourceExhaustedError(std::string message);
Status FailedPreconditionError(std::string message);
Status AbortedError(std::string message);
Status OutOfRangeError(std::string message);
Status UnimplementedError(std::string message);
Status InternalError(std::string message);
Status UnavailableError(std::string message);
Status DataLossError(std::string message);
Status UnauthenticatedError(std::string message);

/// A value of type T, or the non-OK Status saying why there is none.
/// Accessing value() of an error aborts (our bug, never the user's).
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    if (status_.ok()) status_ = Status(StatusCode::kInternal, "StatusOr built from OK status");
  }
  StatusOr(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  template <typename U>
    requires(std::is_constructible_v<T, U &&> && !std::is_same_v<std::decay_t<U>, T> &&
             !std::is_same_v<std::decay_t<U>, Status> && !std::is_same_v<std::decay_t<U>, StatusOr>)
  StatusOr(U&& value) : value_(T(std::forward<U>(value))) {}  // NOLINT

  bool ok() const { return value_.has_value(); }
  Status const& status() const& { return status_; }
  Status status() && { return std::move(status_); }

  T& value() & { Check(); return *value_; }
  T const& value() const& { Check(); return *value_; }
  T&& value() && { Check(); return std::move(*value_); }
  T& operator*() & { return value(); }
  T const& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  T const* operator->() const { return &value(); }

 private:
  void Check() const {
    if (!value_) {
      fmt::print(stderr, "kbackup: internal error: value() of failed StatusOr: {}\n",
                 status_.ToString());
      std::abort();
    }
  }
  Status status_;
  std::optional<T> value_;
};

namespace internal {
inline Status const& GetStatus(Status const& s) { return s; }
template <typename T>
Status const& GetStatus(StatusOr<T> const& s) { return s.status(); }
}  // namespace internal

}  // namespace kb

#define KB_INTERNAL_CONCAT2(a, b) a##b
#define KB_INTERNAL_CONCAT(a, b) KB_INTERNAL_CONCAT2(a, b)

/// Returns the Status of `expr` from the enclosing function when it is not OK.
#define KB_RETURN_IF_ERROR(expr)                                          \
  do {                                                                    \
    ::kb::Status kb_status_ = ::kb::internal::GetStatus((expr));          \
    if (!kb_status_.ok()) return kb_status_;                              \
  } while (false)

/// `KB_ASSIGN_OR_RETURN(T x, StatusOr-expr);` declares/assigns x or returns the error.
#define KB_ASSIGN_OR_RETURN(lhs, expr) \
  KB_INTERNAL_ASSIGN_OR_RETURN(KB_INTERNAL_CONCAT(kb_statusor_, __LINE__), lhs, expr)
#define KB_INTERNAL_ASSIGN_OR_RETURN(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return std::move(tmp).status();     \
  lhs = std::move(tmp).value()

/// Aborts with a message when our own invariant `cond` does not hold (never for user input).
#define KB_CHECK(cond)                                                                 \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      fmt::print(stderr, "kbackup: internal check failed: {} at {}:{}\n", #cond, __FILE__, \
                 __LINE__);                                                            \
      std::abort();                                                                    \
    }                                                                                  \
  } while (false)
