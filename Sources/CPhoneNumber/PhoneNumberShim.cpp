// C implementation of CPhoneNumber.h over libphonenumber's PhoneNumberUtil.
//
// Rules kept here, not in Swift, so that every caller normalises alike:
//   - URIs: "tel:", "sip:", "sips:", "callto:" (user part, ";ext=",
//     ";phone-context=+CC", other parameters dropped).
//   - Retries when the first parse is not a valid number: without a "(0)"
//     trunk prefix written inside an international number ("+47 (0)22 …"),
//     and "00…" read as "+…" in regions whose international prefix is not 00.
//   - DE/AT direct-dial suffix "…-12" (reported, e164 keeps the digits).
// No mutable global state: PhoneNumberUtil::GetInstance() is created once
// (pthread_once) and only read afterwards. Nothing throws past extern "C".

#include "CPhoneNumber.h"

#include <cstring>
#include <string>

#include "phonenumbers/phonenumber.pb.h"
#include "phonenumbers/phonenumberutil.h"

namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

// libphonenumber itself refuses more than 250 characters; this only bounds our copies.
constexpr size_t kMaxInput = 1024;
constexpr size_t kMaxSuffixDigits = 5;

const PhoneNumberUtil &Util() { return *PhoneNumberUtil::GetInstance(); }

void Copy(char *dst, size_t size, const std::string &src) {
    if (size == 0) return;
    if (src.size() >= size) {  // never truncate silently into a wrong value
        dst[0] = '\0';
        return;
    }
    std::memcpy(dst, src.data(), src.size());
    dst[src.size()] = '\0';
}

bool IsAsciiSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }
bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }
char AsciiUpper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

bool StartsWithNoCase(const std::string &s, const char *prefix) {
    size_t n = std::strlen(prefix);
    if (s.size() < n) return false;
    for (size_t i = 0; i < n; ++i)
        if (AsciiUpper(s[i]) != AsciiUpper(prefix[i])) return false;
    return true;
}

std::string Trim(const std::string &s) {
    size_t b = 0, e = s.size();
    while (b < e && IsAsciiSpace(s[b])) ++b;
    while (e > b && IsAsciiSpace(s[e - 1])) --e;
    return s.substr(b, e - b);
}

