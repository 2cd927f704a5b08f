// Drift-check reads and resend marks (see drift_marks.hpp).
#include "state/drift_marks.hpp"

#include "state/span_memo.hpp"
#include "state/table.hpp"

namespace backflow::state {

std::vector<synced_version> synced_versions(const sync_state& st,
                                            const std::vector<std::string>& keys) {
  std::vector<synced_version> out(keys.size());
  st.env().read([&](transaction& txn) {
    for (size_t i = 0; i < keys.size(); ++i) {
      auto sk = storage_key(keys[i]);
      auto& v = out[i];
      if (auto bytes = st.keys().get(txn, sk)) {
        auto rec = decode_key_record(*bytes);
        if (!rec)
          st.damaged("keys", sk);
        v.synced = true;
        v.hash = rec->hash;
        v.dest_id = rec->dest_id;
      }
      v.pending = st.changes().get(txn, sk).has_value();
      v.rejected = st.rejects().get(txn, sk).has_value();
    }
  });
  return out;
}

size_t mark_for_resend(const sync_state& st, const std::vector<std::string>& keys,
                       const std::vector<hash128>& hashes) {
  size_t marked = 0;
  st.env().write([&](transaction& txn) {
    marked = 0;  // the callback runs again when the map had to grow
    for (size_t i = 0; i < keys.size() && i < hashes.size(); ++i) {
      auto sk = storage_key(keys[i]);
      auto bytes = st.keys().get(txn, sk);
      if (!bytes)
        continue;
      auto rec = decode_key_record(*bytes);
      if (!rec)
        st.damaged("keys", sk);
      if (rec->hash != hashes[i] || rec->hash == hash128{})
        continue;
      rec->hash = hash128{};
      st.keys().put(txn, sk, encode(*rec));
      ++marked;
    }
    // A remembered span would keep the plan from seeing these keys: forget them all.
    if (marked > 0)
      forget_spans(st, txn);
  });
  return marked;
}

}  // namespace backflow::state
