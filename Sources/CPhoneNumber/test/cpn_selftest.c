/*
 * Self-test of the CPhoneNumber C API, built outside SwiftPM (this folder is
 * excluded from the target):
 *
 *   cd Sources/CPhoneNumber
 *   g++ -std=c++17 -O2 -c PhoneNumberShim.cpp -I include -o /tmp/PhoneNumberShim.o
 *   gcc -O2 test/cpn_selftest.c /tmp/PhoneNumberShim.o -I include \
 *       -lphonenumber -lprotobuf -lstdc++ -lpthread -o /tmp/cpn && /tmp/cpn
 *
 * Exit status 0 when every check passes. Prints the cost of one cpn_parse.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "CPhoneNumber.h"

static int passed, failed;

#define CHECK(cond, ...)                                   \
    do {                                                   \
        if (cond) {                                        \
            passed++;                                      \
        } else {                                           \
            failed++;                                      \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);    \
            printf(__VA_ARGS__);                           \
            printf("\n");                                  \
        }                                                  \
    } while (0)

/* One number per region: as written nationally, internationally, and its E.164. */
typedef struct {
    const char *region, *national, *international, *e164;
    int type;
} region_case;

static const region_case regions[] = {
    {"DE", "030 1234567", "+49 30 1234567", "+49301234567", CPN_TYPE_FIXED_LINE},
    {"DE", "0151 23456789", "+49 151 23456789", "+4915123456789", CPN_TYPE_MOBILE},
    {"FI", "0400124387", "+358 40 0124387", "+358400124387", CPN_TYPE_MOBILE},
    {"FI", "09 1234567", "+358 9 1234567", "+35891234567", CPN_TYPE_FIXED_LINE},
    {"NL", "020 123 4567", "+31 20 123 4567", "+31201234567", CPN_TYPE_FIXED_LINE},
    {"NL", "06-12345678", "+31 6 12345678", "+31612345678", CPN_TYPE_MOBILE},
    {"FR", "01 23 45 67 89", "+33 1 23 45 67 89", "+33123456789", CPN_TYPE_FIXED_LINE},
    {"GB", "020 7031 3000", "+44 20 7031 3000", "+442070313000", CPN_TYPE_FIXED_LINE},
    {"GB", "07400 123456", "+44 7400 123456", "+447400123456", CPN_TYPE_MOBILE},
    {"US", "(650) 253-0000", "+1 650-253-0000", "+16502530000", CPN_TYPE_FIXED_LINE_OR_MOBILE},
    {"CH", "044 668 18 00", "+41 44 668 18 00", "+41446681800", CPN_TYPE_FIXED_LINE},
    {"AT", "01 234567890", "+43 1 234567890", "+431234567890", CPN_TYPE_FIXED_LINE},
    {"AT", "0664 123456", "+43 664 123456", "+43664123456", CPN_TYPE_MOBILE},
    {"SE", "08-12 34 56", "+46 8 12 34 56", "+468123456", CPN_TYPE_FIXED_LINE},
    {"SE", "070-123 45 67", "+46 70 123 45 67", "+46701234567", CPN_TYPE_MOBILE},
    {"NO", "22 12 34 56", "+47 22 12 34 56", "+4722123456", CPN_TYPE_FIXED_LINE},
    {"DK", "32 12 34 56", "+45 32 12 34 56", "+4532123456", CPN_TYPE_FIXED_LINE_OR_MOBILE},
    {"ES", "912 34 56 78", "+34 912 34 56 78", "+34912345678", CPN_TYPE_FIXED_LINE},
    {"IT", "06 1234 5678", "+39 06 1234 5678", "+390612345678", CPN_TYPE_FIXED_LINE},
    {"IT", "312 345 6789", "+39 312 345 6789", "+393123456789", CPN_TYPE_MOBILE},
    {"PL", "22 123 45 67", "+48 22 123 45 67", "+48221234567", CPN_TYPE_FIXED_LINE},
    {"BE", "012 34 56 78", "+32 12 34 56 78", "+3212345678", CPN_TYPE_FIXED_LINE},
    {"BE", "0470 12 34 56", "+32 470 12 34 56", "+32470123456", CPN_TYPE_MOBILE},
    {"JP", "03-1234-5678", "+81 3-1234-5678", "+81312345678", CPN_TYPE_FIXED_LINE},
    {"AU", "(02) 1234 5678", "+61 2 1234 5678", "+61212345678", CPN_TYPE_FIXED_LINE},
    {"BR", "(11) 96123-4567", "+55 11 96123-4567", "+5511961234567", CPN_TYPE_MOBILE},
    {"IN", "098765 43210", "+91 98765 43210", "+919876543210", CPN_TYPE_MOBILE},
    {"IE", "085 012 3456", "+353 85 012 3456", "+353850123456", CPN_TYPE_MOBILE},
    {"PT", "21 234 5678", "+351 21 234 5678", "+351212345678", CPN_TYPE_FIXED_LINE},
};
#define REGION_COUNT (sizeof regions / sizeof regions[0])

