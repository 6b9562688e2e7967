#include "daemon/connection_streams.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <system_error>
#include <vector>

#include "control/framing.h"
#include "control/protocol.h"

namespace xvs {

namespace {

// The thread writes in blocking mode, bounded by the send timeout.
void make_blocking(int fd, std::chrono::milliseconds timeout) {
    int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0)
        throw std::system_error(errno, std::generic_category(), "making the listing socket blocking");
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>(timeout.count() % 1000 * 1000);
    if (::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0)
        throw std::system_error(errno, std::generic_category(), "setting the listing's send timeout");
}

}  // namespace

ConnectionStreams::ConnectionStreams() : ConnectionStreams(Limits{}) {}

ConnectionStreams::ConnectionStreams(Limits limits) : limits_(limits) {}

ConnectionStreams::~ConnectionStreams() {
    stopping_ = true;
    for (auto& s : streams_) {
        std::lock_guard lock(s->mutex);
        // Wakes a thread blocked in a write to a client that reads nothing.
        if (s->client) ::shutdown(s->client.get(), SHUT_RDWR);
    }
    for (auto& s : streams_) s->thread.join();
}

std::string ConnectionStreams::busy_message() const {
    return "xvsd is busy: " + std::to_string(limits_.max_streams) +
           " connection listings are running; try again";
}

void ConnectionStreams::reap() {
    for (auto it = streams_.begin(); it != streams_.end();) {
        if ((*it)->done) {
            (*it)->thread.join();
            it = streams_.erase(it);
        } else {
            ++it;
        }
    }
}

size_t ConnectionStreams::running() {
    reap();
    return streams_.size();
}

void ConnectionStreams::start(UniqueFd client, std::string dataplane, std::unique_ptr<ConnectionCursor> cursor) {
    if (running() >= limits_.max_streams) {
        // A fresh socket takes a short frame at once; a client that is gone
        // already has nothing to be told.
        std::string busy = control::frame(control::encode_reply(control::Reply::failure(busy_message())));
        (void)::send(client.get(), busy.data(), busy.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        return;
    }
    auto stream = std::make_unique<Stream>();
    stream->client = std::move(client);
    Stream& s = *stream;
    streams_.push_back(std::move(stream));
    s.thread = std::thread([this, &s, dataplane = std::move(dataplane), cursor = std::move(cursor)] {
        run(s, dataplane, *cursor);
        std::lock_guard lock(s.mutex);
        s.client.reset();
        s.done = true;
    });
}

void ConnectionStreams::run(Stream& stream, const std::string& dataplane, ConnectionCursor& cursor) {
    const int fd = stream.client.get();
    auto send = [&](const control::Reply& reply) {
        control::write_all(fd, control::frame(control::encode_reply(reply)), "sending a listing");
    };
    try {
        make_blocking(fd, limits_.send_timeout);
        for (;;) {
            control::Reply part;
            part.dataplane = dataplane;
            bool more = false;
            try {
                if (stopping_) throw DataplaneError("xvsd is stopping");
                more = cursor.next(part.connections, limits_.part_entries);
            } catch (const DataplaneError& e) {
                control::Reply failure = control::Reply::failure(std::string("listing connections: ") + e.what());
                send(failure);
                return;
            }
            part.more = more;
            send(part);
            if (!more) return;
        }
    } catch (const std::system_error&) {
        // The client went away or read nothing for send_timeout: its
        // listing ends here, and it sees a truncated stream.
    }
}

}  // namespace xvs
