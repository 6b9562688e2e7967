// The few BER (X.690) forms an LDAP health check needs: definite lengths,
// integers, octet strings and constructed values, written and read.
//
// Contract:
//  - ber_tlv() frames `content` under `tag` with the shortest definite
//    length; ber_integer() and ber_octets() build the primitives.
//  - BerReader reads one value at a time from a byte range without copying;
//    next() returns nullopt when the range holds no complete value (read
//    more) and throws std::invalid_argument on what BER does not allow
//    (indefinite or over-long lengths): the peer is then not speaking LDAP.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace xvs {

std::string ber_tlv(uint8_t tag, std::string_view content);
std::string ber_integer(uint8_t tag, int64_t value);
inline std::string ber_octets(uint8_t tag, std::string_view text) { return ber_tlv(tag, text); }

struct BerValue {
    uint8_t tag = 0;
    std::string_view content;
    size_t size = 0;  // tag + length + content
};

class BerReader {
public:
    explicit BerReader(std::string_view bytes) : bytes_(bytes) {}
    // The reader keeps a view: the bytes must outlive it, a temporary cannot.
    explicit BerReader(std::string&&) = delete;
    std::optional<BerValue> next();
    bool empty() const { return pos_ >= bytes_.size(); }

private:
    std::string_view bytes_;
    size_t pos_ = 0;
};

// The value of an INTEGER or ENUMERATED's content (two's complement).
int64_t ber_integer_value(std::string_view content);

}  // namespace xvs