/* Explicit cases: extensions, URIs, oddities, invalid input. e164/ext NULL = don't care. */
typedef struct {
    const char *region, *text;
    int ok, valid;
    const char *e164, *ext;
    int kind;
    const char *base;
} special_case;

static const special_case specials[] = {
    /* Germany, the forms named in the issue */
    {"DE", "(030) 123-45 67", 1, 1, "+49301234567", "", CPN_EXT_NONE, "+49301234567"},
    {"DE", "030/1234567", 1, 1, "+49301234567", "", CPN_EXT_NONE, NULL},
    {"DE", "0049 30 1234567", 1, 1, "+49301234567", "", CPN_EXT_NONE, NULL},
    {"DE", "+49 (0)30 1234567", 1, 1, "+49301234567", "", CPN_EXT_NONE, NULL},
    {"DE", "49301234567", 1, 1, "+49301234567", "", CPN_EXT_NONE, NULL},
    {"DE", "tel:+49-30-1234567", 1, 1, "+49301234567", "", CPN_EXT_NONE, NULL},
    {"DE", "TEL:+49301234567", 1, 1, "+49301234567", "", CPN_EXT_NONE, NULL},
    {"DE", "tel:+49-30-1234567;ext=12", 1, 1, "+49301234567", "12", CPN_EXT_POST_DIAL, "+49301234567"},
    {"DE", "tel:030-1234567;phone-context=+49", 1, 1, "+49301234567", "", CPN_EXT_NONE, NULL},
    {"FI", "tel:030-1234567;phone-context=+49", 1, 1, "+49301234567", "", CPN_EXT_NONE, NULL},
    {"DE", "tel:+49301234567;isub=1;foo=bar", 1, 1, "+49301234567", "", CPN_EXT_NONE, NULL},
    {"DE", "sip:+49301234567@pbx.example.com;user=phone", 1, 1, "+49301234567", "", CPN_EXT_NONE, NULL},
    {"DE", "sips:0301234567@pbx.example.com", 1, 1, "+49301234567", "", CPN_EXT_NONE, NULL},
    {"DE", "  +49 30 1234567  ", 1, 1, "+49301234567", "", CPN_EXT_NONE, NULL},
    {"DE", "\xEF\xBC\x8B\xEF\xBC\x94\xEF\xBC\x99 30 1234567", 1, 1, "+49301234567", "", CPN_EXT_NONE, NULL}, /* fullwidth +49 */
    {"de", "030 1234567", 1, 1, "+49301234567", "", CPN_EXT_NONE, NULL}, /* region case-insensitive */
    /* Extensions */
    {"DE", "+49 30 1234567 ext. 12", 1, 1, "+49301234567", "12", CPN_EXT_POST_DIAL, "+49301234567"},
    {"DE", "030 1234567 x12", 1, 1, "+49301234567", "12", CPN_EXT_POST_DIAL, NULL},
    {"DE", "030 1234567 #12", 1, 1, "+49301234567", "12", CPN_EXT_POST_DIAL, NULL},
    {"DE", "+49 30 1234567 extension 12", 1, 1, "+49301234567", "12", CPN_EXT_POST_DIAL, NULL},
    {"DE", "030 1234567-12", 1, 1, "+4930123456712", "12", CPN_EXT_DIRECT_DIAL, "+49301234567"},
    {"DE", "030 1234567 - 12", 1, 1, "+4930123456712", "12", CPN_EXT_DIRECT_DIAL, "+49301234567"},
    {"DE", "+49 30 1234567-0", 1, 1, "+493012345670", "0", CPN_EXT_DIRECT_DIAL, "+49301234567"},
    {"AT", "01 234567-89", 1, 1, "+43123456789", "89", CPN_EXT_DIRECT_DIAL, "+431234567"},
    {"US", "+1 650-253-0000 ext. 1234", 1, 1, "+16502530000", "1234", CPN_EXT_POST_DIAL, NULL},
    {"US", "650 253 0000 x1234", 1, 1, "+16502530000", "1234", CPN_EXT_POST_DIAL, NULL},
    {"GB", "020 7031 3000 ext 42", 1, 1, "+442070313000", "42", CPN_EXT_POST_DIAL, NULL},
    {"US", "(650) 253-0000", 1, 1, "+16502530000", "", CPN_EXT_NONE, "+16502530000"}, /* '-' is no DID outside DE/AT */
    /* International prefixes: native IDD and the "00" fallback */
    {"FI", "00358400124387", 1, 1, "+358400124387", "", CPN_EXT_NONE, NULL},
    {"DE", "00358400124387", 1, 1, "+358400124387", "", CPN_EXT_NONE, NULL},
    {"US", "0049 30 1234567", 1, 1, "+49301234567", "", CPN_EXT_NONE, NULL},
    {"US", "011 49 30 1234567", 1, 1, "+49301234567", "", CPN_EXT_NONE, NULL},
    {"JP", "00358400124387", 1, 1, "+358400124387", "", CPN_EXT_NONE, NULL},
    {"AU", "0011 49 30 1234567", 1, 1, "+49301234567", "", CPN_EXT_NONE, NULL},
    {"DE", "+47 (0)22 12 34 56", 1, 1, "+4722123456", "", CPN_EXT_NONE, NULL},
    {"DE", "+1 (0) 650 253 0000", 1, 1, "+16502530000", "", CPN_EXT_NONE, NULL},
    {"DE", "+39 (0)6 1234 5678", 1, 1, "+390612345678", "", CPN_EXT_NONE, NULL},
    /* Same digits, different default region: a different number */
    {"DE", "0400124387", 1, 1, "+49400124387", "", CPN_EXT_NONE, NULL},
    /* Vanity, non-geographic */
    {"US", "1-800-FLOWERS", 1, 1, "+18003569377", "", CPN_EXT_NONE, NULL},
    {"ZZ", "+800 1234 5678", 1, 1, "+80012345678", "", CPN_EXT_NONE, NULL},
    {NULL, "+49 30 1234567", 1, 1, "+49301234567", "", CPN_EXT_NONE, NULL},
    /* Invalid or unparseable */
    {"DE", "12", 1, 0, NULL, "", CPN_EXT_NONE, NULL}, /* parses, possible, not valid */
    {"DE", "abc", 0, 0, "", "", CPN_EXT_NONE, ""},
    {"DE", "", 0, 0, "", "", CPN_EXT_NONE, ""},
    {"DE", "   ", 0, 0, "", "", CPN_EXT_NONE, ""},
    {"DE", "+", 0, 0, "", "", CPN_EXT_NONE, ""},
    {"DE", "+999 123", 0, 0, "", "", CPN_EXT_NONE, ""},
    {"DE", "tel:", 0, 0, "", "", CPN_EXT_NONE, ""},
    {"DE", "sip:@", 0, 0, "", "", CPN_EXT_NONE, ""},
    {"DE", "1234567890123456789012345", 0, 0, "", "", CPN_EXT_NONE, ""},
    {"XX", "030 1234567", 0, 0, "", "", CPN_EXT_NONE, ""}, /* unknown region: international only */
    {"", "030 1234567", 0, 0, "", "", CPN_EXT_NONE, ""},
    {"DE", "030 12\xFF 34567", 0, 0, "", "", CPN_EXT_NONE, ""}, /* not UTF-8 */
    {"DE", "\xC0\xAF", 0, 0, "", "", CPN_EXT_NONE, ""},          /* overlong */
};
#define SPECIAL_COUNT (sizeof specials / sizeof specials[0])

