// Kubernetes' containers under its CRI runtimes, containerd and CRI-O: their names, and their
// pods', from the annotations of the OCI runtime spec each keeps in its state directory.
#include "containers/state.hpp"

namespace nsutil {
namespace {

// Where a runtime's annotations keep a container's name and its pod's.
struct cri_keys {
  const char* name;
  const char* pod_name;
  const char* pod_namespace;
};

// The names in the annotations of the OCI runtime spec at `spec_path`, for container `c`; false
// when the spec cannot be read at all, which is what says whose container a cri one is.
bool annotated_names(container& c, const std::string& spec_path, const cri_keys& keys) {
  auto text = detail::read_engine_file(spec_path, detail::trusted(c));
  if (!text)
    return false;
  nlohmann::json spec = detail::parse_json(*text);
  auto it = spec.is_object() ? spec.find("annotations") : spec.end();
  nlohmann::json annotations = it != spec.end() && it->is_object() ? *it : nlohmann::json();
  c.name = detail::string_at(annotations, keys.name);
  c.pod_name = detail::string_at(annotations, keys.pod_name);
  c.pod_namespace = detail::string_at(annotations, keys.pod_namespace);
  return true;
}

}  // namespace

bool container_resolver::state::resolve_containerd(container& c) {
  return annotated_names(c, opts.containerd_state + "/k8s.io/" + c.id + "/config.json",
                         {"io.kubernetes.cri.container-name", "io.kubernetes.cri.sandbox-name",
                          "io.kubernetes.cri.sandbox-namespace"});
}

bool container_resolver::state::resolve_crio(container& c) {
  return annotated_names(
      c, opts.crio_state + "/overlay-containers/" + c.id + "/userdata/config.json",
      {"io.kubernetes.container.name", "io.kubernetes.pod.name", "io.kubernetes.pod.namespace"});
}

}  // namespace nsutil
