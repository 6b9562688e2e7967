// The stored table (daemon/table_store.h): records in and out, the journal
// after a snapshot, what load() makes of cut-short and stale files, bad
// files refused with FILE:LINE, and SIGKILLs in the middle of storing.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <thread>

#include "daemon/table_store.h"
#include "support/temp_dir.h"

using namespace xvs;
using Kind = EditRecord::Kind;

namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }
ServiceKey tcp(const char* vip, uint16_t port) {
    return ServiceKey::tcp_udp(Protocol::tcp, ip(vip), port);
}

RealServer dest(const char* addr, uint16_t port, uint32_t weight) {
    RealServer r;
    r.key = {ip(addr), port};
    r.method = ForwardMethod::gate;
    r.weight = r.configured_weight = weight;
    r.lower_threshold = 5;
    r.upper_threshold = 10;
    return r;
}

std::vector<EditRecord> every_kind() {
    control::ServiceSettings s;
    s.scheduler = "wrr";
    s.scheduler_flags = {"flag-1", "flag-2"};
    s.persistence = {300, 24};
    s.one_packet = true;
    ServiceKey v6 = ServiceKey::tcp_udp(Protocol::udp, ip("2001:db8::1"), 53);
    ServiceKey mark = ServiceKey::mark(100, Family::v4);
    std::vector<EditRecord> out{
        {Kind::service_defined, tcp("10.0.0.1", 80), s},
        {Kind::service_edited, v6, s},
        {Kind::service_deleted, mark},
        {Kind::service_unset, tcp("10.0.0.1", 80)},
        {Kind::reals_unset, v6},
        {Kind::real_set, tcp("10.0.0.1", 80), {}, dest("10.0.1.1", 8080, 3), true},
        {Kind::real_set, mark, {}, dest("10.0.1.2", 0, 0), false},
        {Kind::real_deleted, v6, {}, dest("2001:db8::10", 53, 1)},
        {Kind::real_unset, tcp("10.0.0.1", 80), {}, dest("10.0.1.1", 8080, 1)},
        {Kind::clear},
    };
    // A deleted or unset real is its key alone once read back.
    for (auto& r : out)
        if (r.kind == Kind::real_deleted || r.kind == Kind::real_unset)
            r.real = RealServer{r.real.key};
    return out;
}

void write_text(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::trunc) << text;
}

std::string load_error(const TableStore& store) {
    try {
        store.load();
    } catch (const TableError& e) {
        return e.what();
    }
    return "loaded";
}

}  // namespace

TEST_CASE("every record kind reads back as written") {
    for (const auto& r : every_kind()) {
        std::string line = encode_record(r);
        INFO(line);
        CHECK(decode_record(line, 1, "f:") == r);
    }
    CHECK(encode_record({Kind::clear}) == "clear");
    control::ServiceSettings sip;
    sip.scheduler = "rr";
    sip.persistence = {60, 32, pe_sip};
    EditRecord with_pe{Kind::service_defined, ServiceKey::tcp_udp(Protocol::udp, ip("10.0.0.5"), 5060), sip};
    CHECK(encode_record(with_pe) == "service defined udp 4 10.0.0.5 5060 0 rr ~ 60 32 0 sip");
    CHECK(decode_record(encode_record(with_pe), 1, "f:") == with_pe);
    // A table stored before persistence engines reads without one.
    EditRecord old = decode_record("service defined udp 4 10.0.0.5 5060 0 rr ~ 60 32 0", 1, "f:");
    CHECK(old.settings.persistence.engine.empty());
    CHECK(old.settings.persistence.timeout == 60);
    CHECK(
        encode_record({Kind::real_set, tcp("10.0.0.1", 80), {}, dest("10.0.1.1", 8080, 3), true}) ==
        "real set tcp 4 10.0.0.1 80 0 10.0.1.1 8080 gate 3 5 10 1");
}