static void expect(const char *region, const char *text, const char *e164, const char *what) {
    cpn_result r;
    int rc = cpn_parse(text, region, &r);
    CHECK(rc == 1 && r.ok == 1 && r.valid == 1 && strcmp(r.e164, e164) == 0,
          "%s %s [%s] -> rc=%d ok=%d valid=%d e164=%s err=%s (want %s)", what, region, text, rc, r.ok, r.valid, r.e164,
          r.error, e164);
}

static void region_tests(void) {
    char buf[256], digits[64];
    for (size_t i = 0; i < REGION_COUNT; ++i) {
        const region_case *c = &regions[i];
        cpn_result r;
        cpn_parse(c->national, c->region, &r);
        CHECK(r.ok && r.valid && strcmp(r.e164, c->e164) == 0 && strcmp(r.region, c->region) == 0 && r.type == c->type &&
                  r.country_code == cpn_country_code_for_region(c->region) && r.national[0] && r.international[0] == '+',
              "national %s [%s] -> ok=%d valid=%d e164=%s region=%s type=%d (want %s type %d)", c->region, c->national, r.ok,
              r.valid, r.e164, r.region, r.type, c->e164, c->type);
        /* national_significant + country code rebuild the E.164 */
        snprintf(buf, sizeof buf, "+%d%s", r.country_code, r.national_significant);
        CHECK(strcmp(buf, c->e164) == 0, "nsn %s: %s != %s", c->region, buf, c->e164);
        /* the library's own display forms parse back to the same number */
        char national[CPN_DISPLAY_SIZE], international[CPN_DISPLAY_SIZE];
        strcpy(national, r.national);
        strcpy(international, r.international);
        expect(c->region, national, c->e164, "national display");
        expect("ZZ", international, c->e164, "international display");

        expect(c->region, c->international, c->e164, "international");
        expect(strcmp(c->region, "DE") ? "DE" : "FI", c->international, c->e164, "international, foreign region");
        /* 00 + digits, read at home and from Germany and the US (IDD 011) */
        size_t n = 0;
        for (const char *p = c->international; *p && n < sizeof digits - 1; ++p)
            if (*p >= '0' && *p <= '9') digits[n++] = *p;
        digits[n] = '\0';
        snprintf(buf, sizeof buf, "00%s", digits);
        expect("DE", buf, c->e164, "00 prefix");
        expect("US", buf, c->e164, "00 prefix");
        expect(c->region, buf, c->e164, "00 prefix, own region");
        snprintf(buf, sizeof buf, "+%s", digits);
        expect("ZZ", buf, c->e164, "plain +digits");
        /* tel: URI with hyphens */
        snprintf(buf, sizeof buf, "tel:%s", c->international);
        for (char *p = buf; *p; ++p)
            if (*p == ' ') *p = '-';
        expect(c->region, buf, c->e164, "tel: URI");
        /* an extension */
        snprintf(buf, sizeof buf, "%s ext. 77", c->national);
        cpn_parse(buf, c->region, &r);
        CHECK(r.valid && strcmp(r.e164, c->e164) == 0 && strcmp(r.extension, "77") == 0 && r.extension_kind == CPN_EXT_POST_DIAL,
              "extension %s [%s] -> e164=%s ext=%s kind=%d", c->region, buf, r.e164, r.extension, r.extension_kind);
        CHECK(cpn_is_supported_region(c->region) == 1, "supported %s", c->region);
    }
}

