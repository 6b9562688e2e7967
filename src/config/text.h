// Small text helpers of the ldirectord.cf reader: comments, quoting, numbers.
//
// They only classify and cut text; they never report errors themselves, so
// the caller can say which directive was wrong.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xvs::config_detail {

std::string_view trim(std::string_view s);

// s in double quotes, as messages show a value: "s".
std::string quoted(std::string_view s);

// The line without a trailing comment: '#' starts a comment unless it is
// inside a double-quoted string (ldirectord would cut "a#b" at the '#' and
// then reject the line; keeping it is the useful reading).
std::string_view strip_comment(std::string_view line);

// Leading indentation in columns, a tab counting as 4 (ldirectord turns every
// tab into four spaces and wants at least four for a virtual section).
size_t indentation(std::string_view line);

// NAME=VALUE with optional spaces around '='; NAME is [A-Za-z0-9_-]+.
struct Directive {
    std::string name;
    std::string value;  // trimmed
    bool has_value = false;  // false: the line is a bare word (no '=')
};
std::optional<Directive> split_directive(std::string_view line);

// "text" -> text (the content between the first and the last quote, as
// ldirectord's greedy \"(.*)\" reads it); nullopt when not fully quoted.
std::optional<std::string> unquote(std::string_view value);
// Strips one pair of enclosing quotes if present.
std::string unquote_optional(std::string_view value);

// Decimal digits only, value <= max.
std::optional<uint64_t> parse_uint(std::string_view text, uint64_t max);

bool is_all_digits(std::string_view text);

// Tokens of the tail of a real= line: bare words, "quoted strings" and commas.
struct Token {
    enum Kind { word, quoted, comma } kind;
    std::string text;
};
// nullopt: an unterminated quote.
std::optional<std::vector<Token>> tokenize(std::string_view text);

}  // namespace xvs::config_detail
