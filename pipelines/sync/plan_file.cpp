// The reviewable plan file's format (see plan_file.hpp).
#include "pipelines/sync/plan_file.hpp"

#include <cstdio>
#include <filesystem>

#include <openssl/evp.h>

#include "pipelines/core/crypto.hpp"

namespace backflow {

/// SHA-256 over the lines written or read so far.
class sha256_stream {
 public:
  sha256_stream() : ctx(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr); }
  ~sha256_stream() { EVP_MD_CTX_free(ctx); }
  sha256_stream(const sha256_stream&) = delete;
  sha256_stream& operator=(const sha256_stream&) = delete;
  void add(std::string_view bytes) { EVP_DigestUpdate(ctx, bytes.data(), bytes.size()); }
  std::string hex() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx, md, &n);
    return hex_encode(std::string_view(reinterpret_cast<const char*>(md), n));
  }

 private:
  EVP_MD_CTX* ctx;
};

namespace {

/// The trailer's one key: a record can never be mistaken for it (records have "key").
constexpr const char* trailer_key = "end";
constexpr std::string_view trailer_prefix = R"({"end":)";

}  // namespace

plan_file_writer::plan_file_writer(std::string path)
    : path_(std::move(path)), digest_(std::make_unique<sha256_stream>()) {
  out_.open(path_ + ".partial", std::ios::binary | std::ios::trunc);
}

plan_file_writer::~plan_file_writer() {
  if (!finished_) {
    out_.close();
    std::error_code ignored;
    std::filesystem::remove(path_ + ".partial", ignored);
  }
}

status plan_file_writer::line(const nlohmann::json& j) {
  if (!out_)
    return failure{"cannot write the plan file " + path_ + ".partial"};
  auto text = j.dump() + "\n";
  digest_->add(text);
  out_ << text;
  ++lines_;
  if (!out_)
    return failure{"cannot write the plan file " + path_ + ".partial (disk full?)"};
  return {};
}

status plan_file_writer::finish() {
  nlohmann::json trailer = {{trailer_key, {{"records", records()}, {"sha256", digest_->hex()}}}};
  out_ << trailer.dump() << "\n";
  out_.close();
  if (!out_)
    return failure{"cannot write the plan file " + path_ + ".partial"};
  std::error_code ec;
  std::filesystem::rename(path_ + ".partial", path_, ec);
  if (ec)
    return failure{"cannot move the plan file into place at " + path_ + ": " + ec.message()};
  finished_ = true;
  return {};
}

result<plan_file_reader> plan_file_reader::open(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return failure{"cannot read the plan file " + path};
  std::string first;
  std::getline(in, first);
  auto header = nlohmann::json::parse(first, nullptr, false);
  if (!header.is_object() || header.value("format", "") != plan_file_format)
    return failure{path + " is not a plan file (written by `backflow plan SYNC --out FILE`)"};
  if (header.value("version", 0) != plan_file_version)
    return failure{path + ": plan file version " + header.value("version", nlohmann::json()).dump() +
                   " is not one this backflow reads (" + std::to_string(plan_file_version) + ")"};
  plan_file_reader r;
  r.path_ = path;
  r.header_ = std::move(header);
  return r;
}

result<std::string> plan_file_reader::verify() const {
  std::ifstream in(path_, std::ios::binary);
  sha256_stream digest;
  uint64_t lines = 0;
  for (std::string text; std::getline(in, text);) {
    if (in.eof())  // the last line lacks its newline: cut short
      break;
    // Only the trailer is parsed here: a record's first key sorts before "end" or after it,
    // never equal ("destination_id", "fields", "key", ...).
    auto j = text.rfind(trailer_prefix, 0) == 0 ? nlohmann::json::parse(text, nullptr, false)
                                                : nlohmann::json();
    if (j.is_object() && j.size() == 1 && j.contains(trailer_key)) {
      const auto& end = j[trailer_key];
      auto expected = end.value("sha256", "");
      auto got = digest.hex();
      if (expected != got)
        return failure{"the plan file was edited since it was written (its SHA-256 is " + got +
                       ", the plan says " + expected + ")"};
      if (end.value("records", uint64_t{0}) + 1 != lines)
        return failure{"the plan file lists " + std::to_string(lines - 1) +
                       " records, its trailer says " + end.value("records", nlohmann::json()).dump()};
      if (in.peek() != std::ifstream::traits_type::eof())
        return failure{"the plan file has lines after its trailer (edited?)"};
      return got;
    }
    digest.add(text);
    digest.add("\n");
    ++lines;
  }
  return failure{"the plan file ends without its trailer: it is cut short or was edited"};
}

status plan_file_reader::each_record(
    const std::function<status(uint64_t, const nlohmann::json&)>& fn) const {
  std::ifstream in(path_, std::ios::binary);
  std::string text;
  std::getline(in, text);  // the header
  for (uint64_t number = 2; std::getline(in, text); ++number) {
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_object() && j.size() == 1 && j.contains(trailer_key))
      return {};
    if (!j.is_object())
      return failure{"line " + std::to_string(number) + " of the plan file is not a JSON object"};
    if (auto s = fn(number, j); !s)
      return s;
  }
  return failure{"the plan file ends without its trailer"};
}

}  // namespace backflow
