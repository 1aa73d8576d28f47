#include <linux/net_namespace.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <array>
#include <cstring>
#include <nsutil/error.hpp>
#include <nsutil/netnsid.hpp>

#include "namespaces/netnsid_batch.hpp"

namespace nsutil {
namespace {

struct request {
  nlmsghdr head;
  rtgenmsg gen;
  char pad[NLMSG_ALIGN(sizeof(rtgenmsg)) - sizeof(rtgenmsg)];
  rtattr attr;
  std::uint32_t value;  // a descriptor (NETNSA_FD) or a PID (NETNSA_PID)
};

// Requests per send. Each answer waits in the socket's receive queue until it is read, and
// takes several hundred bytes of it (the buffer's size, not the message's, counts): 64 stay well
// inside the default queue (net.core.rmem_default, 208 KiB), where a full queue would drop them.
constexpr std::size_t batch = 64;
// An answer is an nlmsghdr, an rtgenmsg and one attribute; an error carries the request back.
constexpr std::size_t answer_size = 128;

// The NETNSA_NSID of one answer; nullopt for an error answer (the process has gone) or another
// message. The kernel's NLMSG_*/RTA_* macros are C casts, so the answer is walked by hand.
std::optional<int> nsid_in(const char* buf, std::size_t n) {
  nlmsghdr head{};
  if (n < sizeof head)
    return std::nullopt;
  std::memcpy(&head, buf, sizeof head);
  if (head.nlmsg_type != RTM_NEWNSID || head.nlmsg_len > n)
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

}  // namespace

namespace detail {

unique_fd open_rtnetlink() {
  unique_fd sock(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!sock)
    throw_errno("socket", "rtnetlink");
  return sock;
}

// rtnetlink answers a request while it is being sent, in the sender's context: once sendto()
// returns, every answer of the batch is queued, so the receive need not wait.
std::vector<std::optional<int>> ask_netnsids(const unique_fd& sock, int attribute,
                                             std::span<const std::uint32_t> values) {
  std::vector<std::optional<int>> out(values.size());
  std::array<request, batch> reqs{};
  alignas(nlmsghdr) char answers[batch][answer_size];
  std::array<iovec, batch> iov{};
  std::array<mmsghdr, batch> msgs{};
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  for (std::size_t first = 0; first < values.size(); first += batch) {
    std::size_t count = std::min(batch, values.size() - first);
    for (std::size_t i = 0; i < count; ++i) {
      request& req = reqs[i];
      req = request{};
      req.head.nlmsg_len = sizeof req;
      req.head.nlmsg_type = RTM_GETNSID;
      req.head.nlmsg_flags = NLM_F_REQUEST;
      req.head.nlmsg_seq = static_cast<std::uint32_t>(first + i + 1);
      req.gen.rtgen_family = AF_UNSPEC;
      req.attr.rta_len = RTA_LENGTH(sizeof(std::uint32_t));
      req.attr.rta_type = static_cast<unsigned short>(attribute);
      req.value = values[first + i];
    }
    // Answers a failed receive left behind would carry the sequence numbers of this batch.
    while (::recv(sock.get(), answers[0], answer_size, MSG_DONTWAIT) >= 0) {
    }
    if (::sendto(sock.get(), reqs.data(), count * sizeof(request), 0,
                 reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0)
      continue;
    for (std::size_t i = 0; i < count; ++i) {
      iov[i] = {answers[i], answer_size};
      msgs[i] = {};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int got =
        ::recvmmsg(sock.get(), msgs.data(), static_cast<unsigned>(count), MSG_DONTWAIT, nullptr);
    for (int i = 0; i < got; ++i) {
      nlmsghdr head{};
      if (msgs[i].msg_len < sizeof head)
        continue;
      std::memcpy(&head, answers[i], sizeof head);
      // The sequence number says which request an answer is for; an error answer has it too.
      if (head.nlmsg_seq <= first || head.nlmsg_seq > first + count)
        continue;
      out[head.nlmsg_seq - 1] = nsid_in(answers[i], msgs[i].msg_len);
    }
  }
  return out;
}

}  // namespace detail

netnsid_query::netnsid_query() : sock_(detail::open_rtnetlink()) {}

std::optional<int> netnsid_query::of(const unique_fd& netns_fd) const noexcept {
  return ask(NETNSA_FD, static_cast<std::uint32_t>(netns_fd.get()));
}

std::optional<int> netnsid_query::of(pid_t pid) const noexcept {
  return ask(NETNSA_PID, static_cast<std::uint32_t>(pid));
}

std::optional<int> netnsid_query::ask(int attribute, std::uint32_t value) const noexcept {
  try {
    return detail::ask_netnsids(sock_, attribute, {&value, 1}).front();
  } catch (const std::bad_alloc&) {
    return std::nullopt;
  }
}

}  // namespace nsutil
