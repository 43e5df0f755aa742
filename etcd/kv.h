#pragma once
// etcd v3 KV data as EtcdClient takes and returns it: key-values, Range answers and
// transactions (KV.Txn). Spec: shared/spec/etcd-api.md §1.4.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace kb::etcd {

/// One key-value pair (mvccpb.KeyValue). Revisions are etcd KV revisions.
struct KeyValue {
  std::string key;
  std::string value;
  std::int64_t create_revision = 0;
  std::int64_t mod_revision = 0;
  std::int64_t version = 0;  ///< number of puts since creation; 0 after a delete
  std::int64_t lease = 0;    ///< 0 = none
};

/// A Range answer.
struct RangeResult {
  std::int64_t revision = 0;  ///< store revision the read was served at (header.revision)
  std::vector<KeyValue> kvs;
  bool more = false;          ///< more keys in the range beyond `limit`
  std::int64_t count = 0;     ///< keys in the whole range
};

/// One comparison of a Txn (etcdserverpb.Compare) on the single key `key`. A key that does
/// not exist has create_revision = mod_revision = 0 and compares as such (so
/// `CreateRevision(k, kEqual, 0)` means "k does not exist"); a value comparison on a missing
/// key is false.
struct Compare {
  enum class Target { kCreateRevision, kModRevision, kValue };
  enum class Result { kEqual, kGreater, kLess, kNotEqual };

  /// `key`'s create_revision `result` `revision`.
  static Compare CreateRevision(std::string key, Result result, std::int64_t revision);
  /// `key`'s mod_revision `result` `revision`.
  static Compare ModRevision(std::string key, Result result, std::int64_t revision);
  /// `key`'s value `result` `value` (byte-wise).
  static Compare Value(std::string key, Result result, std::string value);

  std::string key;
  Target target = Target::kCreateRevision;
  Result result = Result::kEqual;
  std::int64_t revision = 0;  ///< for kCreateRevision and kModRevision
  std::string value;          ///< for kValue
};

/// One operation of a Txn branch (etcdserverpb.RequestOp): Put, Range or DeleteRange.
struct TxnOp {
  enum class Type { kPut, kRange, kDeleteRange };

  /// Puts `key` = `value`, attached to lease `lease` (0 = none).
  static TxnOp Put(std::string key, std::string value, std::int64_t lease = 0);
  /// Reads [key, range_end) (empty range_end: just `key`), at most `limit` keys (0 = all).
  static TxnOp Range(std::string key, std::string range_end = "", std::int64_t limit = 0);
  /// Deletes [key, range_end) (empty range_end: just `key`).
  static TxnOp DeleteRange(std::string key, std::string range_end = "");

  Type type = Type::kRange;
  std::string key;
  std::string range_end;
  std::string value;       ///< kPut
  std::int64_t lease = 0;  ///< kPut
  std::int64_t limit = 0;  ///< kRange
};

/// A transaction: when every compare holds, `success` runs, else `failure`, atomically at one
/// revision. etcd refuses more than --max-txn-ops (default 128) ops per branch and two writes
/// of one key in a branch (kInvalidArgument).
struct TxnRequest {
  std::vector<Compare> compare;
  std::vector<TxnOp> success;
  std::vector<TxnOp> failure;
};

/// The answer of one TxnOp, in the order of the branch that ran.
struct TxnOpResult {
  TxnOp::Type type = TxnOp::Type::kRange;
  RangeResult range;         ///< kRange: the keys read (range.revision = the txn's revision)
  std::int64_t deleted = 0;  ///< kDeleteRange: how many keys were deleted
};

/// A Txn answer.
struct TxnResult {
  /// Store revision after the txn (header.revision): the revision of its writes when it wrote,
  /// e.g. the create_revision of a key the success branch created.
  std::int64_t revision = 0;
  bool succeeded = false;  ///< every compare held: `success` ran (else `failure` did)
  std::vector<TxnOpResult> responses;
};

inline Compare Compare::CreateRevision(std::string key, Result result, std::int64_t revision) {
  return Compare{std::move(key), Target::kCreateRevision, result, revision, {}};
}
inline Compare Compare::ModRevision(std::string key, Result result, std::int64_t revision) {
  return Compare{std::move(key), Target::kModRevision, result, revision, {}};
}
inline Compare Compare::Value(std::string key, Result result, std::string value) {
  return Compare{std::move(key), Target::kValue, result, 0, std::move(value)};
}
inline TxnOp TxnOp::Put(std::string key, std::string value, std::int64_t lease) {
  return TxnOp{Type::kPut, std::move(key), {}, std::move(value), lease, 0};
}
inline TxnOp TxnOp::Range(std::string key, std::string range_end, std::int64_t limit) {
  return TxnOp{Type::kRange, std::move(key), std::move(range_end), {}, 0, limit};
}
inline TxnOp TxnOp::DeleteRange(std::string key, std::string range_end) {
  return TxnOp{Type::kDeleteRange, std::move(key), std::move(range_end), {}, 0, 0};
}

}  // namespace kb::etcd
