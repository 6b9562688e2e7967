// parse_link_messages(): the link events in one read from an rtnetlink
// socket subscribed to RTMGRP_LINK.
//
// Contract: `data` is what one recv() returned, any number of netlink
// messages. RTM_NEWLINK (a link appeared or changed: up/down, rename, XDP)
// and RTM_DELLINK (it is gone) become one LinkEvent each, with the ifindex of
// their ifinfomsg and the IFLA_IFNAME attribute (empty when absent); other
// message types are skipped. A message or attribute whose length runs past
// the buffer or below its header throws std::runtime_error naming the
// message's offset; nothing is read beyond `data`.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace xvs {

struct LinkEvent {
    enum class Kind { changed, removed } kind = Kind::changed;
    uint32_t ifindex = 0;
    std::string name;
    bool operator==(const LinkEvent&) const = default;
};

std::vector<LinkEvent> parse_link_messages(std::span<const uint8_t> data);

}  // namespace xvs
