// Display helpers for records and modes (see record.hpp, destination.hpp).
#include "pipelines/delivery/destination.hpp"
#include "pipelines/delivery/record.hpp"

namespace backflow {

const char* to_string(delivery_op op) {
  switch (op) {
    case delivery_op::upsert:
      return "upsert";
    case delivery_op::update:
      return "update";
    case delivery_op::insert:
      return "insert";
    case delivery_op::remove:
      return "remove";
  }
  return "?";
}

const char* to_string(sync_mode m) {
  switch (m) {
    case sync_mode::upsert:
      return "upsert";
    case sync_mode::update:
      return "update";
    case sync_mode::insert:
      return "insert";
    case sync_mode::mirror:
      return "mirror";
    case sync_mode::audience:
      return "audience";
  }
  return "?";
}

}  // namespace backflow
