#include <linux/net_namespace.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>
#include <nsutil/error.hpp>
#include <nsutil/netnsid.hpp>

namespace nsutil {
namespace {

struct request {
  nlmsghdr head;
  rtgenmsg gen;
  char pad[NLMSG_ALIGN(sizeof(rtgenmsg)) - sizeof(rtgenmsg)];
  rtattr attr;
  std::uint32_t value;  // a descriptor (NETNSA_FD) or a PID (NETNSA_PID)
};

}  // namespace

netnsid_query::netnsid_query()
    : sock_(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE)) {
  if (!sock_)
    throw_errno("socket", "rtnetlink");
}

std::optional<int> netnsid_query::of(const unique_fd& netns_fd) const noexcept {
  return ask(NETNSA_FD, static_cast<std::uint32_t>(netns_fd.get()));
}

std::optional<int> netnsid_query::of(pid_t pid) const noexcept {
  return ask(NETNSA_PID, static_cast<std::uint32_t>(pid));
}

std::optional<int> netnsid_query::ask(int attribute, std::uint32_t value) const noexcept {
  request req{};
  req.head.nlmsg_len = sizeof req;
  req.head.nlmsg_type = RTM_GETNSID;
  req.head.nlmsg_flags = NLM_F_REQUEST;
  req.head.nlmsg_seq = 1;
  req.gen.rtgen_family = AF_UNSPEC;
  req.attr.rta_len = RTA_LENGTH(sizeof(std::uint32_t));
  req.attr.rta_type = static_cast<unsigned short>(attribute);
  req.value = value;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(sock_.get(), &req, sizeof req, 0, reinterpret_cast<sockaddr*>(&kernel),
               sizeof kernel) < 0)
    return std::nullopt;
  alignas(nlmsghdr) char buf[4096];
  ssize_t n = ::recv(sock_.get(), buf, sizeof buf, 0);
  if (n < 0)
    return std::nullopt;
  // The reply: nlmsghdr, rtgenmsg (padded to 4), then attributes; the kernel's NLMSG_*/RTA_*
  // macros are C casts, so it is walked by hand.
  nlmsghdr head{};
  if (static_cast<std::size_t>(n) < sizeof head)
    return std::nullopt;
  std::memcpy(&head, buf, sizeof head);
  if (head.nlmsg_type != RTM_NEWNSID || head.nlmsg_len > static_cast<std::size_t>(n))
    return std::nullopt;
  std::size_t pos = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(rtgenmsg));
  while (pos + sizeof(rtattr) <= head.nlmsg_len) {
    rtattr attr{};
    std::memcpy(&attr, buf + pos, sizeof attr);
    if (attr.rta_len < sizeof attr || pos + attr.rta_len > head.nlmsg_len)
      break;
    if (attr.rta_type == NETNSA_NSID && attr.rta_len >= sizeof attr + sizeof(int)) {
      int id = 0;
      std::memcpy(&id, buf + pos + RTA_ALIGN(sizeof attr), sizeof id);
      return id;
    }
    pos += RTA_ALIGN(attr.rta_len);
  }
  return std::nullopt;
}

}  // namespace nsutil
