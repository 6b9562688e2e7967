// InterfaceBook: what the XDP plane decides and logs when interface= links
// change (pure logic; the kernel side is tests/e2e/interface_recreate.sh).
#include <catch2/catch.hpp>

#include "dataplane/xdp/interface_book.h"

using namespace xvs;

namespace {

InterfaceBook started() {
    InterfaceBook book({"d0", "d1"}, "automatic");
    CHECK(book.attached("d0", 2, "native").text.empty());  // a first attachment is not news
    CHECK(book.attached("d1", 3, "native").text.empty());
    return book;
}

}  // namespace

TEST_CASE("interface book: before the first attachment each is missing in the configured mode") {
    InterfaceBook book({"d0"}, "automatic");
    auto s = book.states();
    REQUIRE(s.size() == 1);
    CHECK_FALSE(s[0].attached);
    CHECK(s[0].mode == "automatic");
    CHECK_FALSE(book.all_attached());
}

TEST_CASE("interface book: a steady interface is kept") {
    InterfaceBook book = started();
    CHECK(book.step("d0", {2, true}) == InterfaceStep::keep);
    CHECK(book.all_attached());
    CHECK(book.states()[1] == InterfaceState{"d1", true, 3, "native", "", 0});
}

TEST_CASE("interface book: deleted, then re-created under the same name with a new ifindex") {
    InterfaceBook book = started();
    CHECK(book.step("d1", {0, false}) == InterfaceStep::lose);
    auto note = book.lost("d1", "no such interface (was ifindex 3)");
    CHECK(note.error);
    CHECK(note.text.find("d1: no such interface (was ifindex 3)") == 0);
    CHECK_FALSE(book.all_attached());
    CHECK(book.states()[1].problem == "no such interface (was ifindex 3)");
    CHECK(book.states()[1].ifindex == 0);
    CHECK(book.states()[1].mode == "native");  // kept for the metric's label
    // The same loss seen again (the next check) is not logged twice.
    CHECK(book.lost("d1", "no such interface (was ifindex 3)").text.empty());
    // Still gone: nothing to do.
    CHECK(book.step("d1", {0, false}) == InterfaceStep::keep);
    // Back with another ifindex.
    CHECK(book.step("d1", {9, false}) == InterfaceStep::attach);
    note = book.attached("d1", 9, "native");
    CHECK_FALSE(note.error);
    CHECK(note.text == "d1: XDP program attached again (native mode, ifindex 9)");
    CHECK(book.states()[1] == InterfaceState{"d1", true, 9, "native", "", 1});
    CHECK(book.all_attached());
}

TEST_CASE("interface book: a device that lost the program, or was replaced at once, is re-attached") {
    InterfaceBook book = started();
    // Same ifindex, program removed (ip link set dev d0 xdp off).
    CHECK(book.step("d0", {2, false}) == InterfaceStep::attach);
    auto note = book.attached("d0", 2, "native");
    CHECK(note.text == "d0: XDP program attached again (native mode, ifindex 2), it had lost the program");
    // Replaced between two checks: a new ifindex that carries no program.
    CHECK(book.step("d1", {11, false}) == InterfaceStep::attach);
    CHECK(book.last_ifindex("d1") == 3);  // what the caller must forget first
    book.released("d1");
    CHECK(book.last_ifindex("d1") == 0);
}

TEST_CASE("interface book: a failed re-attachment stays missing, logged once per reason") {
    InterfaceBook book = started();
    book.lost("d1", "no such interface (was ifindex 3)");
    auto note = book.attach_failed("d1", "d1: XDP attach failed (native mode: Operation not supported)");
    CHECK(note.error);
    CHECK(note.text == "d1: XDP attach failed (native mode: Operation not supported)");
    CHECK(book.attach_failed("d1", "d1: XDP attach failed (native mode: Operation not supported)")
              .text.empty());
    note = book.attach_failed("d1", "reading the XDP program's id: Bad file descriptor");
    CHECK(note.text == "d1: reading the XDP program's id: Bad file descriptor");
    CHECK(book.step("d1", {12, false}) == InterfaceStep::attach);  // retried
    CHECK_FALSE(book.states()[1].attached);
}

TEST_CASE("interface book: which link events concern it") {
    InterfaceBook book = started();
    CHECK(book.concerns("d1", 0));
    CHECK(book.concerns("renamed", 3));  // d1's device under a new name
    CHECK_FALSE(book.concerns("lo", 1));
    CHECK_FALSE(book.concerns("other", 0));
    CHECK_THROWS_AS(book.step("eth9", {1, false}), std::out_of_range);
}
