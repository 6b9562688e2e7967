// UndoLog: in-memory changes that are reverted unless committed.
//
// Each change records how to revert itself; destroying the log without
// commit() reverts them in reverse order. XdpDataplane::apply() keeps its id
// bookkeeping in step with its map writes this way: a failed apply costs the
// changes it made, not a copy of every table taken up front.
#pragma once

#include <functional>
#include <utility>
#include <vector>

namespace xvs {

class UndoLog {
   public:
    UndoLog() = default;
    UndoLog(const UndoLog&) = delete;
    UndoLog& operator=(const UndoLog&) = delete;
    ~UndoLog() {
        if (!committed_)
            for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) (*it)();
    }

    // Any other change: `undo` reverts it.
    void on_rollback(std::function<void()> undo) { undo_.push_back(std::move(undo)); }
    // map[key] = value.
    template <typename Map>
    void assign(Map& map, const typename Map::key_type& key, typename Map::mapped_type value) {
        auto it = map.find(key);
        if (it == map.end()) {
            map.emplace(key, std::move(value));
            undo_.push_back([&map, key] { map.erase(key); });
        } else {
            // The old value moves into the undo step: no copy of it is made.
            undo_.push_back([&map, key, old = std::move(it->second)] { map[key] = old; });
            it->second = std::move(value);
        }
    }
    // Removes key from a map or a set (nothing when absent).
    template <typename Container>
    void erase(Container& c, const typename Container::key_type& key) {
        auto it = c.find(key);
        if (it == c.end()) return;
        undo_.push_back([&c, old = *it] { c.insert(old); });
        c.erase(it);
    }
    // Adds key to a set (nothing when present).
    template <typename Set>
    void insert(Set& set, const typename Set::key_type& key) {
        if (set.insert(key).second) undo_.push_back([&set, key] { set.erase(key); });
    }
    template <typename T>
    void set(T& variable, T value) {
        undo_.push_back([&variable, old = variable] { variable = old; });
        variable = std::move(value);
    }

    void commit() {
        committed_ = true;
        undo_.clear();
    }

   private:
    std::vector<std::function<void()>> undo_;
    bool committed_ = false;
};

}  // namespace xvs