static void special_tests(void) {
    for (size_t i = 0; i < SPECIAL_COUNT; ++i) {
        const special_case *c = &specials[i];
        cpn_result r;
        int rc = cpn_parse(c->text, c->region, &r);
        int good = rc == c->ok && r.ok == c->ok && r.valid == c->valid;
        if (c->e164) good = good && strcmp(r.e164, c->e164) == 0;
        if (c->ext) good = good && strcmp(r.extension, c->ext) == 0 && r.extension_kind == c->kind;
        if (c->base) good = good && strcmp(r.base_e164, c->base) == 0;
        if (!c->ok) good = good && r.error[0] != '\0' && r.e164[0] == '\0';
        CHECK(good, "special %s [%s] -> rc=%d ok=%d valid=%d e164=%s ext=%s kind=%d base=%s err=%s", c->region ? c->region : "NULL",
              c->text, rc, r.ok, r.valid, r.e164, r.extension, r.extension_kind, r.base_e164, r.error);
    }
}

static unsigned long long rng = 0x9E3779B97F4A7C15ull;
static unsigned next_random(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng >> 11);
}

/* The home display picks what a full parse's forms and exact region would:
   national when the number's region is the home region, else international. */
static void home_display_matches_full_parse(void) {
    static const char *homes[] = {"DE", "FI", "NL", "GB", "US", "CA", "AX", "JE", "IT", "CH", ""};
    int mismatches = 0;
    for (size_t i = 0; i < REGION_COUNT; ++i) {
        for (size_t h = 0; h < sizeof homes / sizeof homes[0]; ++h) {
            for (int form = 0; form < 2; ++form) {
                const char *text = form ? regions[i].international : regions[i].national;
                cpn_result full, home;
                cpn_parse_with(text, homes[h], CPN_WITH_ALL, &full);
                cpn_parse_with(text, homes[h], CPN_WITH_HOME_DISPLAY, &home);
                const char *want = strcmp(full.region, homes[h]) == 0 && full.national[0] ? full.national : full.international;
                const char *got = home.national[0] ? home.national : home.international;
                if (full.ok != home.ok || strcmp(full.e164, home.e164) != 0 || (full.ok && strcmp(want, got) != 0)) {
                    ++mismatches;
                    printf("  home %s [%s]: full %s [%s], home display [%s]\n", homes[h], text, full.e164, want, got);
                }
            }
        }
    }
    CHECK(mismatches == 0, "home display vs full parse: %d mismatches", mismatches);
}

