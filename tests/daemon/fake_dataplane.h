// FakeDataplane: a Dataplane that only remembers what it was told, for tests
// of the daemon. Its connection table lists as many made-up entries as it
// was given. Every service and real reports 42 connections until zeroed
// (all at once, or one service with its reals). It can be told to refuse the next apply(), and writes the
// number of services it held when destroyed to a file (the daemon runs it in
// a child process, so the test reads its last state from there).
#pragma once

#include <fstream>
#include <set>
#include <string>

#include "dataplane/dataplane.h"

namespace xvs::testing {

class FakeDataplane : public Dataplane {
   public:
    explicit FakeDataplane(std::string final_state_file = {}, size_t listed_connections = 0)
        : final_state_file_(std::move(final_state_file)), listed_connections_(listed_connections) {}
    ~FakeDataplane() override {
        if (final_state_file_.empty()) return;
        std::ofstream out(final_state_file_);
        out << model_.services.size() << "\n";
    }

    std::string name() const override { return "fake"; }
    std::vector<std::string> unsupported(const Model&) const override { return {}; }
    void apply(const ModelDiff& change) override {
        ++applies;
        last_change_size = change.size();
        if (refuse_next_apply) {
            refuse_next_apply = false;
            throw DataplaneError("fake: refused");
        }
        apply_diff(model_, change);
    }
    const VirtualService* programmed_service(const ServiceKey& key) const override {
        auto it = model_.services.find(key);
        return it == model_.services.end() ? nullptr : &it->second;
    }
    std::vector<ServiceStatus> status() const override {
        std::vector<ServiceStatus> out;
        for (const auto& [key, s] : model_.services) {
            ServiceStatus st;
            st.key = key;
            st.scheduler = s.scheduler;
            st.persistence = s.persistence;
            bool zeroed = zeroed_ || zeroed_services_.count(key);
            st.counters.connections = zeroed ? 0 : 42;
            for (const auto& [rk, r] : s.reals) {
                RealStatus rs;
                rs.key = rk;
                rs.method = r.method;
                rs.weight = r.weight;
                rs.counters.connections = zeroed ? 0 : 42;
                st.reals.push_back(rs);
            }
            out.push_back(st);
        }
        return out;
    }
    // `listed_connections` entries, client ports 1, 2, ... (wrapping), made
    // as the cursor is driven.
    std::unique_ptr<ConnectionCursor> connection_cursor() const override {
        return std::make_unique<CountingCursor>(listed_connections_);
    }
    void zero_counters() override { zeroed_ = true; }
    void zero_service_counters(const ServiceKey& service) override {
        if (!model_.services.count(service))
            throw DataplaneError(service.to_string() + ": No such service");
        zeroed_services_.insert(service);
    }

    // As a plane with a connection table keeps them (the daemon's logic is
    // tested here; the planes' own tests check what the values do).
    void set_timeouts(const ConnectionTimeouts& change) override { timeouts_ = merge_timeouts(timeouts_, change); }
    ConnectionTimeouts timeouts() const override { return timeouts_; }

    const Model& model() const { return model_; }
    int applies = 0;
    size_t last_change_size = 0;
    bool refuse_next_apply = false;

   private:
    ConnectionTimeouts timeouts_;
    class CountingCursor : public ConnectionCursor {
       public:
        explicit CountingCursor(size_t total) : left_(total) {}
        bool next(std::vector<ConnectionEntry>& out, size_t max) override {
            for (; left_ > 0 && max > 0; --left_, --max) {
                ConnectionEntry e;
                e.client_port = static_cast<uint16_t>(++made_);
                e.state = "ESTABLISHED";
                out.push_back(e);
            }
            return left_ > 0;
        }

       private:
        size_t left_;
        size_t made_ = 0;
    };

    std::string final_state_file_;
    size_t listed_connections_ = 0;
    Model model_;
    bool zeroed_ = false;
    std::set<ServiceKey> zeroed_services_;
};

}  // namespace xvs::testing
