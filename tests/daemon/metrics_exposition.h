// A strict reader of the Prometheus text format 0.0.4, for tests: Debian's
// promtool comes only with the whole prometheus server package, so the
// rules xvsd must follow are checked here instead.
//
// check_exposition() returns one message per violation (empty = valid):
// every line is a comment (# HELP / # TYPE name ...) or a sample
// `name{label="value",...} value`; names match [a-zA-Z_:][a-zA-Z0-9_:]*,
// label names [a-zA-Z_][a-zA-Z0-9_]*; label values use only \\ \" \n escapes;
// values parse as floats (or NaN/+Inf/-Inf); a family's TYPE comes before its
// samples, exactly once, and its samples are contiguous; no series repeats.
// Parsed samples are returned in `samples` (series text -> value).
#pragma once

#include <cstdlib>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace xvs::testing {

inline bool metric_name_ok(const std::string& n, bool label) {
    if (n.empty()) return false;
    for (size_t i = 0; i < n.size(); ++i) {
        char c = n[i];
        bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                     (!label && c == ':');
        if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
    }
    return true;
}

inline std::vector<std::string> check_exposition(const std::string& text,
                                                 std::map<std::string, double>* samples = nullptr) {
    std::vector<std::string> errors;
    std::map<std::string, std::string> types;  // family -> type
    std::set<std::string> finished, series;
    std::string current;
    if (!text.empty() && text.back() != '\n') errors.push_back("no final newline");
    std::istringstream in(text);
    std::string line;
    int no = 0;
    auto fail = [&](const std::string& m) {
        errors.push_back("line " + std::to_string(no) + ": " + m + ": " + line);
    };
    while (std::getline(in, line)) {
        ++no;
        if (line.empty()) { fail("empty line"); continue; }
        if (line[0] == '#') {
            std::istringstream ls(line);
            std::string hash, kind, name;
            ls >> hash >> kind >> name;
            if (kind != "HELP" && kind != "TYPE") continue;  // plain comment
            if (!metric_name_ok(name, false)) { fail("bad family name"); continue; }
            if (kind == "TYPE") {
                std::string type, extra;
                ls >> type >> extra;
                if (type != "counter" && type != "gauge" && type != "untyped" &&
                    type != "histogram" && type != "summary")
                    fail("bad type");
                if (!extra.empty()) fail("text after the type");
                if (types.count(name)) fail("second TYPE for " + name);
                types[name] = type;
            }
            if (name != current) {
                if (finished.count(name)) fail("family " + name + " reopened");
                if (!current.empty()) finished.insert(current);
                current = name;
            }
            continue;
        }
        size_t i = 0;
        while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
        std::string name = line.substr(0, i);
        if (!metric_name_ok(name, false)) { fail("bad metric name"); continue; }
        if (!types.count(name)) fail("sample before TYPE of " + name);
        if (name != current) fail("sample outside its family's block");
        std::string labels;
        if (i < line.size() && line[i] == '{') {
            size_t start = i++;
            bool ok = true;
            std::set<std::string> seen;
            while (ok && i < line.size() && line[i] != '}') {
                size_t eq = line.find('=', i);
                if (eq == std::string::npos) { ok = false; break; }
                std::string label = line.substr(i, eq - i);
                if (!metric_name_ok(label, true) || !seen.insert(label).second) ok = false;
                i = eq + 1;
                if (i >= line.size() || line[i] != '"') { ok = false; break; }
                ++i;
                while (i < line.size() && line[i] != '"') {
                    if (line[i] == '\\') {
                        if (i + 1 >= line.size() ||
                            (line[i + 1] != '\\' && line[i + 1] != '"' && line[i + 1] != 'n'))
                            ok = false;
                        i += 2;
                    } else {
                        ++i;
                    }
                }
                if (i >= line.size()) { ok = false; break; }
                ++i;  // closing quote
                if (i < line.size() && line[i] == ',') ++i;
                else if (i >= line.size() || line[i] != '}') ok = false;
            }
            if (!ok || i >= line.size()) { fail("malformed labels"); continue; }
            labels = line.substr(start, i + 1 - start);
            ++i;
        }
        if (i >= line.size() || line[i] != ' ') { fail("no space before the value"); continue; }
        std::string value = line.substr(i + 1);
        std::string ts;
        if (auto sp = value.find(' '); sp != std::string::npos) {
            ts = value.substr(sp + 1);
            value = value.substr(0, sp);
        }
        char* end = nullptr;
        double v = std::strtod(value.c_str(), &end);
        if (value.empty() || *end != '\0') fail("bad value");
        if (!ts.empty() && ts.find_first_not_of("-0123456789") != std::string::npos)
            fail("bad timestamp");
        if (!series.insert(name + labels).second) fail("duplicate series");
        if (samples) (*samples)[name + labels] = v;
    }
    return errors;
}

}  // namespace xvs::testing
