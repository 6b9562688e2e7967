// The directives of ldirectord.cf (and xvs's own), as one table: each one's
// name, where it may appear, the kind of value it takes and the handler that
// stores it.
//
// A directive valid in both places (checktimeout, quiescent, emailalert, ...)
// has one entry and one handler: at the global level it sets the global
// value, inside a virtual section that virtual's override of it.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "config/parse_state.h"
#include "config/text.h"

namespace xvs::config_detail {

enum class Where : uint8_t {
    global = 1,          // column 1 only
    virtual_section = 2, // indented under a virtual= line only
    both = 3,            // either; a virtual's value overrides the global one
};

// How apply_directive() reads the value before the handler runs; a value
// that does not read is reported there and the handler is not called.
enum class ValueKind : uint8_t {
    yes_no,        // "yes" or "no"                          -> DirectiveContext::flag
    positive,      // a whole number 1..4294967295           -> number
    non_negative,  // a whole number 0..4294967295           -> number
    quoted_string, // "text" in required quotes, not empty   -> text
    text,          // not empty, enclosing quotes removed    -> text
    raw_text,      // not empty, kept as written             -> text
    special,       // the handler reads the value itself
    refused,       // known but not accepted: the handler says why
    section,       // virtual=, virtual6=: begins a virtual section
};

struct DirectiveContext;
using DirectiveHandler = void (*)(DirectiveContext&);

struct DirectiveSpec {
    std::string_view name;
    Where where;
    ValueKind kind;
    DirectiveHandler handler;
    bool bare_word = false;         // may also be written without "=VALUE" where allowed
    std::string_view warning = {};  // given on every use (a deprecated directive)
};

// Every directive, in no particular order.
std::span<const DirectiveSpec> directive_table();

// nullptr for an unknown name (names are case-sensitive, as in ldirectord).
const DirectiveSpec* find_directive(std::string_view name);

// Reads one directive line: `section` is the virtual section it is indented
// under, nullptr for a column-1 line. Every problem goes to state.diag with
// `line`.
void apply_directive(ParseState& state, PendingVirtual* section, const Directive& d, int line);

}  // namespace xvs::config_detail