TEST_CASE("a malformed record is refused with the file and line") {
    auto error = [](const std::string& line) {
        try {
            decode_record(line, 7, "/x/table:");
        } catch (const std::exception& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    CHECK(error("service defined tcp 4 10.0.0.1 80 0") ==
          "/x/table:7: 'service' has 7 fields, expected 13");
    CHECK(error("real set tcp 4 10.0.0.1 80 0 10.0.1.1 99999 gate 1 0 0 0") ==
          "/x/table:7: field 8 is not a number up to 65535");
    CHECK(error("service renamed tcp 4 10.0.0.1 80 0") ==
          "/x/table:7: unknown record 'service renamed'");
    CHECK(error("service deleted tcp 6 10.0.0.1 80 0") ==
          "/x/table:7: address does not match the address family");
    CHECK(error("clear now") == "/x/table:7: 'clear' has 2 fields, expected 1");
    CHECK(error("real  set") == "/x/table:7: empty field (double or trailing space)");
}

TEST_CASE(
    "a snapshot and the changes appended after it load in order, each compaction starts a new "
    "generation") {
    testing::TempDir dir("table-test");
    TableStore store(dir.file("state/inst"));
    CHECK(store.load().records.empty());  // nothing stored yet, nothing created
    CHECK_FALSE(std::filesystem::exists(dir.file("state")));

    auto records = every_kind();
    std::vector<EditRecord> first(records.begin(), records.begin() + 3);
    store.compact(first);
    CHECK(store.generation() == 1);
    CHECK((std::filesystem::status(store.dir()).permissions() & std::filesystem::perms::all) ==
          std::filesystem::perms::owner_all);
    store.append({records[3], records[4]});
    store.append({records[5]});
    TableStore::Loaded loaded = TableStore(store.dir()).load();
    CHECK(loaded.notes.empty());
    REQUIRE(loaded.records.size() == 6);
    CHECK(std::vector<EditRecord>(loaded.records.begin(), loaded.records.end()) ==
          std::vector<EditRecord>(records.begin(), records.begin() + 6));

    // A new store of the same directory continues the numbering.
    TableStore again(store.dir());
    again.compact(loaded.records);
    CHECK(again.generation() == 2);
    CHECK(again.load().records == loaded.records);

    again.remove_files();
    CHECK_FALSE(std::filesystem::exists(again.dir()));
    CHECK(again.load().records.empty());
}

TEST_CASE(
    "a change cut short is dropped whole, a journal left by an interrupted compaction is ignored") {
    testing::TempDir dir("table-test");
    TableStore store(dir.file("inst"));
    auto records = every_kind();
    store.compact({records[0]});
    store.append({records[1]});
    std::string journal = store.journal_path();

    // The records of a change whose "done" never came, the last one torn.
    std::ofstream(journal, std::ios::app) << encode_record(records[2]) << "\n"
                                          << encode_record(records[3]).substr(0, 9);
    TableStore::Loaded loaded = store.load();
    CHECK(loaded.records == std::vector<EditRecord>{records[0], records[1]});
    REQUIRE(loaded.notes.size() == 1);
    CHECK(loaded.notes[0] ==
          journal + ":4: a change cut short (no 'done') is dropped; it had not been acknowledged");

    // Whole lines, no "done": dropped too.
    store.compact({records[0]});
    std::ofstream(journal, std::ios::app) << encode_record(records[2]) << "\n";
    CHECK(store.load().records == std::vector<EditRecord>{records[0]});

    // The journal of the generation before the snapshot: the snapshot holds it.
    store.compact({records[0], records[1]});
    write_text(journal, "xvs-journal/1 1\n" + encode_record(records[4]) + "\ndone\n");
    loaded = store.load();
    CHECK(loaded.records == std::vector<EditRecord>{records[0], records[1]});
    REQUIRE(loaded.notes.size() == 1);
    CHECK_THAT(
        loaded.notes[0],
        Catch::Contains("generation 1, the table's is 3: left from an interrupted compaction"));
}

TEST_CASE("a damaged table is refused with the file and line, and loads nothing") {
    testing::TempDir dir("table-test");
    TableStore store(dir.file("inst"));
    store.compact(every_kind());
    std::string table = store.table_path();
    std::string good;
    {
        std::ifstream in(table);
        good.assign(std::istreambuf_iterator<char>(in), {});
    }

    write_text(table, good.substr(0, good.rfind("end")));
    CHECK(load_error(store) == table + ": truncated (no 'end' line)");
    write_text(table, good.substr(0, good.size() - 1));
    CHECK_THAT(load_error(store), Catch::Contains(table + ":12: the last line has no newline"));
    write_text(table, "xvs-table/1 3\nservice deleted tcp 4 10.0.0.1 80 0\nend 2\n");
    CHECK(load_error(store) == table + ":3: 'end' counts 2 records, the file has 1");
    write_text(table, "xvs-table/2 3\nend 0\n");
    CHECK(load_error(store) == table + ":1: expected 'xvs-table/1 GENERATION'");
    write_text(table,
               "xvs-table/1 3\nreal set tcp 4 10.0.0.1 80 0 10.0.1.1 80 bridge 1 0 0 0\nend 1\n");
    CHECK(load_error(store) == table + ":2: bad forwarding method 'bridge'");
    write_text(table, "");
    CHECK(load_error(store) == table + ":1: empty file, expected 'xvs-table/1 GENERATION'");

    // A complete journal line that is not a record is damage, not a cut.
    write_text(table, good);
    write_text(store.journal_path(), "xvs-journal/1 1\nnonsense here\ndone\n");
    CHECK(load_error(store) == store.journal_path() + ":2: 'nonsense here' is not a table record");
}

TEST_CASE("a directory that cannot be made refuses the store with the reason") {
    testing::TempDir dir("table-test");
    write_text(dir.file("inst"), "a file where the directory goes\n");
    TableStore store(dir.file("inst"));
    try {
        store.compact({});
        FAIL("compacted");
    } catch (const TableError& e) {
        CHECK(std::string(e.what()) == "cannot create " + dir.file("inst") + ": Not a directory");
    }
}

TEST_CASE("a state directory whose parents are missing is made with them, as mkdir -p") {
    // A fresh system may have no /var/lib/xvs (nor /var/lib): the first
    // store must not fail for that.
    testing::TempDir dir("table-test");
    std::string deep = dir.file("var/lib/xvs/inst");
    TableStore store(deep);
    store.compact({});
    struct stat st {};
    REQUIRE(::stat(deep.c_str(), &st) == 0);
    CHECK(S_ISDIR(st.st_mode));
    CHECK((st.st_mode & 0777) == 0700);
    REQUIRE(::stat(dir.file("var/lib").c_str(), &st) == 0);
    CHECK(S_ISDIR(st.st_mode));
}

// A writer in a child process stores change after change (each a service of
// 300 reals, so that a write is large enough to be cut), compacting now and
// then, and says on a pipe which change it stored; the test kills it with
// SIGKILL at a random moment. What loads must be whole changes 1..N, N at
// least the last one the writer reported and at most one more.
TEST_CASE("SIGKILL while storing leaves the old or the new table, never a torn one",
          "[table][slow]") {
    std::mt19937 random(std::random_device{}());
    int cut_short = 0;
    for (int round = 0; round < 40; ++round) {
        testing::TempDir dir("table-kill");
        std::string state = dir.file("inst");
        int pipe_fds[2];
        REQUIRE(::pipe(pipe_fds) == 0);
        pid_t writer = ::fork();
        REQUIRE(writer >= 0);
        if (writer == 0) {
            ::close(pipe_fds[0]);
            TableStore store(state);
            std::vector<EditRecord> all;
            store.compact(all);
            for (uint32_t change = 1;; ++change) {
                std::vector<EditRecord> records;
                ServiceKey key =
                    ServiceKey::tcp_udp(Protocol::tcp, IpAddress::v4(0x0a000000 + change), 80);
                records.push_back({Kind::service_defined, key, control::ServiceSettings{}});
                for (uint32_t r = 0; r < 300; ++r) {
                    RealServer real;
                    real.key = {IpAddress::v4(0x0b000000 + r), 80};
                    real.weight = real.configured_weight = change;
                    records.push_back({Kind::real_set, key, {}, real, false});
                }
                for (const auto& r : records) all.push_back(r);
                if (change % 7 == 0)
                    store.compact(all);
                else
                    store.append(records);
                if (::write(pipe_fds[1], &change, sizeof change) != sizeof change) ::_exit(3);
            }
        }
        ::close(pipe_fds[1]);
        std::this_thread::sleep_for(std::chrono::microseconds(2000 + random() % 30000));
        ::kill(writer, SIGKILL);
        ::waitpid(writer, nullptr, 0);
        uint32_t acknowledged = 0, change = 0;
        while (::read(pipe_fds[0], &change, sizeof change) == sizeof change) acknowledged = change;
        ::close(pipe_fds[0]);

        TableStore::Loaded loaded = TableStore(state).load();
        cut_short += !loaded.notes.empty();
        ImperativeChanges edits;
        for (const auto& r : loaded.records) edits.replay(r);
        Model served = edits.apply(Model{});
        INFO("round " << round << ": acknowledged " << acknowledged << ", loaded "
                      << served.services.size());
        CHECK(served.services.size() >= acknowledged);
        CHECK(served.services.size() <= acknowledged + 1);
        uint32_t expected = 1;
        for (const auto& [key, service] : served.services) {
            CHECK(key.address == IpAddress::v4(0x0a000000 + expected));
            CHECK(service.reals.size() == 300);  // whole, never a part of a change
            for (const auto& [rk, real] : service.reals) CHECK(real.weight == expected);
            ++expected;
        }
    }
    // Not asserted (timing decides), but said: how often a kill cut a change.
    WARN("rounds whose kill cut a change short: " << cut_short << " of 40");
}
