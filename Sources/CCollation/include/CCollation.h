/*
 * CCollation: a plain C view of ICU collation (ucol.h), for Swift.
 *
 * Collators opened here compare at PRIMARY strength (case and accents are
 * ignored: "Ärzte" == "arzte" in German), with alternate handling
 * NON_IGNORABLE (spaces, punctuation and symbols count and sort before digits,
 * digits before letters) and numeric collation OFF ("10" < "9").
 *
 * Sort keys are byte strings that order like the collator when compared with
 * memcmp (shorter key first on a common prefix), so they can be stored and
 * indexed as SQLite BLOBs. They depend on the ICU/CLDR version: store
 * ccol_version() beside them and rebuild the keys when it changes.
 *
 * No ICU type crosses this header; Swift needs no ICU include path.
 *
 * Threading: ccol_open/ccol_clone/ccol_close are not to be raced against use
 * of the same handle. All other functions take a const collator and follow
 * ICU's documented rule that const APIs of a service object may be used
 * concurrently from any number of threads (ICU User Guide, "ICU Architectural
 * Design", "Thread-safe const APIs"); the collator is never modified after
 * ccol_open returns. ccol_clone gives a private copy for callers that prefer
 * one collator per thread.
 */
#ifndef CCOLLATION_H
#define CCOLLATION_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Suggested sizes, including the terminating NUL. */
#define CCOL_ERROR_SIZE 96
#define CCOL_LANGUAGE_SIZE 16
#define CCOL_VERSION_SIZE 24

/*
 * Opens a collator for an ICU/BCP 47 locale id ("de", "fi", "nl", "fr", "sv",
 * "en", "de_CH", "de-u-co-phonebk"; "" or "root" for the CLDR root order).
 * An unknown language falls back to the root order (not an error).
 * Returns NULL on failure and writes a NUL-terminated message to error
 * (if error is not NULL and error_len > 0).
 */
void *ccol_open(const char *locale, char *error, int error_len);

/* Closes a collator from ccol_open or ccol_clone. NULL is ignored. */
void ccol_close(void *collator);

/* A private copy of a collator (ucol_clone), or NULL on failure. */
void *ccol_clone(const void *collator);

/*
 * Writes the sort key of utf8[0..<utf8_len] (UTF-8; invalid sequences are
 * read as U+FFFD; utf8_len < 0 means NUL-terminated) to out and returns its
 * length. As with ucol_getSortKey the key ends in a 0 byte, which is counted
 * in the length; no other byte of a key is 0.
 * If the length is larger than out_capacity, out is left undefined (it may
 * be partly written) and the needed length is returned: call again with a
 * buffer at least that large. Returns 0 on failure (NULL collator,
 * out of memory).
 */
int ccol_sort_key(const void *collator, const char *utf8, int utf8_len,
                  uint8_t *out, int out_capacity);

/*
 * Compares two UTF-8 strings with the collator (ucol_strcollUTF8), lengths as
 * in ccol_sort_key: -1, 0 or 1. Agrees with memcmp of the sort keys.
 */
int ccol_compare(const void *collator, const char *a, int a_len, const char *b, int b_len);

/*
 * The collator's version ("153.120.0.0" style, from ucol_getVersion): it
 * changes when ICU's root collation, the locale's tailoring or the UCA changes,
 * i.e. whenever stored sort keys may have to be rebuilt.
 * Returns the string length, 0 on failure.
 */
int ccol_version(const void *collator, char *out, int out_capacity);

/*
 * The likely language of a region (ISO 3166-1 alpha-2 such as "DE", or UN M.49
 * such as "419"; case-insensitive): uloc_addLikelySubtags("und_" + region),
 * then uloc_getLanguage. "DE" -> "de", "FI" -> "fi", "BE" -> "nl", "CH" -> "de",
 * "SE" -> "sv". Writes a NUL-terminated language code to out and returns its
 * length, or 0 on failure (unknown or malformed region, buffer too small).
 */
int ccol_language_for_region(const char *region, char *out, int out_capacity);

#ifdef __cplusplus
}
#endif

#endif /* CCOLLATION_H */
