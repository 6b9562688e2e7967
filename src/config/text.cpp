#include "config/text.h"

#include <cctype>

namespace xvs::config_detail {

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string_view strip_comment(std::string_view line) {
    bool in_quotes = false;
    for (size_t i = 0; i < line.size(); ++i) {
        if (line[i] == '"') in_quotes = !in_quotes;
        else if (line[i] == '#' && !in_quotes) return line.substr(0, i);
    }
    return line;
}

size_t indentation(std::string_view line) {
    size_t columns = 0;
    for (char c : line) {
        if (c == ' ') columns += 1;
        else if (c == '\t') columns += 4;
        else break;
    }
    return columns;
}

static bool is_name_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}

std::optional<Directive> split_directive(std::string_view line) {
    line = trim(line);
    size_t i = 0;
    while (i < line.size() && is_name_char(line[i])) ++i;
    if (i == 0) return std::nullopt;
    Directive d;
    d.name = std::string(line.substr(0, i));
    std::string_view rest = trim(line.substr(i));
    if (rest.empty()) return d;
    if (rest.front() != '=') return std::nullopt;
    d.has_value = true;
    d.value = std::string(trim(rest.substr(1)));
    return d;
}

std::optional<std::string> unquote(std::string_view value) {
    if (value.size() < 2 || value.front() != '"' || value.back() != '"') return std::nullopt;
    return std::string(value.substr(1, value.size() - 2));
}

std::string unquote_optional(std::string_view value) {
    if (auto inner = unquote(value)) return *inner;
    return std::string(value);
}

bool is_all_digits(std::string_view text) {
    if (text.empty()) return false;
    for (char c : text)
        if (c < '0' || c > '9') return false;
    return true;
}

std::optional<uint64_t> parse_uint(std::string_view text, uint64_t max) {
    if (!is_all_digits(text)) return std::nullopt;
    uint64_t value = 0;
    for (char c : text) {
        value = value * 10 + static_cast<uint64_t>(c - '0');
        if (value > max) return std::nullopt;  // also stops before uint64 overflow
    }
    return value;
}

std::optional<std::vector<Token>> tokenize(std::string_view text) {
    std::vector<Token> tokens;
    size_t i = 0;
    while (i < text.size()) {
        char c = text[i];
        if (std::isspace(static_cast<unsigned char>(c))) {
            ++i;
        } else if (c == ',') {
            tokens.push_back({Token::comma, ","});
            ++i;
        } else if (c == '"') {
            size_t end = text.find('"', i + 1);
            if (end == std::string_view::npos) return std::nullopt;
            tokens.push_back({Token::quoted, std::string(text.substr(i + 1, end - i - 1))});
            i = end + 1;
        } else {
            size_t start = i;
            while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i])) &&
                   text[i] != ',' && text[i] != '"')
                ++i;
            tokens.push_back({Token::word, std::string(text.substr(start, i - start))});
        }
    }
    return tokens;
}

}  // namespace xvs::config_detail
