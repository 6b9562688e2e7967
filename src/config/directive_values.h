// One directive line as its handler sees it (DirectiveContext), and the
// readers of the value kinds directives share. Each reader reports its own
// error, naming the directive, and returns nullopt.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "config/parse_state.h"
#include "config/text.h"

namespace xvs::config_detail {

struct DirectiveContext {
    ParseState& state;
    PendingVirtual* section;  // the virtual section the line is in; nullptr at the global level
    const Directive& d;
    int line;
    // The value as the directive's ValueKind read it.
    bool flag = false;
    uint32_t number = 0;
    std::string text;

    void error(const std::string& message) const { state.diag.error(line, message); }
    void warning(const std::string& message) const { state.diag.warning(line, message); }
    GlobalConfig& globals() const { return state.config.globals; }
    // A directive valid in both places: `set` gets the GlobalConfig at the
    // global level, the section's VirtualOverrides inside a virtual (their
    // fields have the same names).
    template <class Set>
    void shared(Set&& set) const {
        if (section) set(section->o);
        else set(state.config.globals);
    }
};

std::optional<bool> read_yes_no(const DirectiveContext& c);
std::optional<uint32_t> read_positive(const DirectiveContext& c, uint32_t max = UINT32_MAX);
std::optional<uint32_t> read_non_negative(const DirectiveContext& c);
// "text" in required quotes; empty refused unless allow_empty.
std::optional<std::string> read_quoted(const DirectiveContext& c, bool allow_empty = false);
// Not empty; strip_quotes removes one pair of enclosing quotes first.
std::optional<std::string> read_text(const DirectiveContext& c, bool strip_quotes);
std::optional<std::string> read_email_address(const DirectiveContext& c);
// ldirectord's parse_emailalertstatus: a comma list of states; "none" stands alone.
std::optional<uint8_t> read_email_status(const DirectiveContext& c);
std::optional<std::string> read_smtp_server(const DirectiveContext& c);

}  // namespace xvs::config_detail
