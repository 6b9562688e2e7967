#include "daemon/table_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <fstream>
#include <sstream>

#include "common/errno_text.h"
#include "control/record_fields.h"
#include "daemon/directories.h"

namespace xvs {
namespace {

using Kind = EditRecord::Kind;
using control::Fields;

constexpr std::string_view table_magic = "xvs-table/1";
constexpr std::string_view journal_magic = "xvs-journal/1";
// Compact once the journal holds this many records and more than the snapshot.
constexpr size_t min_compaction_records = 4096;

std::string real_key_fields(const RealKey& k) {
    return k.address.to_string() + " " + std::to_string(k.port);
}

[[noreturn]] void fail(const std::string& what) { throw TableError(what); }

void write_all(int fd, std::string_view data, const std::string& path) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail("cannot write " + path + ": " + errno_text(errno));
        data.remove_prefix(static_cast<size_t>(n));
    }
}

void sync_fd(int fd, const std::string& path) {
    if (::fsync(fd) != 0) fail("cannot fsync " + path + ": " + errno_text(errno));
}

// Writes `content` to PATH.tmp, fsync()s it and renames it to PATH.
void replace_file(const std::string& path, const std::string& content) {
    std::string tmp = path + ".tmp";
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd) fail("cannot create " + tmp + ": " + errno_text(errno));
    write_all(fd.get(), content, tmp);
    sync_fd(fd.get(), tmp);
    if (::rename(tmp.c_str(), path.c_str()) != 0)
        fail("cannot rename " + tmp + " to " + path + ": " + errno_text(errno));
}

// The lines of a file; `torn` says whether the last one had no newline.
// Missing: nullopt.
std::optional<std::vector<std::string>> read_lines(const std::string& path, bool& torn) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        if (errno == ENOENT) return std::nullopt;
        fail("cannot read " + path + ": " + errno_text(errno));
    }
    std::stringstream buffer;
    buffer << in.rdbuf();
    std::string text = buffer.str();
    std::vector<std::string> lines;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t nl = text.find('\n', pos);
        if (nl == std::string::npos) {
            lines.push_back(text.substr(pos));
            torn = true;
            break;
        }
        lines.push_back(text.substr(pos, nl - pos));
        pos = nl + 1;
    }
    return lines;
}

// "MAGIC GEN" -> GEN.
uint64_t header_generation(const std::vector<std::string>& lines, std::string_view magic,
                           const std::string& path) {
    if (lines.empty())
        fail(path + ":1: empty file, expected '" + std::string(magic) + " GENERATION'");
    Fields f(lines[0], 1, path + ":");
    if (f[0] != magic) f.fail("expected '" + std::string(magic) + " GENERATION'");
    f.expect_count(2);
    return f.number(1);
}

}  // namespace

std::string encode_record(const EditRecord& r) {
    std::string key = control::service_key_fields(r.service);
    switch (r.kind) {
        case Kind::service_defined:
            return "service defined " + key + " " + control::settings_fields(r.settings);
        case Kind::service_edited:
            return "service edited " + key + " " + control::settings_fields(r.settings);
        case Kind::service_deleted: return "service deleted " + key;
        case Kind::service_unset: return "service unset " + key;
        case Kind::reals_unset: return "reals unset " + key;
        case Kind::real_set:
            return "real set " + key + " " + control::dest_fields(r.real) +
                   (r.follows_base ? " 1" : " 0");
        case Kind::real_deleted: return "real deleted " + key + " " + real_key_fields(r.real.key);
        case Kind::real_unset: return "real unset " + key + " " + real_key_fields(r.real.key);
        case Kind::clear: return "clear";
        case Kind::timeouts: return "timeouts " + control::timeouts_fields(r.timeouts);
    }
    return "clear";
}

namespace {

EditRecord decode_fields(std::string_view line, size_t line_no, const std::string& where) {
    Fields f(line, line_no, where);
    EditRecord r;
    if (f[0] == "clear") {
        f.expect_count(1);
        return r;
    }
    if (f[0] == "timeouts") {
        f.expect_count(1 + control::timeouts_field_count);
        r.kind = Kind::timeouts;
        r.timeouts = control::parse_timeouts(f, 1);
        return r;
    }
    if (f.size() < 2 + control::service_key_field_count)
        f.fail("'" + std::string(line.substr(0, 40)) + "' is not a table record");
    std::string what = std::string(f[0]) + " " + std::string(f[1]);
    constexpr size_t key_at = 2, after_key = key_at + control::service_key_field_count;
    r.service = control::parse_service_key(f, key_at);
    auto real_key = [&] {
        r.real.key.address = f.address(after_key);
        r.real.key.port = f.u16(after_key + 1);
    };
    if (what == "service defined" || what == "service edited") {
        if (f.size() != after_key + control::settings_field_count_without_engine)
            f.expect_count(after_key + control::settings_field_count);
        r.kind = what == "service defined" ? Kind::service_defined : Kind::service_edited;
        r.settings = control::parse_settings(f, after_key);
    } else if (what == "service deleted" || what == "service unset" || what == "reals unset") {
        f.expect_count(after_key);
        r.kind = what == "service deleted" ? Kind::service_deleted
                 : what == "service unset" ? Kind::service_unset
                                           : Kind::reals_unset;
    } else if (what == "real set") {
        f.expect_count(after_key + control::dest_field_count + 1);
        r.kind = Kind::real_set;
        r.real = control::parse_dest(f, after_key);
        r.follows_base = f.flag(after_key + control::dest_field_count);
    } else if (what == "real deleted" || what == "real unset") {
        f.expect_count(after_key + 2);
        r.kind = what == "real deleted" ? Kind::real_deleted : Kind::real_unset;
        real_key();
    } else {
        f.fail("unknown record '" + what + "'");
    }
    return r;
}

}  // namespace

