#include "etcd/internal/txn_proto.h"

namespace kb::etcd::internal {
namespace {

etcdserverpb::Compare ToProto(Compare const& c) {
  etcdserverpb::Compare out;
  out.set_key(c.key);
  switch (c.result) {
    case Compare::Result::kEqual: out.set_result(etcdserverpb::Compare::EQUAL); break;
    case Compare::Result::kGreater: out.set_result(etcdserverpb::Compare::GREATER); break;
    case Compare::Result::kLess: out.set_result(etcdserverpb::Compare::LESS); break;
    case Compare::Result::kNotEqual: out.set_result(etcdserverpb::Compare::NOT_EQUAL); break;
  }
  switch (c.target) {
    case Compare::Target::kCreateRevision:
      out.set_target(etcdserverpb::Compare::CREATE);
      out.set_create_revision(c.revision);
      break;
    case Compare::Target::kModRevision:
      out.set_target(etcdserverpb::Compare::MOD);
      out.set_mod_revision(c.revision);
      break;
    case Compare::Target::kValue:
      out.set_target(etcdserverpb::Compare::VALUE);
      out.set_value(c.value);
      break;
  }
  return out;
}

etcdserverpb::RequestOp ToProto(TxnOp const& op) {
  etcdserverpb::RequestOp out;
  switch (op.type) {
    case TxnOp::Type::kPut: {
      auto* put = out.mutable_request_put();
      put->set_key(op.key);
      put->set_value(op.value);
      put->set_lease(op.lease);
      break;
    }
    case TxnOp::Type::kRange: {
      auto* range = out.mutable_request_range();
      range->set_key(op.key);
      range->set_range_end(op.range_end);
      range->set_limit(op.limit);
      break;
    }
    case TxnOp::Type::kDeleteRange: {
      auto* del = out.mutable_request_delete_range();
      del->set_key(op.key);
      del->set_range_end(op.range_end);
      break;
    }
  }
  return out;
}

}  // namespace

etcdserverpb::TxnRequest ToProto(TxnRequest const& txn) {
  etcdserverpb::TxnRequest out;
  for (auto const& c : txn.compare) *out.add_compare() = ToProto(c);
  for (auto const& op : txn.success) *out.add_success() = ToProto(op);
  for (auto const& op : txn.failure) *out.add_failure() = ToProto(op);
  return out;
}

RangeResult FromProto(etcdserverpb::RangeResponse const& response) {
  RangeResult r;
  r.revision = response.header().revision();
  r.more = response.more();
  r.count = response.count();
  r.kvs.reserve(response.kvs_size());
  for (auto const& kv : response.kvs()) {
    r.kvs.push_back(KeyValue{kv.key(), kv.value(), kv.create_revision(), kv.mod_revision(),
                             kv.version(), kv.lease()});
  }
  return r;
}

TxnResult FromProto(etcdserverpb::TxnResponse const& response) {
  TxnResult out;
  out.revision = response.header().revision();
  out.succeeded = response.succeeded();
  for (auto const& op : response.responses()) {
    TxnOpResult r;
    switch (op.response_case()) {
      case etcdserverpb::ResponseOp::kResponsePut:
        r.type = TxnOp::Type::kPut;
        break;
      case etcdserverpb::ResponseOp::kResponseDeleteRange:
        r.type = TxnOp::Type::kDeleteRange;
        r.deleted = op.response_delete_range().deleted();
        break;
      default:  // kResponseRange, or a kind we do not send
        r.type = TxnOp::Type::kRange;
        r.range = FromProto(op.response_range());
        r.range.revision = out.revision;  // nested answers carry no header of their own
        break;
    }
    out.responses.push_back(std::move(r));
  }
  return out;
}

}  // namespace kb::etcd::internal
