#include "daemon/link_messages.h"

#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <cstring>
#include <stdexcept>

namespace xvs {
namespace {

[[noreturn]] void malformed(size_t offset, const std::string& what) {
    throw std::runtime_error("rtnetlink message at byte " + std::to_string(offset) + ": " + what);
}

// IFLA_IFNAME within the attributes [begin, end) of one link message.
std::string link_name(const uint8_t* begin, const uint8_t* end, size_t offset) {
    const uint8_t* at = begin;
    while (end - at >= static_cast<std::ptrdiff_t>(sizeof(rtattr))) {
        rtattr attr;
        std::memcpy(&attr, at, sizeof attr);
        if (attr.rta_len < sizeof(rtattr) || attr.rta_len > end - at)
            malformed(offset, "attribute length " + std::to_string(attr.rta_len) +
                                  " outside the message");
        if (attr.rta_type == IFLA_IFNAME) {
            const char* text = reinterpret_cast<const char*>(at + RTA_LENGTH(0));
            size_t max = attr.rta_len - RTA_LENGTH(0);
            return std::string(text, strnlen(text, max));
        }
        size_t step = RTA_ALIGN(attr.rta_len);
        if (step >= static_cast<size_t>(end - at)) break;
        at += step;
    }
    return {};
}

}  // namespace

std::vector<LinkEvent> parse_link_messages(std::span<const uint8_t> data) {
    std::vector<LinkEvent> events;
    size_t offset = 0;
    while (data.size() - offset >= sizeof(nlmsghdr)) {
        nlmsghdr header;
        std::memcpy(&header, data.data() + offset, sizeof header);
        if (header.nlmsg_len < sizeof(nlmsghdr) || header.nlmsg_len > data.size() - offset)
            malformed(offset, "length " + std::to_string(header.nlmsg_len) + " outside the " +
                                  std::to_string(data.size()) + "-byte read");
        if (header.nlmsg_type == RTM_NEWLINK || header.nlmsg_type == RTM_DELLINK) {
            if (header.nlmsg_len < NLMSG_LENGTH(sizeof(ifinfomsg)))
                malformed(offset, "link message shorter than its ifinfomsg");
            ifinfomsg info;
            std::memcpy(&info, data.data() + offset + NLMSG_HDRLEN, sizeof info);
            const uint8_t* attrs = data.data() + offset + NLMSG_LENGTH(NLMSG_ALIGN(sizeof info));
            const uint8_t* end = data.data() + offset + header.nlmsg_len;
            LinkEvent e;
            e.kind = header.nlmsg_type == RTM_DELLINK ? LinkEvent::Kind::removed
                                                      : LinkEvent::Kind::changed;
            e.ifindex = static_cast<uint32_t>(info.ifi_index);
            e.name = attrs < end ? link_name(attrs, end, offset) : std::string();
            events.push_back(std::move(e));
        }
        size_t step = NLMSG_ALIGN(header.nlmsg_len);
        if (step >= data.size() - offset) break;
        offset += step;
    }
    return events;
}

}  // namespace xvs
