#include <catch2/catch.hpp>

#include "control/framing.h"
#include "control/protocol.h"

using namespace xvs::control;

TEST_CASE("a frame fed byte by byte yields its payload once", "[framing]") {
    std::string framed = frame("hello\n");
    REQUIRE(framed.size() == 10);
    FrameReader reader(100);
    for (size_t i = 0; i < framed.size(); ++i) {
        CHECK_FALSE(reader.take());
        reader.feed(framed.substr(i, 1));
    }
    auto payload = reader.take();
    REQUIRE(payload);
    CHECK(*payload == "hello\n");
    CHECK_FALSE(reader.take());
}

TEST_CASE("a frame announcing more than the limit is refused before buffering", "[framing]") {
    FrameReader reader(max_request_bytes);
    std::string header = frame(std::string(max_request_bytes + 1, 'x')).substr(0, 4);
    CHECK_THROWS_AS(reader.feed(header), ProtocolError);
    FrameReader ok(max_request_bytes);
    CHECK_NOTHROW(ok.feed(frame(std::string(max_request_bytes, 'x'))));
    CHECK(ok.take()->size() == max_request_bytes);
}

TEST_CASE("bytes after a complete frame are an error", "[framing]") {
    FrameReader reader(100);
    CHECK_THROWS_AS(reader.feed(frame("a") + "z"), ProtocolError);
}

TEST_CASE("an empty frame is a complete, empty payload", "[framing]") {
    FrameReader reader(100);
    reader.feed(frame(""));
    auto payload = reader.take();
    REQUIRE(payload);
    CHECK(payload->empty());
}
