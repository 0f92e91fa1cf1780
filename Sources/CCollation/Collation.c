/*
 * CCollation: ICU collation through ICU's C API. See include/CCollation.h.
 */
#include "CCollation.h"

#include <stdlib.h>
#include <string.h>

#include <unicode/ucol.h>
#include <unicode/uloc.h>
#include <unicode/ustring.h>
#include <unicode/uversion.h>

/* UTF-16 code units converted on the stack; longer text goes through malloc. */
#define CCOL_STACK_UCHARS 512

static void write_error(char *error, int error_len, const char *what, UErrorCode status) {
    if (error == NULL || error_len <= 0) return;
    const char *name = U_FAILURE(status) ? u_errorName(status) : "";
    size_t n = 0;
    size_t cap = (size_t)error_len - 1;
    for (const char *p = what; *p && n < cap; p++) error[n++] = *p;
    if (*name) {
        const char *sep = ": ";
        for (const char *p = sep; *p && n < cap; p++) error[n++] = *p;
        for (const char *p = name; *p && n < cap; p++) error[n++] = *p;
    }
    error[n] = '\0';
}

void *ccol_open(const char *locale, char *error, int error_len) {
    if (error != NULL && error_len > 0) error[0] = '\0';
    if (locale == NULL) locale = "";
    if (strlen(locale) >= ULOC_FULLNAME_CAPACITY) {
        write_error(error, error_len, "locale id too long", U_ZERO_ERROR);
        return NULL;
    }
    UErrorCode status = U_ZERO_ERROR;
    UCollator *coll = ucol_open(locale, &status);
    if (U_FAILURE(status) || coll == NULL) {
        write_error(error, error_len, "ucol_open failed", status);
        if (coll != NULL) ucol_close(coll);
        return NULL;
    }
    /* Case- and accent-insensitive. */
    ucol_setAttribute(coll, UCOL_STRENGTH, UCOL_PRIMARY, &status);
    /* Spaces, punctuation and symbols are real characters that sort before digits and letters. */
    ucol_setAttribute(coll, UCOL_ALTERNATE_HANDLING, UCOL_NON_IGNORABLE, &status);
    /* "10" after "9"? No: digit by digit. */
    ucol_setAttribute(coll, UCOL_NUMERIC_COLLATION, UCOL_OFF, &status);
    /* Canonically equivalent input (precomposed or combining accents) gives the same key. */
    ucol_setAttribute(coll, UCOL_NORMALIZATION_MODE, UCOL_ON, &status);
    if (U_FAILURE(status)) {
        write_error(error, error_len, "ucol_setAttribute failed", status);
        ucol_close(coll);
        return NULL;
    }
    return coll;
}

void ccol_close(void *collator) {
    if (collator != NULL) ucol_close((UCollator *)collator);
}

void *ccol_clone(const void *collator) {
    if (collator == NULL) return NULL;
    UErrorCode status = U_ZERO_ERROR;
#if U_ICU_VERSION_MAJOR_NUM >= 71
    UCollator *copy = ucol_clone((const UCollator *)collator, &status);
#else
    UCollator *copy = ucol_safeClone((const UCollator *)collator, NULL, NULL, &status);
#endif
    if (U_FAILURE(status)) {
        if (copy != NULL) ucol_close(copy);
        return NULL;
    }
    return copy;
}

/*
 * Converts UTF-8 to UTF-16 into stack_buf when it fits, else into a malloc'ed
 * buffer stored in *heap (to be freed by the caller). Returns the UTF-16 text
 * and its length in *out_len, or NULL on failure.
 */
static const UChar *to_utf16(const char *utf8, int utf8_len, UChar *stack_buf, int32_t stack_cap,
                             UChar **heap, int32_t *out_len) {
    *heap = NULL;
    *out_len = 0;
    if (utf8 == NULL) return stack_buf;
    if (utf8_len < 0) {
        size_t n = strlen(utf8);
        if (n > INT32_MAX) return NULL;
        utf8_len = (int)n;
    }
    if (utf8_len == 0) return stack_buf;

    UErrorCode status = U_ZERO_ERROR;
    int32_t len = 0;
    /* UTF-16 never needs more code units than UTF-8 has bytes. */
    if (utf8_len <= stack_cap) {
        u_strFromUTF8WithSub(stack_buf, stack_cap, &len, utf8, utf8_len, 0xFFFD, NULL, &status);
        if (U_FAILURE(status)) return NULL;
        *out_len = len;
        return stack_buf;
    }
    UChar *buf = (UChar *)malloc((size_t)utf8_len * sizeof(UChar));
    if (buf == NULL) return NULL;
    u_strFromUTF8WithSub(buf, utf8_len, &len, utf8, utf8_len, 0xFFFD, NULL, &status);
    if (U_FAILURE(status)) {
        free(buf);
        return NULL;
    }
    *heap = buf;
    *out_len = len;
    return buf;
}

