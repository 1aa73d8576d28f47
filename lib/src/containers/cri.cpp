// Kubernetes' containers under its CRI runtimes, containerd and CRI-O: their names, and their
// pods', from the annotations of the OCI runtime spec each keeps in its state directory.
#include "containers/state.hpp"

namespace nsutil {
namespace {

// The spec's annotations, as a JSON object (empty when there are none); `found` says whether
// the spec could be read at all, which is what says whose container a cri one is.
nlohmann::json annotations_of(const std::string& config_path, uid_t owner, bool& found) {
  auto text = detail::read_engine_file(config_path, owner);
  found = text.has_value();
  if (!text)
    return nlohmann::json();
  nlohmann::json spec = detail::parse_json(*text);
  if (!spec.is_object())
    return nlohmann::json();
  auto it = spec.find("annotations");
  return it != spec.end() && it->is_object() ? *it : nlohmann::json();
}

}  // namespace

bool container_resolver::state::resolve_containerd(container& c) {
  bool found = false;
  auto a = annotations_of(opts.containerd_state + "/k8s.io/" + c.id + "/config.json",
                          detail::trusted(c), found);
  c.name = detail::string_at(a, "io.kubernetes.cri.container-name");
  c.pod_name = detail::string_at(a, "io.kubernetes.cri.sandbox-name");
  c.pod_namespace = detail::string_at(a, "io.kubernetes.cri.sandbox-namespace");
  return found;
}

bool container_resolver::state::resolve_crio(container& c) {
  bool found = false;
  auto a = annotations_of(opts.crio_state + "/overlay-containers/" + c.id + "/userdata/config.json",
                          detail::trusted(c), found);
  c.name = detail::string_at(a, "io.kubernetes.container.name");
  c.pod_name = detail::string_at(a, "io.kubernetes.pod.name");
  c.pod_namespace = detail::string_at(a, "io.kubernetes.pod.namespace");
  return found;
}

}  // namespace nsutil
