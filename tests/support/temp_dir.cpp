// A temporary directory removed when the test ends (see temp_dir.hpp).
#include "tests/support/temp_dir.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace backflow::testing {

temp_dir::temp_dir() : temp_dir(std::filesystem::temp_directory_path()) {}

temp_dir::temp_dir(const std::filesystem::path& base) {
  std::error_code ec;
  auto parent = std::filesystem::is_directory(base, ec) ? base : std::filesystem::temp_directory_path();
  std::string pattern = (parent / "backflow-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr)
    throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out)
    throw std::runtime_error("cannot write " + path);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace backflow::testing
