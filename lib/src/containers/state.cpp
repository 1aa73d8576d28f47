#include "containers/state.hpp"

#include <pwd.h>
#include <sys/stat.h>

#include <algorithm>
#include <nsutil/error.hpp>

#include "base/directory.hpp"
#include "base/proc_files.hpp"
#include "base/proc_text.hpp"
#include "base/trusted_path.hpp"

namespace nsutil::detail {
namespace {

// Engine state and configuration can be large (a containers.json lists every container), but
// not this large: a bigger file is refused rather than read.
constexpr std::size_t engine_file_cap = 64 << 20;

std::string option_value(const std::vector<std::string>& args, std::string_view name) {
  for (std::size_t i = 1; i < args.size(); ++i) {
    std::string_view a = args[i];
    if (a == name && i + 1 < args.size())
      return args[i + 1];
    if (a.size() > name.size() && a.starts_with(name) && a[name.size()] == '=')
      return std::string(a.substr(name.size() + 1));
  }
  return {};
}

}  // namespace

std::optional<std::string> read_engine_file(const std::string& path, uid_t owner) {
  try {
    return read_trusted_file(path, {.trusted_uid = owner}, engine_file_cap);
  } catch (const error&) {
    return std::nullopt;
  }
}

nlohmann::json parse_json(const std::string& text) {
  return nlohmann::json::parse(text, nullptr, false);
}

std::string string_at(const nlohmann::json& j, const char* key) {
  if (!j.is_object())
    return {};
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string option_value(const std::vector<std::string>& args,
                         std::initializer_list<std::string_view> names) {
  for (std::string_view name : names)
    if (std::string value = option_value(args, name); !value.empty())
      return value;
  return {};
}

void add_unique(std::vector<std::string>& list, std::string item) {
  if (!item.empty() && std::find(list.begin(), list.end(), item) == list.end())
    list.push_back(std::move(item));
}

std::optional<user_entry> find_user(std::optional<uid_t> uid, const std::string& name) {
  passwd pw{};
  passwd* found = nullptr;
  std::vector<char> buf(4096);
  int e = uid ? ::getpwuid_r(*uid, &pw, buf.data(), buf.size(), &found)
              : ::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found);
  if (e != 0 || found == nullptr)
    return std::nullopt;
  return user_entry{pw.pw_uid, pw.pw_name != nullptr ? pw.pw_name : "",
                    pw.pw_dir != nullptr ? pw.pw_dir : ""};
}

std::string home_of(uid_t uid) {
  auto user = find_user(uid);
  return user ? user->home : std::string();
}

std::vector<pid_t> all_pids(const std::string& proc_root) {
  std::vector<pid_t> pids;
  directory dir(proc_root.c_str());
  while (const char* name = dir.next())
    if (auto pid = parse_pid(name))
      pids.push_back(*pid);
  std::sort(pids.begin(), pids.end());
  return pids;
}

std::optional<pid_t> ppid_of(const std::string& proc_root, pid_t pid) {
  auto text = try_read_file(pid_path(proc_root, pid, "stat"));
  return text ? parse_ppid(*text) : std::nullopt;
}

bool runs_as(const std::string& proc_root, pid_t pid, uid_t uid) {
  struct stat st {};
  return ::stat(pid_path(proc_root, pid, "").c_str(), &st) == 0 && st.st_uid == uid;
}

std::vector<mount_entry> read_mounts(const std::string& path) {
  try {
    if (auto text = try_read_file(path))
      return parse_mountinfo(*text, path);
  } catch (const error&) {
  }
  return {};
}

std::optional<std::string_view> below_root(std::string_view path, std::string_view root) {
  if (root == "/")
    return path;
  if (!path.starts_with(root) || (path.size() > root.size() && path[root.size()] != '/'))
    return std::nullopt;
  return path.substr(root.size());
}

}  // namespace nsutil::detail