// Strict UTF-8 check (no overlongs, no surrogates, max U+10FFFF).
bool IsValidUtf8(const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (c < 0x80) { ++i; continue; }
        size_t len;
        unsigned cp;
        if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1F; }
        else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0F; }
        else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07; }
        else return false;
        if (i + len > n) return false;
        for (size_t k = 1; k < len; ++k) {
            if ((s[i + k] & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
            return false;
        i += len;
    }
    return true;
}

// "de" -> "DE"; NULL, "", unknown or malformed -> "ZZ" (international numbers only).
std::string NormalizeRegion(const char *region) {
    if (region == nullptr) return "ZZ";
    std::string r;
    for (size_t i = 0; region[i] != '\0'; ++i) {
        if (i >= 3) return "ZZ";
        char c = AsciiUpper(region[i]);
        if (!((c >= 'A' && c <= 'Z') || IsAsciiDigit(c))) return "ZZ";
        r.push_back(c);
    }
    if (r.size() != 2 || Util().GetCountryCodeForRegion(r) == 0) return "ZZ";
    return r;
}

// Turns a tel:/sip: URI into text libphonenumber reads; other text is returned trimmed.
std::string Unwrap(const std::string &input) {
    std::string s = Trim(input);
    std::string rest;
    bool sip = false;
    if (StartsWithNoCase(s, "tel:")) rest = s.substr(4);
    else if (StartsWithNoCase(s, "callto:")) rest = s.substr(7);
    else if (StartsWithNoCase(s, "sips:")) { rest = s.substr(5); sip = true; }
    else if (StartsWithNoCase(s, "sip:")) { rest = s.substr(4); sip = true; }
    else return s;
    if (sip) {
        size_t at = rest.find('@');
        if (at != std::string::npos) rest.erase(at);
    }
    size_t semi = rest.find(';');
    std::string number = Trim(rest.substr(0, semi));
    std::string ext, context;
    while (semi != std::string::npos) {
        size_t next = rest.find(';', semi + 1);
        std::string param = rest.substr(semi + 1, next == std::string::npos ? std::string::npos : next - semi - 1);
        if (StartsWithNoCase(param, "ext=")) ext = param.substr(4);
        else if (StartsWithNoCase(param, "phone-context=")) context = param.substr(14);
        semi = next;
    }
    if (!context.empty() && context[0] == '+' && !number.empty() && number[0] != '+') number = context + number;
    if (!ext.empty()) number += ";ext=" + ext;
    return number;
}

// One reading of a text. GetNumberType is computed at most once and only when
// asked for: libphonenumber's IsValidNumber(n) is exactly GetNumberType(n) !=
// UNKNOWN, and either costs about as much as the parse itself (~6 us).
struct Reading {
    PhoneNumber number;
    PhoneNumberUtil::PhoneNumberType type = PhoneNumberUtil::UNKNOWN;
    PhoneNumberUtil::ErrorType error = PhoneNumberUtil::NOT_A_NUMBER;
    bool ok = false;
    bool typed = false;
    PhoneNumberUtil::PhoneNumberType Type() {
        if (ok && !typed) {
            type = Util().GetNumberType(number);
            typed = true;
        }
        return type;
    }
    bool valid() { return ok && Type() != PhoneNumberUtil::UNKNOWN; }
};

Reading Read(const std::string &text, const std::string &region) {
    Reading r;
    r.error = Util().Parse(text, region, &r.number);
    r.ok = r.error == PhoneNumberUtil::NO_PARSING_ERROR;
    return r;
}

// "+47 (0)22 12 34 56" -> "+47 22 12 34 56". libphonenumber drops "(0)" itself
// where the national prefix is 0 (DE, GB, FI, ...), not where there is none (NO, US).
bool RemoveInternationalTrunkZero(std::string *text) {
    size_t plus = text->find('+');
    size_t zero = text->find("(0)");
    if (plus == std::string::npos || zero == std::string::npos || zero < plus) return false;
    text->erase(zero, 3);
    return true;
}

// "0049 30 1234567" -> "+49 30 1234567", for regions whose international prefix is not 00 (US, JP, ...).
bool DoubleZeroAsPlus(const std::string &text, std::string *out) {
    size_t i = 0;
    while (i < text.size() && (IsAsciiSpace(text[i]) || text[i] == '(')) ++i;
    if (i + 2 >= text.size() || text[i] != '0' || text[i + 1] != '0' || text[i + 2] == '0') return false;
    *out = "+" + text.substr(i + 2);
    return true;
}

// The most useful reading of the text: a valid number if a retry finds one,
// otherwise the first reading (which may be merely possible, or an error).
// Validity is computed only when a retry could change the answer.
Reading BestRead(const std::string &text, const std::string &region) {
    Reading first = Read(text, region);
    std::string withoutTrunk = text, plus;
    const bool trunk = RemoveInternationalTrunkZero(&withoutTrunk);
    const bool doubleZero = DoubleZeroAsPlus(text, &plus);
    if ((!trunk && !doubleZero) || first.valid()) return first;
    if (trunk) {
        Reading retry = Read(withoutTrunk, region);
        if (retry.valid()) return retry;
    }
    if (doubleZero) {
        Reading retry = Read(plus, "ZZ");
        if (retry.valid()) return retry;
    }
    return first;
}

// DE/AT "030 1234567-12": the text before the last '-' when 1..5 digits follow it.
bool SplitDirectDial(const std::string &text, std::string *base, std::string *suffix) {
    std::string t = Trim(text);
    size_t end = t.size(), i = end;
    while (i > 0 && IsAsciiDigit(t[i - 1])) --i;
    size_t digits = end - i;
    if (digits == 0 || digits > kMaxSuffixDigits) return false;
    size_t j = i;
    while (j > 0 && t[j - 1] == ' ') --j;
    if (j == 0 || t[j - 1] != '-') return false;
    *suffix = t.substr(i);
    *base = Trim(t.substr(0, j - 1));
    return !base->empty() && IsAsciiDigit(base->back());
}

const char *ErrorName(PhoneNumberUtil::ErrorType e) {
    switch (e) {
        case PhoneNumberUtil::NO_PARSING_ERROR: return "NO_PARSING_ERROR";
        case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR: return "INVALID_COUNTRY_CODE";
        case PhoneNumberUtil::NOT_A_NUMBER: return "NOT_A_NUMBER";
        case PhoneNumberUtil::TOO_SHORT_AFTER_IDD: return "TOO_SHORT_AFTER_IDD";
        case PhoneNumberUtil::TOO_SHORT_NSN: return "TOO_SHORT_NSN";
        case PhoneNumberUtil::TOO_LONG_NSN: return "TOO_LONG_NSN";
    }
    return "UNKNOWN_ERROR";
}

int TypeCode(PhoneNumberUtil::PhoneNumberType t) {
    switch (t) {
        case PhoneNumberUtil::FIXED_LINE: return CPN_TYPE_FIXED_LINE;
        case PhoneNumberUtil::MOBILE: return CPN_TYPE_MOBILE;
        case PhoneNumberUtil::FIXED_LINE_OR_MOBILE: return CPN_TYPE_FIXED_LINE_OR_MOBILE;
        case PhoneNumberUtil::TOLL_FREE: return CPN_TYPE_TOLL_FREE;
        case PhoneNumberUtil::PREMIUM_RATE: return CPN_TYPE_PREMIUM_RATE;
        case PhoneNumberUtil::SHARED_COST: return CPN_TYPE_SHARED_COST;
        case PhoneNumberUtil::VOIP: return CPN_TYPE_VOIP;
        case PhoneNumberUtil::PERSONAL_NUMBER: return CPN_TYPE_PERSONAL_NUMBER;
        case PhoneNumberUtil::PAGER: return CPN_TYPE_PAGER;
        case PhoneNumberUtil::UAN: return CPN_TYPE_UAN;
        case PhoneNumberUtil::VOICEMAIL: return CPN_TYPE_VOICEMAIL;
        case PhoneNumberUtil::UNKNOWN: return CPN_TYPE_UNKNOWN;
    }
    return CPN_TYPE_UNKNOWN;
}

// `home` is the normalised default region ("ZZ" for none).
void Fill(Reading &reading, int flags, const std::string &home, cpn_result *out) {
    const PhoneNumberUtil &util = Util();
    const PhoneNumber &number = reading.number;
    PhoneNumber bare = number;  // display forms without the extension
    bare.clear_extension();
    // Fresh strings each time: some libphonenumber getters append instead of assigning.
    std::string e164, nsn, region;
    util.Format(bare, PhoneNumberUtil::E164, &e164);
    Copy(out->e164, sizeof out->e164, e164);
    Copy(out->base_e164, sizeof out->base_e164, e164);
    util.GetNationalSignificantNumber(number, &nsn);
    Copy(out->national_significant, sizeof out->national_significant, nsn);
    // The exact region costs a pattern match per candidate region, and only tells
    // something for shared country codes: the home display needs it only for numbers
    // with the home region's code (a +49 number is never a FI number).
    const bool homeCode = home != "ZZ" && number.country_code() == util.GetCountryCodeForRegion(home);
    if ((flags & CPN_WITH_EXACT_REGION) || ((flags & CPN_WITH_HOME_DISPLAY) && homeCode)) util.GetRegionCodeForNumber(number, &region);
    if (region.empty() || region == "ZZ") {
        region.clear();
        util.GetRegionCodeForCountryCode(number.country_code(), &region);
    }
    if (region.empty()) region = "ZZ";
    Copy(out->region, sizeof out->region, region);
    const bool both = flags & CPN_WITH_DISPLAY;
    const bool national = both || ((flags & CPN_WITH_HOME_DISPLAY) && homeCode && region == home);
    if (national) {
        std::string text;
        util.Format(bare, PhoneNumberUtil::NATIONAL, &text);
        Copy(out->national, sizeof out->national, text);
    }
    if (both || ((flags & CPN_WITH_HOME_DISPLAY) && !national)) {
        std::string text;
        util.Format(bare, PhoneNumberUtil::INTERNATIONAL, &text);
        Copy(out->international, sizeof out->international, text);
    }
    out->country_code = number.country_code();
    if (number.has_extension() && !number.extension().empty()) {
        Copy(out->extension, sizeof out->extension, number.extension());
        out->extension_kind = out->extension[0] != '\0' ? CPN_EXT_POST_DIAL : CPN_EXT_NONE;
    }
    out->possible = util.IsPossibleNumber(number) ? 1 : 0;
    // Without CPN_WITH_TYPE, validity is computed only where e164 depends on it.
    if ((flags & CPN_WITH_TYPE) || !out->possible || nsn.size() < CPN_UNTYPED_MIN_DIGITS) {
        out->valid = reading.valid() ? 1 : 0;
        out->type = TypeCode(reading.type);
    } else {
        out->valid = -1;
        out->type = CPN_TYPE_UNKNOWN;
    }
    out->ok = 1;
}

void Fail(cpn_result *out, const char *reason) {
    std::memset(out, 0, sizeof *out);
    std::strncpy(out->region, "ZZ", sizeof out->region - 1);
    std::strncpy(out->error, reason, sizeof out->error - 1);
}

int ParseImpl(const char *text, const char *default_region, int flags, cpn_result *out) {
    if (text == nullptr) { Fail(out, "NULL_INPUT"); return 0; }
    size_t length = strnlen(text, kMaxInput + 1);
    if (length > kMaxInput) { Fail(out, "INPUT_TOO_LONG"); return 0; }
    if (!IsValidUtf8(reinterpret_cast<const unsigned char *>(text), length)) { Fail(out, "INVALID_UTF8"); return 0; }

    const std::string region = NormalizeRegion(default_region);
    const std::string unwrapped = Unwrap(std::string(text, length));
    Reading reading = BestRead(unwrapped, region);
    if (!reading.ok) { Fail(out, ErrorName(reading.error)); return 0; }
    Fill(reading, flags, region, out);

    // DE/AT direct-dial suffix: keep e164 (the dialled digits), report the main number.
    const int cc = reading.number.country_code();
    std::string base, suffix;
    if (out->extension_kind == CPN_EXT_NONE && (cc == 49 || cc == 43) && SplitDirectDial(unwrapped, &base, &suffix)) {
        Reading main_number = BestRead(base, region);
        if (main_number.valid() && main_number.number.country_code() == cc) {
            if (out->possible) {
                std::string main_e164;
                Util().Format(main_number.number, PhoneNumberUtil::E164, &main_e164);
                Copy(out->base_e164, sizeof out->base_e164, main_e164);
                Copy(out->extension, sizeof out->extension, suffix);
                out->extension_kind = CPN_EXT_DIRECT_DIAL;
            } else {  // the digits together are no number: main number, then extension
                main_number.number.set_extension(suffix);
                std::memset(out, 0, sizeof *out);
                Fill(main_number, flags, region, out);
            }
        }
    }
    return 1;
}

}  // namespace

