#include "health/sql_probes.h"

#include <libpq-fe.h>
#include <mysql.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <string>

namespace xvs {
namespace {

CheckResult down(std::string reason) { return {false, std::move(reason), 0}; }

// ldirectord strips the "/" it prepends to request=.
std::string statement_of(const CheckSpec& spec) {
    std::string q = spec.request;
    if (!q.empty() && q.front() == '/') q.erase(0, 1);
    return q;
}

// One line of a server's message (PostgreSQL's end with a newline).
std::string one_line(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    for (char& c : text)
        if (c == '\n') c = ' ';
    return text;
}

std::string rows_reason(const char* db, unsigned long long rows) {
    return std::string(db) + ": the request returned " + std::to_string(rows) + (rows == 1 ? " row" : " rows");
}

class MysqlProbe : public Probe {
public:
    explicit MysqlProbe(const CheckSpec& spec)
        : host_(spec.address.to_string()),
          port_(spec.port),
          login_(spec.login),
          passwd_(spec.passwd),
          database_(spec.database),
          statement_(statement_of(spec)) {}
    ~MysqlProbe() override {
        if (!mysql_) return;
        // A dead socket first: mysql_close's farewell then fails at once
        // instead of blocking the checker's loop.
        if (int fd = mysql_get_socket(mysql_); fd >= 0) ::shutdown(fd, SHUT_RDWR);
        if (result_) mysql_free_result(result_);
        mysql_close(mysql_);
    }

    std::optional<CheckResult> start(ProbeIo& io) override {
        mysql_ = mysql_init(nullptr);
        if (!mysql_) return down("MySQL: out of memory");
        mysql_options(mysql_, MYSQL_OPT_NONBLOCK, nullptr);
        MYSQL* connected = nullptr;
        int status = mysql_real_connect_start(&connected, mysql_, host_.c_str(), login_.c_str(), passwd_.c_str(),
                                              database_.empty() ? nullptr : database_.c_str(), port_, nullptr, 0);
        if (status == 0) return connect_done(io, connected);
        return wait(io, status);
    }

    std::optional<CheckResult> on_io(ProbeIo& io, uint32_t events) override {
        int ready = 0;
        if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) ready |= MYSQL_WAIT_READ;
        if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) ready |= MYSQL_WAIT_WRITE;
        if (events & EPOLLPRI) ready |= MYSQL_WAIT_EXCEPT;
        int status = 0;
        switch (stage_) {
            case Stage::connecting: {
                MYSQL* connected = nullptr;
                status = mysql_real_connect_cont(&connected, mysql_, ready);
                if (status == 0) return connect_done(io, connected);
                break;
            }
            case Stage::querying: {
                int err = 0;
                status = mysql_real_query_cont(&err, mysql_, ready);
                if (status == 0) return query_done(io, err);
                break;
            }
            case Stage::storing: {
                MYSQL_RES* res = nullptr;
                status = mysql_store_result_cont(&res, mysql_, ready);
                if (status == 0) return stored(res);
                break;
            }
        }
        return wait(io, status);
    }

    std::string phase() const override {
        switch (stage_) {
            case Stage::connecting: return "logging in to MySQL";
            case Stage::querying: return "waiting for the MySQL request";
            case Stage::storing: return "reading the MySQL result";
        }
        return "?";
    }

private:
    enum class Stage { connecting, querying, storing };

    std::optional<CheckResult> wait(ProbeIo& io, int status) {
        uint32_t events = 0;
        if (status & MYSQL_WAIT_READ) events |= EPOLLIN;
        if (status & MYSQL_WAIT_WRITE) events |= EPOLLOUT;
        if (status & MYSQL_WAIT_EXCEPT) events |= EPOLLPRI;
        int fd = mysql_get_socket(mysql_);
        if (fd < 0 || events == 0) return down("MySQL: the client library waits for nothing it can be woken by");
        io.watch(fd, events);
        return std::nullopt;
    }
    std::optional<CheckResult> connect_done(ProbeIo& io, MYSQL* connected) {
        if (!connected) return down(std::string("MySQL: ") + mysql_error(mysql_));
        stage_ = Stage::querying;
        int err = 0;
        int status = mysql_real_query_start(&err, mysql_, statement_.data(), statement_.size());
        if (status == 0) return query_done(io, err);
        return wait(io, status);
    }
    std::optional<CheckResult> query_done(ProbeIo& io, int err) {
        if (err) return down(std::string("MySQL: the request failed: ") + mysql_error(mysql_));
        stage_ = Stage::storing;
        MYSQL_RES* res = nullptr;
        int status = mysql_store_result_start(&res, mysql_);
        if (status == 0) return stored(res);
        return wait(io, status);
    }
    std::optional<CheckResult> stored(MYSQL_RES* res) {
        if (!res) {
            if (mysql_errno(mysql_)) return down(std::string("MySQL: reading the result failed: ") + mysql_error(mysql_));
            return down("MySQL: the request returned no rows");  // not a SELECT
        }
        result_ = res;
        unsigned long long rows = mysql_num_rows(res);
        return CheckResult{rows > 0, rows_reason("MySQL", rows), 0};
    }

