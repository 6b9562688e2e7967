// gzip_compress(): a body as a gzip member (RFC 1952), for scrapers that send
// Accept-Encoding: gzip (Prometheus does). The exposition text repeats its
// label sets on every line and shrinks to a tenth or less at the fastest level.
#pragma once

#include <string>
#include <string_view>

namespace xvs {

// Throws std::runtime_error with zlib's message when zlib fails (out of memory).
std::string gzip_compress(std::string_view text);

}  // namespace xvs
