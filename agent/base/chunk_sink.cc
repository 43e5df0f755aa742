#include "agent/base/chunk_sink.h"

namespace kb {

Status CollectingSink::Write(ByteSpan chunk) {
  data_.append(reinterpret_cast<char const*>(chunk.data()), chunk.size());
  return OkStatus();
}

Status CollectingSink::Finish() {
  finished_ = true;
  return OkStatus();
}

Status TeeSink::Write(ByteSpan chunk) {
  if (!error_.ok()) return error_;
  for (auto& s : sinks_) {
    if (Status st = s->Write(chunk); !st.ok()) {
      error_ = st;
      return st;
    }
  }
  return OkStatus();
}

Status TeeSink::Finish() {
  if (!error_.ok()) return error_;
  for (auto& s : sinks_) {
    if (Status st = s->Finish(); !st.ok()) {
      error_ = st;
      return st;
    }
  }
  return OkStatus();
}

}  // namespace kb
