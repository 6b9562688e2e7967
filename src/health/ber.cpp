#include "health/ber.h"

#include <stdexcept>

namespace xvs {

std::string ber_tlv(uint8_t tag, std::string_view content) {
    std::string out(1, static_cast<char>(tag));
    const size_t n = content.size();
    if (n < 0x80) {
        out += static_cast<char>(n);
    } else {
        std::string len;
        for (size_t v = n; v; v >>= 8) len.insert(len.begin(), static_cast<char>(v & 0xff));
        out += static_cast<char>(0x80 | len.size());
        out += len;
    }
    out += content;
    return out;
}

std::string ber_integer(uint8_t tag, int64_t value) {
    std::string bytes;
    // Shortest two's complement: drop leading bytes that only repeat the sign.
    for (int shift = 56; shift >= 0; shift -= 8) bytes += static_cast<char>((value >> shift) & 0xff);
    while (bytes.size() > 1 && ((bytes[0] == 0 && !(bytes[1] & 0x80)) ||
                                (static_cast<uint8_t>(bytes[0]) == 0xff && (bytes[1] & 0x80))))
        bytes.erase(0, 1);
    return ber_tlv(tag, bytes);
}

std::optional<BerValue> BerReader::next() {
    if (bytes_.size() - pos_ < 2) return std::nullopt;
    const uint8_t tag = static_cast<uint8_t>(bytes_[pos_]);
    if ((tag & 0x1f) == 0x1f) throw std::invalid_argument("a BER tag of more than one byte");
    size_t at = pos_ + 1;
    size_t length = static_cast<uint8_t>(bytes_[at++]);
    if (length & 0x80) {
        const size_t count = length & 0x7f;
        if (count == 0) throw std::invalid_argument("a BER value of indefinite length");
        if (count > 4) throw std::invalid_argument("a BER length of more than 4 bytes");
        if (bytes_.size() - at < count) return std::nullopt;
        length = 0;
        for (size_t i = 0; i < count; ++i) length = length << 8 | static_cast<uint8_t>(bytes_[at++]);
    }
    if (bytes_.size() - at < length) return std::nullopt;
    BerValue v{tag, bytes_.substr(at, length), at + length - pos_};
    pos_ = at + length;
    return v;
}

int64_t ber_integer_value(std::string_view content) {
    if (content.empty() || content.size() > 8) throw std::invalid_argument("a BER integer of " +
                                                                           std::to_string(content.size()) + " bytes");
    int64_t v = static_cast<int8_t>(content[0]);
    for (size_t i = 1; i < content.size(); ++i) v = v * 256 + static_cast<uint8_t>(content[i]);
    return v;
}

}  // namespace xvs
