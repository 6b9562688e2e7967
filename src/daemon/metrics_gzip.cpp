#include "daemon/metrics_gzip.h"

#include <zlib.h>

#include <algorithm>
#include <stdexcept>

namespace xvs {
namespace {

// RAII for a deflate stream.
struct Deflater {
    z_stream z{};
    Deflater() {
        // 15 window bits + 16: a gzip header and trailer instead of zlib's.
        if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            throw std::runtime_error("gzip: deflateInit2 failed");
    }
    ~Deflater() { deflateEnd(&z); }
    Deflater(const Deflater&) = delete;
    Deflater& operator=(const Deflater&) = delete;
};

}  // namespace

std::string gzip_compress(std::string_view text) {
    Deflater d;
    std::string out(deflateBound(&d.z, static_cast<uLong>(text.size())), '\0');
    d.z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
    d.z.next_out = reinterpret_cast<Bytef*>(out.data());
    // zlib counts in uInt: feed and take at most 1 GiB per call.
    constexpr size_t chunk = size_t{1} << 30;
    size_t in_left = text.size();
    int rc = Z_OK;
    while (rc == Z_OK) {
        size_t in_now = std::min(in_left, chunk);
        d.z.avail_in = static_cast<uInt>(in_now);
        d.z.avail_out = static_cast<uInt>(std::min(out.size() - d.z.total_out, chunk));
        rc = deflate(&d.z, in_now == in_left ? Z_FINISH : Z_NO_FLUSH);
        in_left -= in_now - d.z.avail_in;
    }
    if (rc != Z_STREAM_END)
        throw std::runtime_error(std::string("gzip: ") + (d.z.msg ? d.z.msg : "deflate failed"));
    out.resize(d.z.total_out);
    return out;
}

}  // namespace xvs