/* Hostile input never crashes, and results are self-consistent. */
static void robustness_tests(void) {
    cpn_result r;
    CHECK(cpn_parse(NULL, "DE", &r) == 0 && r.ok == 0 && strcmp(r.error, "NULL_INPUT") == 0, "NULL text -> %s", r.error);
    CHECK(cpn_parse("030 1234567", "DE", NULL) == -1, "NULL out");
    CHECK(cpn_is_supported_region(NULL) == 0 && cpn_is_supported_region("") == 0 && cpn_is_supported_region("ZZ") == 0 &&
              cpn_is_supported_region("XX") == 0 && cpn_is_supported_region("DEU") == 0 && cpn_is_supported_region("fi") == 1,
          "supported-region edge cases");
    CHECK(cpn_country_code_for_region("FI") == 358 && cpn_country_code_for_region("XX") == 0 && cpn_country_code_for_region(NULL) == 0,
          "country codes");
    /* flags: without display forms and exact region */
    CHECK(cpn_parse_with("+1 416-555-0123", "DE", CPN_WITH_ALL, &r) == 1 && strcmp(r.region, "CA") == 0 && r.national[0],
          "exact region CA -> %s", r.region);
    CHECK(cpn_parse_with("+1 416-555-0123", "DE", 0, &r) == 1 && strcmp(r.region, "US") == 0 && r.national[0] == '\0' &&
              r.international[0] == '\0' && strcmp(r.e164, "+14165550123") == 0 && r.valid == -1 && r.type == CPN_TYPE_UNKNOWN,
          "flags 0 -> region %s national [%s] valid %d", r.region, r.national, r.valid);
    /* validity: computed with CPN_WITH_TYPE, and without it where e164 depends on it */
    CHECK(cpn_parse_with("+1 416-555-0123", "DE", CPN_WITH_TYPE, &r) == 1 && r.valid == 1 && r.type == CPN_TYPE_FIXED_LINE_OR_MOBILE,
          "CPN_WITH_TYPE -> valid %d type %d", r.valid, r.type);
    CHECK(cpn_parse_with("12", "DE", 0, &r) == 1 && r.valid == 0, "short number, flags 0: validity computed (%d)", r.valid);
    CHECK(cpn_parse_with("+49 123", "DE", 0, &r) == 1 && r.valid == 0, "impossible number, flags 0: validity computed (%d)", r.valid);
    /* the (0) and 00 retries still pick the valid reading without CPN_WITH_TYPE */
    CHECK(cpn_parse_with("+47 (0)22 12 34 56", "DE", 0, &r) == 1 && strcmp(r.e164, "+4722123456") == 0, "(0) retry, flags 0 -> %s", r.e164);
    CHECK(cpn_parse_with("0049 30 1234567", "US", 0, &r) == 1 && strcmp(r.e164, "+49301234567") == 0, "00 retry, flags 0 -> %s", r.e164);
    /* home display: the one form a phonebook of the region shows */
    CHECK(cpn_parse_with("+49 30 1234567", "DE", CPN_WITH_HOME_DISPLAY, &r) == 1 && strcmp(r.national, "030 1234567") == 0 &&
              r.international[0] == '\0',
          "home display DE -> [%s] [%s]", r.national, r.international);
    CHECK(cpn_parse_with("+49 30 1234567", "FI", CPN_WITH_HOME_DISPLAY, &r) == 1 && r.national[0] == '\0' &&
              strcmp(r.international, "+49 30 1234567") == 0,
          "home display FI -> [%s] [%s]", r.national, r.international);
    CHECK(cpn_parse_with("+1 416-555-0123", "US", CPN_WITH_HOME_DISPLAY, &r) == 1 && strcmp(r.region, "CA") == 0 &&
              r.national[0] == '\0' && r.international[0] == '+',
          "home display US, a CA number -> region %s [%s] [%s]", r.region, r.national, r.international);
    CHECK(cpn_parse_with("+1 416-555-0123", "CA", CPN_WITH_HOME_DISPLAY, &r) == 1 && strcmp(r.region, "CA") == 0 &&
              r.national[0] && r.international[0] == '\0',
          "home display CA -> region %s [%s] [%s]", r.region, r.national, r.international);
    home_display_matches_full_parse();
    CHECK(cpn_parse_with("030 1234567-12", "DE", 0, &r) == 1 && r.extension_kind == CPN_EXT_DIRECT_DIAL &&
              strcmp(r.base_e164, "+49301234567") == 0,
          "flags 0, direct dial");
    char ex[32];
    CHECK(cpn_example_number("DE", CPN_TYPE_MOBILE, ex, sizeof ex) == 1 && ex[0] == '+', "example number");
    CHECK(cpn_example_number("DE", CPN_TYPE_MOBILE, ex, 3) == 0 && ex[0] == '\0', "example number, small buffer");
    CHECK(cpn_example_number("XX", CPN_TYPE_MOBILE, ex, sizeof ex) == 0 && cpn_example_number("DE", 99, ex, sizeof ex) == 0 &&
              cpn_example_number("DE", 1, NULL, 10) == 0,
          "example number, bad arguments");

    /* 500 random bytes */
    char bytes[501];
    for (int i = 0; i < 500; ++i) bytes[i] = (char)(next_random() & 0xFF);
    bytes[500] = '\0';
    cpn_parse(bytes, "DE", &r);
    CHECK(r.ok == 0 || r.e164[0] == '+', "500 random bytes");

    /* huge inputs: 1 MB of digits, 300 digits, 1 MB of 0xFF */
    size_t big = 1 << 20;
    char *huge = malloc(big + 1);
    memset(huge, '5', big);
    huge[big] = '\0';
    CHECK(cpn_parse(huge, "DE", &r) == 0 && strcmp(r.error, "INPUT_TOO_LONG") == 0, "1 MB of digits -> %s", r.error);
    huge[300] = '\0';
    CHECK(cpn_parse(huge, "DE", &r) == 0 && r.error[0], "300 digits -> %s", r.error);
    memset(huge, 0xFF, big);
    huge[big] = '\0';
    CHECK(cpn_parse(huge, "DE", &r) == 0, "1 MB of 0xFF");
    free(huge);

    /* 200,000 random strings over a phone-ish alphabet plus random bytes */
    static const char alphabet[] = "0123456789+()-./ ;=#xXextEXT:telsip@ph";
    int inconsistent = 0;
    char text[320];
    const char *region_list[] = {"DE", "FI", "US", "GB", "ZZ", "", "xx", "001"};
    for (int i = 0; i < 200000; ++i) {
        int len = (int)(next_random() % 300);
        for (int k = 0; k < len; ++k) {
            unsigned x = next_random();
            text[k] = (x % 8 == 0) ? (char)(1 + (x >> 8) % 255) : alphabet[(x >> 8) % (sizeof alphabet - 1)];
        }
        text[len] = '\0';
        int rc = cpn_parse(text, region_list[i % 8], &r);
        if (rc != r.ok || (r.ok && r.e164[0] != '+') || (!r.ok && (r.error[0] == '\0' || r.e164[0])) ||
            memchr(r.e164, 0, sizeof r.e164) == NULL || memchr(r.error, 0, sizeof r.error) == NULL)
            inconsistent++;
    }
    CHECK(inconsistent == 0, "%d inconsistent results over 200,000 random inputs", inconsistent);
}

