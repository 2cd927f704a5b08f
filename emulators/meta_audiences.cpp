// The Meta emulator's custom audiences (see meta_audiences.hpp).
#include "emulators/meta_audiences.hpp"

#include <algorithm>
#include <functional>
#include <random>

namespace backflow::emulators {
namespace {

std::size_t hash_of(std::string_view identity) { return std::hash<std::string_view>{}(identity); }

}  // namespace

void meta_audiences::create(const std::string& id, const std::string& account) {
  std::lock_guard lock(mutex_);
  auto [it, fresh] = audiences_.try_emplace(id);
  if (fresh || !account.empty())
    it->second.account = account;
}

std::string meta_audiences::account_of(const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto it = audiences_.find(id);
  return it == audiences_.end() ? std::string() : it->second.account;
}

void meta_audiences::apply(const std::string& id, bool add,
                           const std::vector<std::string>& identities) {
  std::lock_guard lock(mutex_);
  auto it = audiences_.find(id);
  if (it == audiences_.end())
    return;
  auto& a = it->second;
  for (const auto& row : identities) {
    auto& m = find_or_insert(a, row);
    if (add) {
      ++m.adds;
      a.size += m.in ? 0 : 1;
      m.in = true;
    } else {
      ++m.removes;
      a.size -= m.in ? 1 : 0;
      m.in = false;
    }
  }
}

std::string meta_audiences::track_session(const std::string& id, bool add,
                                          const meta_batch& batch) {
  std::lock_guard lock(mutex_);
  if (!batch.session.present || !batch.session.id) {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    return std::to_string(rng() >> 2);  // not tracked: the client did not open a session
  }
  const auto session_id = *batch.session.id;
  auto& s = sessions_[{id, session_id}];
  s.audience = id;
  if (s.operation.empty())
    s.operation = add ? "add" : "remove";
  ++s.batches;
  auto seq = std::lower_bound(s.seqs.begin(), s.seqs.end(), batch.session.batch_seq);
  if (seq != s.seqs.end() && *seq == batch.session.batch_seq)
    ++s.duplicate_batches;
  else
    s.seqs.insert(seq, batch.session.batch_seq);
  s.rows += static_cast<std::int64_t>(batch.received);
  s.invalid += static_cast<std::int64_t>(batch.invalid);
  s.last_batch_seen = s.last_batch_seen || batch.session.last_batch;
  if (batch.session.estimated_total > 0)
    s.estimated_total = batch.session.estimated_total;
  return std::to_string(session_id);
}

std::size_t meta_audiences::size(const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto it = audiences_.find(id);
  return it == audiences_.end() ? 0 : it->second.size;
}

std::string meta_audiences::records_text(const std::string& filter, bool members) const {
  struct copy {
    std::string id;
    std::string account;
    std::size_t size = 0;
    std::string arena;
    std::vector<member> members;
  };
  std::vector<copy> copies;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, a] : audiences_) {
      if (!filter.empty() && filter != id)
        continue;
      copies.push_back({id, a.account, a.size, members ? a.arena : std::string(),
                        members ? a.members : std::vector<member>()});
    }
  }
  // Written outside the lock, straight to text.
  std::size_t estimate = 64;
  for (const auto& c : copies)
    estimate += 128 + c.members.size() * 72 + c.arena.size() * 2;
  std::string out;
  out.reserve(estimate);
  out.append("{\"audiences\":{");
  for (const auto& c : copies) {
    if (out.back() != '{')
      out.push_back(',');
    append_json_string(out, c.id);
    out.append(":{\"account\":");
    append_json_string(out, c.account);
    out.append(",\"size\":").append(std::to_string(c.size));
    if (members) {
      out.append(",\"members\":[");
      for (std::size_t i = 0; i < c.members.size(); ++i) {
        const auto& m = c.members[i];
        out.append(i == 0 ? "{\"identity\":" : ",{\"identity\":");
        append_identity_json(out, std::string_view(c.arena).substr(m.offset, m.length));
        out.append(",\"adds\":").append(std::to_string(m.adds));
        out.append(",\"removes\":").append(std::to_string(m.removes));
        out.append(m.in ? ",\"member\":true}" : ",\"member\":false}");
      }
      out.push_back(']');
    }
    out.push_back('}');
  }
  out.append("}}");
  return out;
}

nlohmann::json meta_audiences::sessions_json() const {
  std::lock_guard lock(mutex_);
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [key, s] : sessions_) {
    nlohmann::json entry = nlohmann::json::object();
    entry["audience_id"] = s.audience;
    entry["session_id"] = std::to_string(key.second);
    entry["operation"] = s.operation;
    entry["batches"] = s.batches;
    entry["duplicate_batches"] = s.duplicate_batches;
    entry["batch_seqs"] = s.seqs;
    entry["rows"] = s.rows;
    entry["invalid_entries"] = s.invalid;
    entry["last_batch_seen"] = s.last_batch_seen;
    entry["estimated_num_total"] = s.estimated_total;
    list.push_back(std::move(entry));
  }
  nlohmann::json out = nlohmann::json::object();
  out["sessions"] = std::move(list);
  return out;
}

nlohmann::json meta_audiences::audiences_json() const {
  std::lock_guard lock(mutex_);
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [id, a] : audiences_)
    list.push_back({{"id", id}, {"account", a.account}, {"size", a.size}});
  nlohmann::json out = nlohmann::json::object();
  out["audiences"] = std::move(list);
  return out;
}

void meta_audiences::reset(const std::vector<std::pair<std::string, std::string>>& initial) {
  std::lock_guard lock(mutex_);
  audiences_.clear();
  sessions_.clear();
  for (const auto& [id, account] : initial)
    audiences_[id].account = account;
}

std::string_view meta_audiences::identity(const audience& a, const member& m) {
  return std::string_view(a.arena).substr(m.offset, m.length);
}

meta_audiences::member& meta_audiences::find_or_insert(audience& a, const std::string& identity) {
  if ((a.members.size() + 1) * 2 > a.slots.size())
    grow(a);
  const std::size_t mask = a.slots.size() - 1;
  for (std::size_t slot = hash_of(identity) & mask;; slot = (slot + 1) & mask) {
    const auto index = a.slots[slot];
    if (index == 0) {
      a.slots[slot] = static_cast<std::uint32_t>(a.members.size() + 1);
      member m;
      m.offset = a.arena.size();
      m.length = static_cast<std::uint32_t>(identity.size());
      a.arena.append(identity);
      a.members.push_back(m);
      return a.members.back();
    }
    auto& m = a.members[index - 1];
    if (meta_audiences::identity(a, m) == identity)
      return m;
  }
}

void meta_audiences::grow(audience& a) {
  std::vector<std::uint32_t> slots(std::max<std::size_t>(64, a.slots.size() * 2), 0);
  const std::size_t mask = slots.size() - 1;
  for (std::size_t i = 0; i < a.members.size(); ++i) {
    auto slot = hash_of(identity(a, a.members[i])) & mask;
    while (slots[slot] != 0)
      slot = (slot + 1) & mask;
    slots[slot] = static_cast<std::uint32_t>(i + 1);
  }
  a.slots = std::move(slots);
}

}  // namespace backflow::emulators
