// The ID maps xunshare writes for its options.
#pragma once

#include <nsutil/idmap.hpp>

#include "xunshare.hpp"

namespace nsutil::xunshare {

struct map_plan {
  id_maps maps;
  // Multi-line maps (or --owner) are written from outside, by an id_map_helper.
  bool use_helper = false;
};

/// Resolves names, subordinate IDs and the single-map hole. Throws nsutil::error.
map_plan plan_maps(const options& o);

}  // namespace nsutil::xunshare