extern "C" int cpn_parse_with(const char *text, const char *default_region, int flags, cpn_result *out) {
    if (out == nullptr) return -1;
    std::memset(out, 0, sizeof *out);
    try {
        return ParseImpl(text, default_region, flags, out);
    } catch (...) {
        Fail(out, "INTERNAL_ERROR");
        return 0;
    }
}

extern "C" int cpn_parse(const char *text, const char *default_region, cpn_result *out) {
    return cpn_parse_with(text, default_region, CPN_WITH_ALL, out);
}

extern "C" int cpn_is_supported_region(const char *region) {
    try {
        return NormalizeRegion(region) != "ZZ" ? 1 : 0;
    } catch (...) {
        return 0;
    }
}

extern "C" int cpn_country_code_for_region(const char *region) {
    try {
        std::string r = NormalizeRegion(region);
        return r == "ZZ" ? 0 : Util().GetCountryCodeForRegion(r);
    } catch (...) {
        return 0;
    }
}

extern "C" int cpn_example_number(const char *region, int type, char *buffer, int buffer_size) {
    if (buffer == nullptr || buffer_size <= 0) return 0;
    buffer[0] = '\0';
    try {
        std::string r = NormalizeRegion(region);
        if (r == "ZZ" || type < CPN_TYPE_UNKNOWN || type > CPN_TYPE_VOICEMAIL) return 0;
        PhoneNumberUtil::PhoneNumberType t;
        switch (type) {
            case CPN_TYPE_FIXED_LINE: t = PhoneNumberUtil::FIXED_LINE; break;
            case CPN_TYPE_MOBILE: t = PhoneNumberUtil::MOBILE; break;
            case CPN_TYPE_FIXED_LINE_OR_MOBILE: t = PhoneNumberUtil::FIXED_LINE_OR_MOBILE; break;
            case CPN_TYPE_TOLL_FREE: t = PhoneNumberUtil::TOLL_FREE; break;
            case CPN_TYPE_PREMIUM_RATE: t = PhoneNumberUtil::PREMIUM_RATE; break;
            case CPN_TYPE_SHARED_COST: t = PhoneNumberUtil::SHARED_COST; break;
            case CPN_TYPE_VOIP: t = PhoneNumberUtil::VOIP; break;
            case CPN_TYPE_PERSONAL_NUMBER: t = PhoneNumberUtil::PERSONAL_NUMBER; break;
            case CPN_TYPE_PAGER: t = PhoneNumberUtil::PAGER; break;
            case CPN_TYPE_UAN: t = PhoneNumberUtil::UAN; break;
            case CPN_TYPE_VOICEMAIL: t = PhoneNumberUtil::VOICEMAIL; break;
            default: t = PhoneNumberUtil::UNKNOWN; break;
        }
        PhoneNumber number;
        if (!Util().GetExampleNumberForType(r, t, &number)) return 0;
        std::string s;
        Util().Format(number, PhoneNumberUtil::E164, &s);
        if (s.size() + 1 > static_cast<size_t>(buffer_size)) return 0;
        std::memcpy(buffer, s.c_str(), s.size() + 1);
        return 1;
    } catch (...) {
        buffer[0] = '\0';
        return 0;
    }
}
