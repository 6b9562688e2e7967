// ConnectionStreams: answers list-connections (xvsadm -Lnc) off the event
// loop, so that a table of a million entries neither stalls the loop nor is
// copied whole into the daemon.
//
// Contract:
//  - start() takes the client's socket (ControlServer::hand_over()) and a
//    cursor of the plane's table (Dataplane::connection_cursor(), made on the
//    loop), and streams the table on a thread of its own: replies of
//    Limits::part_entries entries each with "more", then the last part
//    without it (control/protocol.h), then closes. The daemon holds one part
//    per stream in memory, whatever the table's size.
//  - A cursor that fails mid-walk ends the stream with an error reply naming
//    the cause; a client that takes nothing for Limits::send_timeout, or goes
//    away, ends its stream.
//  - At most Limits::max_streams at once: one more is answered at once with
//    busy_message() and closed.
//  - The destructor stops every stream (an unfinished listing ends with a
//    truncated stream, which xvsadm reports) and joins the threads.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/unique_fd.h"
#include "dataplane/dataplane.h"

namespace xvs {

class ConnectionStreams {
   public:
    struct Limits {
        size_t max_streams = 8;
        size_t part_entries = 4096;
        // A pager (xvsadm -Lnc | less) may hold the reader for a while.
        std::chrono::milliseconds send_timeout{60000};
    };
    ConnectionStreams();
    explicit ConnectionStreams(Limits limits);
    ~ConnectionStreams();
    ConnectionStreams(const ConnectionStreams&) = delete;
    ConnectionStreams& operator=(const ConnectionStreams&) = delete;

    void start(UniqueFd client, std::string dataplane, std::unique_ptr<ConnectionCursor> cursor);
    // Streams still running (finished ones are joined first).
    size_t running();
    std::string busy_message() const;

   private:
    struct Stream {
        std::mutex mutex;  // guards client against the destructor's shutdown
        UniqueFd client;
        std::atomic<bool> done{false};
        std::thread thread;
    };
    void run(Stream& stream, const std::string& dataplane, ConnectionCursor& cursor);
    void reap();

    Limits limits_;
    std::atomic<bool> stopping_{false};
    std::list<std::unique_ptr<Stream>> streams_;  // only the loop's thread touches the list
};

}  // namespace xvs
