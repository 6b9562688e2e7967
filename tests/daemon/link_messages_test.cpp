// parse_link_messages(): rtnetlink link messages built here, no socket.
#include <catch2/catch.hpp>

#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>
#include <vector>

#include "daemon/link_messages.h"

using namespace xvs;

namespace {

// Appends one netlink message of `type` for `ifindex`, with IFLA_IFNAME when
// `name` is not null between two IFLA_MTU attributes (so the name is neither
// first nor last); `nul`: whether the name carries its terminating NUL.
void append_link(std::vector<uint8_t>& buf, uint16_t type, int ifindex, const char* name,
                 bool nul = true) {
    std::vector<uint8_t> msg(NLMSG_LENGTH(sizeof(ifinfomsg)));
    auto add_attr = [&](uint16_t attr_type, const void* data, size_t len) {
        size_t at = NLMSG_ALIGN(msg.size());
        msg.resize(at + RTA_SPACE(len));
        rtattr attr{static_cast<unsigned short>(RTA_LENGTH(len)), attr_type};
        std::memcpy(msg.data() + at, &attr, sizeof attr);
        std::memcpy(msg.data() + at + RTA_LENGTH(0), data, len);
    };
    uint32_t mtu = 1500;
    add_attr(IFLA_MTU, &mtu, sizeof mtu);
    if (name) add_attr(IFLA_IFNAME, name, std::strlen(name) + (nul ? 1 : 0));
    uint32_t letters = 0x41414141;  // "AAAA": what an unterminated name would run into
    add_attr(IFLA_MTU, &letters, sizeof letters);
    nlmsghdr header{};
    header.nlmsg_len = static_cast<uint32_t>(msg.size());
    header.nlmsg_type = type;
    std::memcpy(msg.data(), &header, sizeof header);
    ifinfomsg info{};
    info.ifi_family = AF_UNSPEC;
    info.ifi_index = ifindex;
    std::memcpy(msg.data() + NLMSG_HDRLEN, &info, sizeof info);
    buf.resize(NLMSG_ALIGN(buf.size()));
    buf.insert(buf.end(), msg.begin(), msg.end());
}

}  // namespace

TEST_CASE("link messages: a new and a deleted link with their names and ifindexes") {
    std::vector<uint8_t> buf;
    append_link(buf, RTM_DELLINK, 3, "d1");
    append_link(buf, RTM_NEWLINK, 7, "d1");
    auto events = parse_link_messages(buf);
    REQUIRE(events.size() == 2);
    CHECK(events[0] == LinkEvent{LinkEvent::Kind::removed, 3, "d1"});
    CHECK(events[1] == LinkEvent{LinkEvent::Kind::changed, 7, "d1"});
}

TEST_CASE("link messages: other message types are skipped, a missing name is empty") {
    std::vector<uint8_t> buf;
    append_link(buf, RTM_NEWADDR, 2, "d0");
    append_link(buf, RTM_NEWLINK, 4, nullptr);
    append_link(buf, NLMSG_DONE, 0, nullptr);
    auto events = parse_link_messages(buf);
    REQUIRE(events.size() == 1);
    CHECK(events[0] == LinkEvent{LinkEvent::Kind::changed, 4, ""});
    CHECK(parse_link_messages({}).empty());
}

TEST_CASE("link messages: a name without its terminating NUL stops at the attribute's end") {
    std::vector<uint8_t> buf;
    append_link(buf, RTM_NEWLINK, 5, "eth0", false);
    auto events = parse_link_messages(buf);
    REQUIRE(events.size() == 1);
    CHECK(events[0].name == "eth0");
}

TEST_CASE("link messages: lengths outside the buffer are refused, saying where") {
    std::vector<uint8_t> good;
    append_link(good, RTM_NEWLINK, 7, "d1");
    append_link(good, RTM_NEWLINK, 8, "d2");
    size_t second = NLMSG_ALIGN(good.size() / 2);

    SECTION("a message longer than the read") {
        auto buf = good;
        buf.resize(buf.size() - 4);
        CHECK_THROWS_WITH(parse_link_messages(buf),
                          Catch::Contains("at byte " + std::to_string(second)));
    }
    SECTION("a message length below the header") {
        auto buf = good;
        uint32_t tiny = 4;
        std::memcpy(buf.data(), &tiny, sizeof tiny);
        CHECK_THROWS_WITH(parse_link_messages(buf), Catch::Contains("at byte 0"));
    }
    SECTION("a link message without room for its ifinfomsg") {
        std::vector<uint8_t> buf(NLMSG_HDRLEN + 4, 0);
        nlmsghdr header{};
        header.nlmsg_len = static_cast<uint32_t>(buf.size());
        header.nlmsg_type = RTM_NEWLINK;
        std::memcpy(buf.data(), &header, sizeof header);
        CHECK_THROWS_WITH(parse_link_messages(buf), Catch::Contains("ifinfomsg"));
    }
    SECTION("an attribute longer than its message") {
        auto buf = good;
        size_t attr = NLMSG_LENGTH(NLMSG_ALIGN(sizeof(ifinfomsg)));
        uint16_t huge = 4000;
        std::memcpy(buf.data() + attr, &huge, sizeof huge);
        CHECK_THROWS_WITH(parse_link_messages(buf), Catch::Contains("attribute length 4000"));
    }
    SECTION("a trailing fragment shorter than a header is ignored") {
        auto buf = good;
        buf.resize(buf.size() + 8, 0);
        CHECK(parse_link_messages(buf).size() == 2);
    }
}
