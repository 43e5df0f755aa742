#pragma once
// The one retry loop (STYLE.md §4). Every call site states whether the call is idempotent.

#include <chrono>
#include <cstdint>
#include <functional>
#include <random>
#include <string_view>

#include "agent/base/clock.h"
#include "agent/base/log.h"
#include "agent/base/status.h"

namespace kb {

/// Whether repeating a call is safe. No default: each call site chooses.
enum class Idempotency { kIdempotent, kNonIdempotent };

/// How long and how often to retry. Copied per operation.
struct RetryPolicy {
  /// Total time budget for all attempts, from the first. Default: 120 s.
  std::chrono::milliseconds max_elapsed{120'000};
  /// Attempts at most, the first included. Default: 8.
  int max_attempts = 8;
  /// Called (on the calling thread) before each retry, with the operation's name and the
  /// error that caused it; a daemon counts retries with it. Default: none.
  std::function<void(std::string_view operation, Status const& error)> on_retry;
};

/// Exponential backoff with full jitter: delay = uniform(0, min(max, initial * 2^n)).
struct BackoffPolicy {
  /// First delay's upper bound. Default: 200 ms.
  std::chrono::milliseconds initial{200};
  /// Largest delay. Default: 20 s (as AWS SDKs cap it).
  std::chrono::milliseconds maximum{20'000};
  /// Seed of the jitter RNG; tests fix it. Default: 0 = seeded from the address of the policy.
  std::uint64_t seed = 0;
};

/// Calls `fn` until it succeeds, returns a non-transient error, or the policy is spent.
/// Only transient codes (IsTransient) are retried, and only for kIdempotent calls.
/// Sleeps go through `clock`. Returns the last result; when the budget is spent the message says
/// how many attempts were made.
template <typename Fn>
auto RetryLoop(RetryPolicy const& retry, BackoffPolicy const& backoff, Idempotency idempotency,
               std::string_view operation, Clock& clock, Fn&& fn) -> decltype(fn()) {
  std::mt19937_64 rng(backoff.seed != 0 ? backoff.seed
                                        : reinterpret_cast<std::uintptr_t>(&backoff));
  auto const start = clock.Monotonic();
  auto bound = backoff.initial;
  for (int attempt = 1;; ++attempt) {
    auto result = fn();
    Status const& status = internal::GetStatus(result);
    if (status.ok() || idempotency == Idempotency::kNonIdempotent ||
        !IsTransient(status.code())) {
      return result;
    }
    auto elapsed = clock.Monotonic() - start;
    std::uniform_int_distribution<std::int64_t> dist(0, bound.count());
    auto delay = std::chrono::milliseconds(dist(rng));
    if (attempt >= retry.max_attempts || elapsed + delay > retry.max_elapsed) {
      KB_LOG(agent, info, "retry exhausted op={} attempts={} error=\"{}\"", operation, attempt,
             status.message());
      return Status(status.code(), fmt::format("{} (gave up after {} attempts)", status.message(),
                                               attempt));
    }
    KB_LOG(agent, info, "retry op={} attempt={} delay_ms={} error=\"{}\"", operation, attempt,
           delay.count(), status.message());
    if (retry.on_retry) retry.on_retry(operation, status);
    clock.SleepFor(delay);
    bound = std::min(backoff.maximum, bound * 2);
  }
}

}  // namespace kb
