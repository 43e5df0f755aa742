#pragma once
// Our Txn types (etcd/kv.h) to and from etcd's wire messages. Private to etcd/.

#include "etcd/kv.h"
#include "etcd/proto/rpc.pb.h"

namespace kb::etcd::internal {

/// The TxnRequest that etcd runs as `txn`.
etcdserverpb::TxnRequest ToProto(TxnRequest const& txn);

/// The answer of etcd: `revision` from the header, each ResponseOp in order. An empty
/// ResponseOp (unknown kind) reads as an empty kRange.
TxnResult FromProto(etcdserverpb::TxnResponse const& response);

/// One Range answer (header revision, kvs, more, count).
RangeResult FromProto(etcdserverpb::RangeResponse const& response);

}  // namespace kb::etcd::internal
