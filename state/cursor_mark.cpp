// The high-water mark of incremental reads (see cursor_mark.hpp).
#include "state/cursor_mark.hpp"

#include <nlohmann/json.hpp>

namespace backflow::state {
namespace {

std::optional<cursor_mark> load(const sync_state& st, std::string_view key) {
  std::optional<cursor_mark> out;
  st.env().read([&](transaction& txn) {
    if (auto v = st.meta().get(txn, key)) {
      out = cursor_mark::from_json_text(*v);
      if (!out)
        st.damaged("meta", key);
    }
  });
  return out;
}

}  // namespace

std::string cursor_mark::to_json_text() const {
  return nlohmann::json{{"cursor", cursor},          {"read_digest", read_digest},
                        {"kind", kind},              {"value", value},
                        {"full_read_at", full_read_at}, {"run_id", run_id}}
      .dump();
}

std::optional<cursor_mark> cursor_mark::from_json_text(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object())
    return std::nullopt;
  cursor_mark m;
  m.cursor = j.value("cursor", "");
  m.read_digest = j.value("read_digest", "");
  m.kind = j.value("kind", "");
  m.value = j.value("value", "");
  m.full_read_at = j.value("full_read_at", "");
  m.run_id = j.value("run_id", uint64_t{0});
  return m;
}

std::optional<cursor_mark> load_cursor_mark(const sync_state& st) {
  return load(st, cursor_mark_key);
}

std::optional<cursor_mark> load_pending_mark(const sync_state& st) {
  return load(st, pending_mark_key);
}

void store_pending_mark(const sync_state& st, const cursor_mark& mark) {
  st.env().write([&](transaction& txn) { st.meta().put(txn, pending_mark_key, mark.to_json_text()); });
}

void promote_pending_mark(transaction& txn, const sync_state& st, uint64_t run_id) {
  auto view = st.meta().get(txn, pending_mark_key);
  if (!view)
    return;
  std::string bytes(*view);  // a copy: the put below may move the page it points into
  auto pending = cursor_mark::from_json_text(bytes);
  if (pending && pending->run_id == run_id)
    st.meta().put(txn, cursor_mark_key, bytes);
  st.meta().del(txn, pending_mark_key);
}

}  // namespace backflow::state
