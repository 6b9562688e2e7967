#include "config/diagnostics.h"

#include <algorithm>

namespace xvs::config_detail {

std::vector<std::string> Diagnostics::format(std::vector<Entry> entries, const char* prefix) const {
    std::stable_sort(entries.begin(), entries.end(),
                     [](const Entry& a, const Entry& b) { return a.line < b.line; });
    std::vector<std::string> out;
    out.reserve(entries.size());
    for (const auto& e : entries) {
        std::string where = source_;
        if (e.line > 0) where += ":" + std::to_string(e.line);
        out.push_back(where + ": " + prefix + e.message);
    }
    return out;
}

}  // namespace xvs::config_detail