    std::string host_;
    unsigned port_;
    std::string login_, passwd_, database_, statement_;
    MYSQL* mysql_ = nullptr;
    MYSQL_RES* result_ = nullptr;
    Stage stage_ = Stage::connecting;
};

class PgsqlProbe : public Probe {
public:
    explicit PgsqlProbe(const CheckSpec& spec) : spec_(spec), statement_(statement_of(spec)) {}
    ~PgsqlProbe() override {
        if (conn_) PQfinish(conn_);
    }

    std::optional<CheckResult> start(ProbeIo& io) override {
        const std::string host = spec_.address.to_string(), port = std::to_string(spec_.port);
        // hostaddr: no name lookup; the database defaults to the login, as libpq's does.
        const char* keys[] = {"hostaddr", "port", "user", "password", "dbname", "connect_timeout", nullptr};
        const char* values[] = {host.c_str(),
                                port.c_str(),
                                spec_.login.c_str(),
                                spec_.passwd.c_str(),
                                spec_.database.empty() ? nullptr : spec_.database.c_str(),
                                "0",
                                nullptr};
        conn_ = PQconnectStartParams(keys, values, 0);
        if (!conn_) return down("PostgreSQL: out of memory");
        if (PQstatus(conn_) == CONNECTION_BAD) return down("PostgreSQL: " + one_line(PQerrorMessage(conn_)));
        // libpq's rule: poll first once the socket is writable.
        io.watch(PQsocket(conn_), EPOLLOUT);
        return std::nullopt;
    }

    std::optional<CheckResult> on_io(ProbeIo& io, uint32_t) override {
        if (connecting_) return poll_connect(io);
        return read_results(io);
    }

    std::string phase() const override {
        return connecting_ ? "logging in to PostgreSQL" : "waiting for the PostgreSQL request";
    }

private:
    std::optional<CheckResult> poll_connect(ProbeIo& io) {
        switch (PQconnectPoll(conn_)) {
            case PGRES_POLLING_READING: io.watch(PQsocket(conn_), EPOLLIN); return std::nullopt;
            case PGRES_POLLING_WRITING: io.watch(PQsocket(conn_), EPOLLOUT); return std::nullopt;
            case PGRES_POLLING_FAILED: return down("PostgreSQL: " + one_line(PQerrorMessage(conn_)));
            default: break;  // PGRES_POLLING_OK
        }
        connecting_ = false;
        if (PQsetnonblocking(conn_, 1) != 0 || !PQsendQuery(conn_, statement_.c_str()))
            return down("PostgreSQL: sending the request failed: " + one_line(PQerrorMessage(conn_)));
        return flush(io);
    }
    std::optional<CheckResult> flush(ProbeIo& io) {
        int pending = PQflush(conn_);
        if (pending < 0) return down("PostgreSQL: sending the request failed: " + one_line(PQerrorMessage(conn_)));
        io.watch(PQsocket(conn_), pending ? EPOLLIN | EPOLLOUT : EPOLLIN);
        return std::nullopt;
    }
    std::optional<CheckResult> read_results(ProbeIo& io) {
        if (PQflush(conn_) < 0 || !PQconsumeInput(conn_))
            return down("PostgreSQL: reading the result failed: " + one_line(PQerrorMessage(conn_)));
        while (!PQisBusy(conn_)) {
            PGresult* r = PQgetResult(conn_);
            if (!r) {  // every result is in: the first decides
                if (!verdict_) return down("PostgreSQL: the request returned nothing");
                return verdict_;
            }
            if (!verdict_) {
                ExecStatusType status = PQresultStatus(r);
                if (status == PGRES_TUPLES_OK) {
                    unsigned long long rows = static_cast<unsigned long long>(PQntuples(r));
                    verdict_ = CheckResult{rows > 0, rows_reason("PostgreSQL", rows), 0};
                } else if (status == PGRES_COMMAND_OK) {
                    verdict_ = down("PostgreSQL: the request returned no rows");
                } else {
                    verdict_ = down("PostgreSQL: the request failed: " + one_line(PQresultErrorMessage(r)));
                }
            }
            PQclear(r);
        }
        io.watch(PQsocket(conn_), EPOLLIN);
        return std::nullopt;
    }

    CheckSpec spec_;
    std::string statement_;
    PGconn* conn_ = nullptr;
    bool connecting_ = true;
    std::optional<CheckResult> verdict_;
};

}  // namespace

std::unique_ptr<Probe> make_sql_probe(const CheckSpec& spec) {
    if (spec.service == "mysql") return std::make_unique<MysqlProbe>(spec);
    if (spec.service == "pgsql") return std::make_unique<PgsqlProbe>(spec);
    return nullptr;
}

}  // namespace xvs