/* Several threads parse the region table at once and get the same answers. */
static void *thread_body(void *arg) {
    int *mismatches = arg;
    for (int round = 0; round < 2000; ++round)
        for (size_t i = 0; i < REGION_COUNT; ++i) {
            cpn_result r;
            cpn_parse(regions[i].national, regions[i].region, &r);
            if (strcmp(r.e164, regions[i].e164) != 0) (*mismatches)++;
        }
    return NULL;
}

static void thread_tests(void) {
    enum { THREADS = 4 };
    pthread_t threads[THREADS];
    int mismatches[THREADS] = {0};
    for (int i = 0; i < THREADS; ++i) pthread_create(&threads[i], NULL, thread_body, &mismatches[i]);
    int total = 0;
    for (int i = 0; i < THREADS; ++i) {
        pthread_join(threads[i], NULL);
        total += mismatches[i];
    }
    CHECK(total == 0, "%d mismatches across %d threads", total, THREADS);
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void timing(void) {
    const int count = 1000000;
    cpn_result r;
    double start = now();
    int valid = 0;
    for (int i = 0; i < count; ++i) {
        const region_case *c = &regions[i % REGION_COUNT];
        cpn_parse((i & 1) ? c->national : c->international, c->region, &r);
        valid += r.valid;
    }
    double seconds = now() - start;
    CHECK(valid == count, "timing loop: %d of %d valid", valid, count);
    printf("timing: %d cpn_parse in %.2f s = %.2f us each (national/international mix of %zu numbers)\n", count, seconds,
           seconds * 1e6 / count, REGION_COUNT);
    start = now();
    valid = 0;
    for (int i = 0; i < count; ++i) {
        const region_case *c = &regions[i % REGION_COUNT];
        cpn_parse_with((i & 1) ? c->national : c->international, c->region, 0, &r);
        valid += r.e164[0] == '+';
    }
    seconds = now() - start;
    CHECK(valid == count, "timing loop (flags 0): %d of %d read", valid, count);
    printf("timing: %d cpn_parse_with(flags 0) in %.2f s = %.2f us each (no type, no display forms, main region)\n", count, seconds,
           seconds * 1e6 / count);
    start = now();
    valid = 0;
    for (int i = 0; i < count; ++i) {
        const region_case *c = &regions[i % REGION_COUNT];
        cpn_parse_with((i & 1) ? c->national : c->international, "DE", CPN_WITH_HOME_DISPLAY, &r);
        valid += r.national[0] || r.international[0];
    }
    seconds = now() - start;
    CHECK(valid == count, "timing loop (home display): %d of %d with a display form", valid, count);
    printf("timing: %d cpn_parse_with(CPN_WITH_HOME_DISPLAY) in %.2f s = %.2f us each (what a stored number needs)\n", count,
           seconds, seconds * 1e6 / count);
    start = now();
    for (int i = 0; i < count / 10; ++i) cpn_parse("+999 123", "DE", &r);
    seconds = now() - start;
    printf("timing: %d failing parses (\"+999 123\") = %.2f us each\n", count / 10, seconds * 1e6 / (count / 10));
}

int main(int argc, char **argv) {
    (void)argv;
    region_tests();
    special_tests();
    robustness_tests();
    thread_tests();
    if (argc < 2) timing(); /* any argument skips the timing */
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