EditRecord decode_record(std::string_view line, size_t line_no, const std::string& where) {
    try {
        return decode_fields(line, line_no, where);
    } catch (const control::ProtocolError& e) {
        throw TableError(e.what());
    }
}

TableStore::TableStore(std::string dir) : dir_(std::move(dir)) {}

TableStore::Loaded TableStore::load() const {
    try {
        return read_both();
    } catch (const control::ProtocolError& e) {
        throw TableError(e.what());
    }
}

TableStore::Loaded TableStore::read_both() const {
    Loaded out;
    std::string table = table_path(), journal = journal_path();
    bool torn = false;
    uint64_t generation = 0;
    if (auto lines = read_lines(table, torn)) {
        if (torn)
            fail(table + ":" + std::to_string(lines->size()) + ": the last line has no newline");
        generation = header_generation(*lines, table_magic, table);
        bool ended = false;
        for (size_t i = 1; i < lines->size(); ++i) {
            const std::string& line = (*lines)[i];
            if (ended) fail(table + ":" + std::to_string(i + 1) + ": data after 'end'");
            if (line.rfind("end", 0) == 0) {
                Fields f(line, i + 1, table + ":");
                f.expect_count(2);
                if (f.number(1) != out.records.size())
                    f.fail("'end' counts " + std::string(f[1]) + " records, the file has " +
                           std::to_string(out.records.size()));
                ended = true;
                continue;
            }
            out.records.push_back(decode_record(line, i + 1, table + ":"));
        }
        if (!ended) fail(table + ": truncated (no 'end' line)");
    }
    torn = false;
    auto lines = read_lines(journal, torn);
    if (!lines) return out;
    if (lines->empty()) return out;
    if (torn && lines->size() == 1) {
        out.notes.push_back(journal + ": only a torn header, ignored");
        return out;
    }
    uint64_t journal_generation = header_generation(*lines, journal_magic, journal);
    if (journal_generation != generation) {
        out.notes.push_back(journal + ": generation " + std::to_string(journal_generation) +
                            ", the table's is " + std::to_string(generation) +
                            ": left from an interrupted compaction, ignored");
        return out;
    }
    // A change is its records and then "done": records without it were cut
    // short by a kill during their write, never acknowledged, and are dropped
    // whole, so that no change is half-loaded.
    size_t complete = torn ? lines->size() - 1 : lines->size();
    std::vector<EditRecord> change;
    size_t change_line = 0;
    for (size_t i = 1; i < complete; ++i) {
        const std::string& line = (*lines)[i];
        if (line == "done") {
            for (auto& r : change) out.records.push_back(std::move(r));
            change.clear();
            continue;
        }
        if (change.empty()) change_line = i + 1;
        change.push_back(decode_record(line, i + 1, journal + ":"));
    }
    if (torn || !change.empty())
        out.notes.push_back(
            journal + ":" + std::to_string(change.empty() ? lines->size() : change_line) +
            ": a change cut short (no 'done') is dropped; it had not been acknowledged");
    return out;
}

void TableStore::compact(const std::vector<EditRecord>& snapshot) {
    try {
        make_directories(dir_, 0700);
    } catch (const std::system_error& e) {
        fail(e.what());
    }
    uint64_t next = generation_ + 1;
    if (generation_ == 0) {
        // The first compaction of this process continues the stored numbering.
        bool torn = false;
        auto lines = read_lines(table_path(), torn);
        try {
            if (lines && !lines->empty())
                next = header_generation(*lines, table_magic, table_path()) + 1;
        } catch (const control::ProtocolError& e) {
            throw TableError(e.what());
        }
    }
    std::string content = std::string(table_magic) + " " + std::to_string(next) + "\n";
    for (const auto& r : snapshot) content += encode_record(r) + "\n";
    content += "end " + std::to_string(snapshot.size()) + "\n";
    replace_file(table_path(), content);
    replace_file(journal_path(), std::string(journal_magic) + " " + std::to_string(next) + "\n");
    UniqueFd dir(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir) sync_fd(dir.get(), dir_);
    journal_.reset(::open(journal_path().c_str(), O_WRONLY | O_APPEND | O_CLOEXEC));
    if (!journal_) fail("cannot open " + journal_path() + ": " + errno_text(errno));
    generation_ = next;
    snapshot_records_ = snapshot.size();
    journal_records_ = 0;
}

void TableStore::append(const std::vector<EditRecord>& records) {
    if (records.empty()) return;
    if (!journal_) fail(journal_path() + ": not open (compact() first)");
    std::string lines;
    for (const auto& r : records) lines += encode_record(r) + "\n";
    lines += "done\n";
    write_all(journal_.get(), lines, journal_path());
    journal_records_ += records.size();
}

void TableStore::remove_files() {
    journal_.reset();
    for (const std::string& path : {table_path(), journal_path()})
        if (::unlink(path.c_str()) != 0 && errno != ENOENT)
            fail("cannot remove " + path + ": " + errno_text(errno));
    ::rmdir(dir_.c_str());  // kept when something else lives there
    generation_ = 0;
}

bool TableStore::wants_compaction() const {
    return journal_records_ >= min_compaction_records && journal_records_ > snapshot_records_;
}

}  // namespace xvs
