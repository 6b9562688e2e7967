// XdpConnectionCursor: the XDP connection table as xvsadm -Lnc lists it,
// walked a chunk at a time on whatever thread drives it.
//
// Contract:
//  - Made on the plane's thread from a copy of the names it prints (service
//    id -> key and persistence timeout, real id -> key and generation) and
//    its own duplicates of the xvs_conns and xvs_persist fds: the plane may
//    apply changes, or be destroyed, while the cursor walks.
//  - Lists the flows, then the persistence templates, that are live when read
//    (not expired, of a real of the generation the copy names). A real or
//    service changed after the copy was made is listed as it was then.
//  - Memory: one chunk of census_chunk entries at a time, whatever the size
//    of the table.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "common/unique_fd.h"
#include "dataplane/dataplane.h"
#include "dataplane/xdp/batch_reader.h"
#include "xvs/abi.h"

namespace xvs {

class XdpConnectionCursor : public ConnectionCursor {
   public:
    struct Names {
        struct Service {
            ServiceKey key;
            uint64_t persist_timeout_ns = 0;
        };
        struct Real {
            RealKey key;
            uint32_t generation = 0;
        };
        std::map<uint32_t, Service> services;
        std::map<uint32_t, Real> reals;
        xvs_config config{};  // the timeouts in force (ipvsadm --set)
    };
    // Duplicates the fds (throws DataplaneError when it cannot).
    XdpConnectionCursor(int conns_fd, int persist_fd, Names names);

    bool next(std::vector<ConnectionEntry>& out, size_t max) override;

   private:
    // The real of (id, generation) if the copy names it.
    const RealKey* real(uint32_t id, uint32_t generation) const;
    std::optional<ConnectionEntry> flow(const xvs_conn_key& k, const xvs_conn& c, uint64_t now) const;
    std::optional<ConnectionEntry> template_of(const xvs_persist_key& k, const xvs_persist& t,
                                               uint64_t now) const;

    UniqueFd conns_fd_, persist_fd_;
    Names names_;
    std::unique_ptr<BatchReader<xvs_conn_key, xvs_conn>> conns_;
    std::unique_ptr<BatchReader<xvs_persist_key, xvs_persist>> persist_;
    // The chunk being handed out: how many entries it holds and how many
    // are given.
    size_t chunk_size_ = 0, chunk_given_ = 0;
    bool in_templates_ = false;
};

// The name ipvsadm -Lnc prints for a connection state.
const char* conn_state_name(uint8_t state);

}  // namespace xvs