int ccol_sort_key(const void *collator, const char *utf8, int utf8_len, uint8_t *out, int out_capacity) {
    if (collator == NULL) return 0;
    if (out == NULL || out_capacity < 0) out_capacity = 0;
    UChar stack_buf[CCOL_STACK_UCHARS];
    UChar *heap = NULL;
    int32_t len = 0;
    const UChar *text = to_utf16(utf8, utf8_len, stack_buf, CCOL_STACK_UCHARS, &heap, &len);
    if (text == NULL) return 0;
    uint8_t dummy[1];
    int32_t n = ucol_getSortKey((const UCollator *)collator, text, len,
                                out_capacity > 0 ? out : dummy, out_capacity);
    free(heap);
    return (int)n;
}

int ccol_compare(const void *collator, const char *a, int a_len, const char *b, int b_len) {
    if (collator == NULL) return 0;
    UErrorCode status = U_ZERO_ERROR;
    UCollationResult r = ucol_strcollUTF8((const UCollator *)collator,
                                          a ? a : "", a ? a_len : 0,
                                          b ? b : "", b ? b_len : 0, &status);
    if (U_FAILURE(status)) return 0;
    return r == UCOL_LESS ? -1 : (r == UCOL_GREATER ? 1 : 0);
}

int ccol_version(const void *collator, char *out, int out_capacity) {
    if (collator == NULL || out == NULL || out_capacity <= 0) return 0;
    UVersionInfo info;
    char text[U_MAX_VERSION_STRING_LENGTH + 1];
    ucol_getVersion((const UCollator *)collator, info);
    u_versionToString(info, text);
    size_t n = strlen(text);
    if (n == 0 || n >= (size_t)out_capacity) {
        out[0] = '\0';
        return 0;
    }
    memcpy(out, text, n + 1);
    return (int)n;
}

int ccol_language_for_region(const char *region, char *out, int out_capacity) {
    if (out != NULL && out_capacity > 0) out[0] = '\0';
    if (region == NULL || out == NULL || out_capacity <= 0) return 0;

    /* Two ASCII letters (ISO 3166-1) or three digits (UN M.49), nothing else. */
    size_t n = strlen(region);
    char id[8] = "und_";
    if (n == 2) {
        for (size_t i = 0; i < 2; i++) {
            char c = region[i];
            if (c >= 'a' && c <= 'z') c = (char)(c - 'a' + 'A');
            if (c < 'A' || c > 'Z') return 0;
            id[4 + i] = c;
        }
        id[6] = '\0';
    } else if (n == 3) {
        for (size_t i = 0; i < 3; i++) {
            if (region[i] < '0' || region[i] > '9') return 0;
            id[4 + i] = region[i];
        }
        id[7] = '\0';
    } else {
        return 0;
    }

    UErrorCode status = U_ZERO_ERROR;
    char full[ULOC_FULLNAME_CAPACITY];
    uloc_addLikelySubtags(id, full, (int32_t)sizeof full, &status);
    if (U_FAILURE(status) || status == U_STRING_NOT_TERMINATED_WARNING) return 0;

    char lang[ULOC_LANG_CAPACITY];
    status = U_ZERO_ERROR;
    int32_t len = uloc_getLanguage(full, lang, (int32_t)sizeof lang, &status);
    if (U_FAILURE(status) || status == U_STRING_NOT_TERMINATED_WARNING) return 0;
    /* No likely language known: ICU leaves "und". */
    if (len <= 0 || strcmp(lang, "und") == 0) return 0;
    if (len >= out_capacity) return 0;
    memcpy(out, lang, (size_t)len + 1);
    return (int)len;
}
