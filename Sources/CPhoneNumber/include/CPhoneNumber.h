/*
 * CPhoneNumber: a plain C view of Google's libphonenumber (C++), for Swift.
 *
 * No C++ types cross this header. Every function is safe to call from any
 * thread at the same time: the shim keeps no mutable global state and
 * libphonenumber's PhoneNumberUtil is an immutable, thread-safe singleton
 * (created once through pthread_once). No function throws or aborts on any
 * input: NULL, empty, over-long, non-UTF-8 or binary text is reported as a
 * failed parse.
 */
#ifndef CPHONENUMBER_H
#define CPHONENUMBER_H

#ifdef __cplusplus
extern "C" {
#endif

/* Number types (the `type` field); same order as PhoneNumberUtil::PhoneNumberType plus one. */
enum {
    CPN_TYPE_UNKNOWN = 0,
    CPN_TYPE_FIXED_LINE = 1,
    CPN_TYPE_MOBILE = 2,
    CPN_TYPE_FIXED_LINE_OR_MOBILE = 3,
    CPN_TYPE_TOLL_FREE = 4,
    CPN_TYPE_PREMIUM_RATE = 5,
    CPN_TYPE_SHARED_COST = 6,
    CPN_TYPE_VOIP = 7,
    CPN_TYPE_PERSONAL_NUMBER = 8,
    CPN_TYPE_PAGER = 9,
    CPN_TYPE_UAN = 10,
    CPN_TYPE_VOICEMAIL = 11
};

/* How `extension` relates to `e164` (the `extension_kind` field). */
enum {
    /* No extension. */
    CPN_EXT_NONE = 0,
    /* Dialled after the call is answered ("ext. 12", "x12", ";ext=12"):
       NOT part of e164; base_e164 == e164. */
    CPN_EXT_POST_DIAL = 1,
    /* German/Austrian direct-dial suffix ("030 1234567-12", DIN 5008): the
       digits ARE part of e164 (+4930123456712, what a PBX presents as caller
       ID); base_e164 is the main number (+49301234567). A heuristic hint. */
    CPN_EXT_DIRECT_DIAL = 2
};

/* Buffer sizes, including the terminating NUL. */
#define CPN_E164_SIZE 32
#define CPN_DISPLAY_SIZE 64
#define CPN_REGION_SIZE 4
#define CPN_EXTENSION_SIZE 32
#define CPN_ERROR_SIZE 64

/* The result of one parse. All strings are NUL-terminated UTF-8 and empty when
   unknown. Display forms never contain the extension. */
typedef struct {
    int ok;                                   /* 1 if libphonenumber understood the text */
    int valid;                                /* IsValidNumber: a number that exists in the numbering plan; -1 when not computed (CPN_WITH_TYPE) */
    int possible;                             /* IsPossibleNumber: plausible length only */
    char e164[CPN_E164_SIZE];                 /* "+4930123456" */
    char national[CPN_DISPLAY_SIZE];          /* national display form, "030 123456" */
    char international[CPN_DISPLAY_SIZE];     /* "+49 30 123456" */
    char region[CPN_REGION_SIZE];             /* region of the number, "DE"; "001" non-geographic; "ZZ" unknown */
    int country_code;                         /* 49 */
    char national_significant[CPN_E164_SIZE]; /* "30123456" (e164 without "+" and country code) */
    char extension[CPN_EXTENSION_SIZE];       /* "12", see extension_kind */
    int extension_kind;                       /* CPN_EXT_* */
    char base_e164[CPN_E164_SIZE];            /* main number without a direct-dial suffix; == e164 otherwise */
    int type;                                 /* CPN_TYPE_* */
    char error[CPN_ERROR_SIZE];               /* reason when !ok, e.g. "NOT_A_NUMBER" */
} cpn_result;

/* What cpn_parse_with computes beyond the core fields (ok, valid, possible,
   e164, base_e164, national_significant, country_code, extension,
   extension_kind, type, error). */
enum {
    /* national and international display forms (about 9 us); empty without it */
    CPN_WITH_DISPLAY = 1,
    /* the exact region for country codes shared by several regions (+1 CA vs
       US, +44 GB vs JE, +358 FI vs AX; about 1-3 us); without it, region is
       the main region of the country code ("US" for every +1 number) */
    CPN_WITH_EXACT_REGION = 2,
    /* the number type and `valid` (GetNumberType, about 6 us); without it,
       `type` is CPN_TYPE_UNKNOWN and `valid` is -1 (not computed) whenever
       the number is possible with at least CPN_UNTYPED_MIN_DIGITS national
       digits, the only case where e164 does not depend on validity */
    CPN_WITH_TYPE = 4,
    /* only the display form a phonebook of `default_region` shows: `national`
       when the number belongs to that region (exactly, for shared country
       codes), otherwise `international`; `region` is then exact whenever the
       country code is the home region's. About half the cost of
       CPN_WITH_DISPLAY | CPN_WITH_EXACT_REGION */
    CPN_WITH_HOME_DISPLAY = 8,
    CPN_WITH_ALL = 7
};

/* See CPN_WITH_TYPE. */
#define CPN_UNTYPED_MIN_DIGITS 6

/*
 * Parses `text` as typed by a person or sent by a PBX, reading national
 * numbers with `default_region` (ISO 3166-1 alpha-2, case-insensitive; NULL,
 * "" or an unknown code means international numbers only).
 *
 * Understands national ("030 1234567"), international ("+49 30 1234567") and
 * international-prefix ("0049 30 1234567", "00358 40…" in any region)
 * forms, punctuation, "+49 (0)30 …", RFC 3966 "tel:" URIs (";ext=",
 * ";phone-context=+CC", other parameters ignored), "sip:"/"sips:" URIs
 * (user part), extensions ("ext. 12", "x12", "#12", ";ext=12") and the DE/AT
 * direct-dial suffix "-12".
 *
 * `ok` with `valid` 0 means libphonenumber could read the digits but the
 * number is not in its numbering plan (possibly just too new for the metadata,
 * see `possible`; "12" in DE is ok and possible but not valid).
 *
 * Fills `*out` completely (zeroed first) and returns out->ok, or -1 when
 * `out` is NULL. cpn_parse is cpn_parse_with(..., CPN_WITH_ALL, ...).
 */
int cpn_parse(const char *text, const char *default_region, cpn_result *out);
int cpn_parse_with(const char *text, const char *default_region, int flags, cpn_result *out);

/* 1 when libphonenumber has metadata for the region ("DE", "fi"), else 0. */
int cpn_is_supported_region(const char *region);

/* The country calling code of a region ("DE" -> 49), 0 when unknown. */
int cpn_country_code_for_region(const char *region);

/*
 * Writes libphonenumber's example number of `type` (CPN_TYPE_*) for `region`
 * in E.164 form into `buffer` (e.g. for generating test data). Returns 1 on
 * success, 0 when there is none or the buffer is too small.
 */
int cpn_example_number(const char *region, int type, char *buffer, int buffer_size);

#ifdef __cplusplus
}
#endif

#endif /* CPHONENUMBER_H */
