/*
 * Self-test and benchmark of CCollation (not part of the Swift target).
 *
 *   cd Sources/CCollation
 *   gcc -O2 Collation.c test/ccol_selftest.c -I include \
 *       $(pkg-config --cflags --libs icu-i18n icu-uc) -lpthread -o /tmp/ccol && /tmp/ccol
 */
#define _POSIX_C_SOURCE 200809L

#include "CCollation.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int failures = 0;

#define CHECK(cond, ...)                                   \
    do {                                                   \
        if (!(cond)) {                                     \
            failures++;                                    \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);    \
            printf(__VA_ARGS__);                           \
            printf("\n");                                  \
        }                                                  \
    } while (0)

typedef struct {
    const char *text;
    uint8_t key[256];
    int len;
} entry;

static int key_cmp(const uint8_t *a, int alen, const uint8_t *b, int blen) {
    int n = alen < blen ? alen : blen;
    int c = memcmp(a, b, (size_t)n);
    if (c != 0) return c < 0 ? -1 : 1;
    return alen < blen ? -1 : (alen > blen ? 1 : 0);
}

/* By key (memcmp, as SQLite compares BLOBs), ties by UTF-8 bytes for a stable expectation. */
static int entry_cmp(const void *pa, const void *pb) {
    const entry *a = pa, *b = pb;
    int c = key_cmp(a->key, a->len, b->key, b->len);
    return c != 0 ? c : strcmp(a->text, b->text);
}

static void *open_or_die(const char *locale) {
    char err[CCOL_ERROR_SIZE];
    void *c = ccol_open(locale, err, sizeof err);
    if (c == NULL) {
        printf("FAIL ccol_open(%s): %s\n", locale, err);
        exit(1);
    }
    return c;
}

static void print_hex(const uint8_t *key, int len) {
    for (int i = 0; i < len; i++) printf("%02x", key[i]);
}

/* Sorts `input` by keys of `locale`, prints the order, checks it against `expected`,
   and checks that ccol_compare agrees with memcmp of the keys for every pair. */
static void check_order(const char *locale, const char *const *input, const char *const *expected, int n) {
    void *coll = open_or_die(locale);
    entry *e = calloc((size_t)n, sizeof *e);
    for (int i = 0; i < n; i++) {
        e[i].text = input[i];
        e[i].len = ccol_sort_key(coll, input[i], (int)strlen(input[i]), e[i].key, sizeof e[i].key);
        CHECK(e[i].len > 0 && e[i].len <= (int)sizeof e[i].key, "%s: key length %d for %s", locale, e[i].len, input[i]);
        CHECK(e[i].key[e[i].len - 1] == 0, "%s: key of %s does not end in 0", locale, input[i]);
        for (int j = 0; j < e[i].len - 1; j++) CHECK(e[i].key[j] != 0, "%s: inner 0 byte in key of %s", locale, input[i]);
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            int byKey = key_cmp(e[i].key, e[i].len, e[j].key, e[j].len);
            int byColl = ccol_compare(coll, e[i].text, -1, e[j].text, -1);
            CHECK(byKey == byColl, "%s: compare(%s, %s) = %d but keys give %d", locale, e[i].text, e[j].text, byColl, byKey);
        }
    qsort(e, (size_t)n, sizeof *e, entry_cmp);
    printf("%-3s:", locale);
    for (int i = 0; i < n; i++) {
        int tie = i > 0 && key_cmp(e[i - 1].key, e[i - 1].len, e[i].key, e[i].len) == 0;
        printf("%s%s", i == 0 ? " " : (tie ? " = " : " < "), e[i].text);
    }
    printf("\n");
    for (int i = 0; i < n; i++)
        CHECK(strcmp(e[i].text, expected[i]) == 0, "%s: position %d is %s, expected %s", locale, i, e[i].text, expected[i]);
    free(e);
    ccol_close(coll);
}

static int same_key(void *coll, const char *a, const char *b) {
    uint8_t ka[256], kb[256];
    int la = ccol_sort_key(coll, a, -1, ka, sizeof ka);
    int lb = ccol_sort_key(coll, b, -1, kb, sizeof kb);
    return la > 0 && la == lb && memcmp(ka, kb, (size_t)la) == 0;
}

static int less_key(void *coll, const char *a, const char *b) {
    uint8_t ka[256], kb[256];
    int la = ccol_sort_key(coll, a, -1, ka, sizeof ka);
    int lb = ccol_sort_key(coll, b, -1, kb, sizeof kb);
    return key_cmp(ka, la, kb, lb) < 0;
}

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static void test_orders(void) {
    /* German (CLDR "de" = standard/dictionary order): umlauts are their base letter, case ignored. */
    static const char *const de_in[] = {"Zander", "Ärzte", "Arzt", "Ölmann", "Otto", "Müller", "Mueller",
                                        "müller", "Bäcker", "Backer", "123 Taxi", "(Notruf)", "Émile"};
    static const char *const de_out[] = {"(Notruf)", "123 Taxi", "Arzt", "Ärzte", "Backer", "Bäcker", "Émile",
                                         "Mueller", "Müller", "müller", "Ölmann", "Otto", "Zander"};
    check_order("de", de_in, de_out, N(de_in));

    /* Finnish: the alphabet ends ... x y z å ä ö; v and w are separate letters
       (CLDR standard; only "fi-u-co-trad" merges them); ü is a y
       ("Mürsky" after "Mylly", as "Myrsky"). */
    static const char *const fi_in[] = {"Öljy", "Zetterberg", "Äijä", "Åke", "Wahl", "Vesa", "Virtanen",
                                        "Aalto", "Yrjö", "Wikström", "Mürsky", "Mylly", "Olli"};
    static const char *const fi_out[] = {"Aalto", "Mylly", "Mürsky", "Olli", "Vesa", "Virtanen", "Wahl",
                                         "Wikström", "Yrjö", "Zetterberg", "Åke", "Äijä", "Öljy"};
    check_order("fi", fi_in, fi_out, N(fi_in));

    /* Swedish: the same end of the alphabet (å ä ö), v/w separate. */
    static const char *const sv_in[] = {"Östen", "Zetterlund", "Ärlig", "Åsa", "Wallin", "Vik", "Olsson"};
    static const char *const sv_out[] = {"Olsson", "Vik", "Wallin", "Zetterlund", "Åsa", "Ärlig", "Östen"};
    check_order("sv", sv_in, sv_out, N(sv_in));

    /* Dutch: CLDR root order; "ij"/"IJ" is i + j (not y); prefixes like "de ", "van " are
       part of the name, and the space sorts before letters; apostrophe and hyphen first. */
    static const char *const nl_in[] = {"Zeeman", "IJsselstein", "Jansen", "Yntema", "de Vries", "Dekker",
                                        "van Dijk", "Vanderbilt", "Visser", "'s-Gravenhage", "Bakker", "Ëlla",
                                        "Ijzerman"};
    static const char *const nl_out[] = {"'s-Gravenhage", "Bakker", "de Vries", "Dekker", "Ëlla", "IJsselstein",
                                         "Ijzerman", "Jansen", "van Dijk", "Vanderbilt", "Visser", "Yntema",
                                         "Zeeman"};
    check_order("nl", nl_in, nl_out, N(nl_in));

    /* French: accents ignored at primary strength (so backwards accents do not matter); œ = oe. */
    static const char *const fr_in[] = {"Zoé", "côte", "coté", "cote", "côté", "Émile", "Eve", "Ève",
                                        "Ellen", "Château", "chat", "Cœur", "Ça"};
    static const char *const fr_out[] = {"Ça", "chat", "Château", "Cœur", "cote", "coté", "côte", "côté",
                                         "Ellen", "Émile", "Eve", "Ève", "Zoé"};
    check_order("fr", fr_in, fr_out, N(fr_in));
}

static void test_equalities(void) {
    void *de = open_or_die("de");
    CHECK(same_key(de, "Ärzte", "Arzte"), "de: Ärzte != Arzte");
    CHECK(same_key(de, "Ärzte", "ARZTE"), "de: Ärzte != ARZTE");
    CHECK(same_key(de, "ölmann", "Olmann"), "de: ölmann != Olmann");
    CHECK(same_key(de, "Müller", "müller"), "de: Müller != müller");
    CHECK(!same_key(de, "Müller", "Mueller"), "de: Müller == Mueller (only in phonebook order)");
    CHECK(same_key(de, "Straße", "STRASSE"), "de: Straße != STRASSE");
    /* Precomposed and decomposed input (NFC vs NFD) give the same key. */
    CHECK(same_key(de, "M\xc3\xbcller", "Mu\xcc\x88ller"), "de: NFC != NFD");
    /* Punctuation < digits < letters; numeric collation off. */
    CHECK(less_key(de, "(Notruf)", "123"), "de: ( !< 1");
    CHECK(less_key(de, "123", "Arzt"), "de: 1 !< A");
    CHECK(less_key(de, "10", "9"), "de: 10 !< 9 (numeric collation must be off)");
    CHECK(less_key(de, "", "a"), "de: empty !< a");
    CHECK(less_key(de, "Anna Berg", "Annabell"), "de: space !< letter");
    ccol_close(de);

    void *phone = open_or_die("de-u-co-phonebk");
    CHECK(same_key(phone, "Müller", "Mueller"), "de phonebook: Müller != Mueller");
    ccol_close(phone);

    void *fr = open_or_die("fr");
    CHECK(same_key(fr, "côte", "coté"), "fr: côte != coté");
    CHECK(same_key(fr, "Émile", "emile"), "fr: Émile != emile");
    ccol_close(fr);

    void *fi = open_or_die("fi");
    CHECK(!same_key(fi, "Åke", "Ake"), "fi: Å == A");
    CHECK(!same_key(fi, "Wahl", "Vahl"), "fi: W == V");
    ccol_close(fi);
}

static void test_api(void) {
    char err[CCOL_ERROR_SIZE];
    void *de = open_or_die("de");
    uint8_t small[2], big[64];
    int need = ccol_sort_key(de, "Zetterberg", -1, small, sizeof small);
    CHECK(need > (int)sizeof small, "small buffer: got %d", need);
    int got = ccol_sort_key(de, "Zetterberg", -1, big, sizeof big);
    CHECK(got == need, "needed %d, then got %d", need, got);
    CHECK(ccol_sort_key(de, "Zetterberg", -1, NULL, 0) == need, "NULL buffer does not report length");
    CHECK(ccol_sort_key(de, "", 0, big, sizeof big) > 0, "empty string has no key");
    CHECK(ccol_sort_key(de, NULL, 0, big, sizeof big) > 0, "NULL text has no key");
    CHECK(ccol_sort_key(NULL, "x", 1, big, sizeof big) == 0, "NULL collator gives a key");
    /* Invalid UTF-8 is read as U+FFFD, not rejected. */
    CHECK(ccol_sort_key(de, "a\xff\xfe" "b", 4, big, sizeof big) > 0, "invalid UTF-8 has no key");
    /* Length-limited input ignores what follows. */
    CHECK(same_key(de, "Otto", "otto") && ccol_sort_key(de, "Ottokar", 4, big, sizeof big) == ccol_sort_key(de, "Otto", -1, small, 0),
          "utf8_len not honoured");
    /* A long name takes the malloc path. */
    char longname[3000];
    for (int i = 0; i < 999; i++) memcpy(longname + 3 * i, "\xc3\xa4" "b", 3);
    longname[2997] = '\0';
    int longneed = ccol_sort_key(de, longname, -1, NULL, 0);
    uint8_t *longkey = malloc((size_t)longneed);
    CHECK(longneed > 0 && ccol_sort_key(de, longname, -1, longkey, longneed) == longneed, "long text");
    free(longkey);

    const char *samples[] = {"Ärzte", "arzte", "Mueller", "(Notruf)"};
    for (int i = 0; i < 4; i++) {
        int n = ccol_sort_key(de, samples[i], -1, big, sizeof big);
        printf("key de %-10s ", samples[i]);
        print_hex(big, n);
        printf("\n");
    }

    char version[CCOL_VERSION_SIZE];
    CHECK(ccol_version(de, version, sizeof version) > 0, "no version");
    printf("collator version (de): %s\n", version);

    void *copy = ccol_clone(de);
    CHECK(copy != NULL && same_key(copy, "Ärzte", "arzte"), "clone lost its attributes");
    uint8_t k1[64], k2[64];
    int l1 = ccol_sort_key(de, "Bäcker", -1, k1, sizeof k1);
    int l2 = ccol_sort_key(copy, "Bäcker", -1, k2, sizeof k2);
    CHECK(l1 == l2 && memcmp(k1, k2, (size_t)l1) == 0, "clone gives other keys");
    ccol_close(copy);
    ccol_close(de);
    ccol_close(NULL);

    /* Unknown languages fall back to the root order; malformed ids are refused or fall back. */
    void *xx = ccol_open("xx", err, sizeof err);
    CHECK(xx != NULL, "xx: %s", err);
    ccol_close(xx);
    char toolong[200];
    memset(toolong, 'a', sizeof toolong - 1);
    toolong[sizeof toolong - 1] = '\0';
    CHECK(ccol_open(toolong, err, sizeof err) == NULL && err[0] != '\0', "over-long locale id accepted");
    printf("over-long locale id: %s\n", err);

    static const char *const regions[][2] = {
        {"DE", "de"}, {"FI", "fi"}, {"NL", "nl"}, {"FR", "fr"}, {"BE", "nl"}, {"CH", "de"},
        {"SE", "sv"}, {"AT", "de"}, {"GB", "en"}, {"US", "en"}, {"ES", "es"}, {"de", "de"},
        {"419", "es"},
    };
    char lang[CCOL_LANGUAGE_SIZE];
    printf("regions:");
    for (int i = 0; i < N(regions); i++) {
        int n = ccol_language_for_region(regions[i][0], lang, sizeof lang);
        printf(" %s->%s", regions[i][0], n > 0 ? lang : "(none)");
        CHECK(n > 0 && strcmp(lang, regions[i][1]) == 0, "region %s gave %s, expected %s", regions[i][0], lang, regions[i][1]);
    }
    printf("\n");
    CHECK(ccol_language_for_region("", lang, sizeof lang) == 0, "empty region");
    CHECK(ccol_language_for_region("D", lang, sizeof lang) == 0, "one-letter region");
    CHECK(ccol_language_for_region("DEU", lang, sizeof lang) == 0, "alpha-3 region");
    CHECK(ccol_language_for_region("D_", lang, sizeof lang) == 0, "bad region");
    CHECK(ccol_language_for_region(NULL, lang, sizeof lang) == 0, "NULL region");
    CHECK(ccol_language_for_region("DE", lang, 2) == 0, "tiny buffer");
    /* ICU's likely-subtags data answers even for unknown/private-use regions ("ZZ", "QQ"
       give "en"); a caller that needs validation must check the region itself. */
    static const char *const odd[] = {"ZZ", "QQ", "XK", "001", "150"};
    printf("odd regions:");
    for (int i = 0; i < N(odd); i++) {
        int n = ccol_language_for_region(odd[i], lang, sizeof lang);
        printf(" %s->%s", odd[i], n > 0 ? lang : "(none)");
    }
    printf("\n");
}

/* ---- benchmark ---- */

#define NAMES 1000000

static const char *const first[] = {"Anna", "Jürgen", "Mika", "Sanna", "Pieter", "Émile", "Zoë", "Åsa", "Björn",
                                    "Ülkü", "Sophie", "Thomas", "Päivi", "Jan-Willem", "François", "Ole"};
static const char *const last[] = {"Müller", "Schmidt", "Virtanen", "Korhonen", "de Vries", "van den Berg",
                                   "Dubois", "Lefèvre", "Nieminen", "Mäkinen", "Öztürk", "Bäcker GmbH",
                                   "Janssens", "Wikström", "O'Brien", "Großmann", "Hämäläinen", "Çelik"};

static char **make_names(void) {
    char **names = malloc(NAMES * sizeof *names);
    unsigned seed = 12345;
    for (int i = 0; i < NAMES; i++) {
        seed = seed * 1103515245u + 12345u;
        const char *f = first[(seed >> 8) % N(first)];
        seed = seed * 1103515245u + 12345u;
        const char *l = last[(seed >> 8) % N(last)];
        char buf[96];
        int n = (i % 3 == 0) ? snprintf(buf, sizeof buf, "%s, %s", l, f) : snprintf(buf, sizeof buf, "%s %s %d", f, l, i % 97);
        names[i] = malloc((size_t)n + 1);
        memcpy(names[i], buf, (size_t)n + 1);
    }
    return names;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct {
    const void *coll;
    char **names;
    int from, to;
    uint64_t sum;
    long bytes;
} job;

static uint64_t hash_key(const uint8_t *k, int n) {
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < n; i++) h = (h ^ k[i]) * 1099511628211ull;
    return h;
}

static void *run_job(void *p) {
    job *j = p;
    uint8_t key[512];
    for (int i = j->from; i < j->to; i++) {
        int n = ccol_sort_key(j->coll, j->names[i], (int)strlen(j->names[i]), key, sizeof key);
        j->sum += hash_key(key, n) * (uint64_t)(i + 1);
        j->bytes += n;
    }
    return NULL;
}

static void benchmark(void) {
    char **names = make_names();
    void *de = open_or_die("de");
    long chars = 0;
    for (int i = 0; i < NAMES; i++) chars += (long)strlen(names[i]);

    job warm = {de, names, 0, NAMES / 10, 0, 0};
    run_job(&warm);

    job one = {de, names, 0, NAMES, 0, 0};
    double t0 = now();
    run_job(&one);
    double t1 = now();
    printf("1 thread : %d keys in %.3f s = %.0f keys/s (%.0f ns/key; avg name %.1f bytes, avg key %.1f bytes)\n", NAMES,
           t1 - t0, NAMES / (t1 - t0), (t1 - t0) * 1e9 / NAMES, (double)chars / NAMES, (double)one.bytes / NAMES);

    /* Two threads on ONE shared collator (const use): keys must equal the single-threaded ones. */
    job two[2] = {{de, names, 0, NAMES / 2, 0, 0}, {de, names, NAMES / 2, NAMES, 0, 0}};
    pthread_t th[2];
    t0 = now();
    for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, run_job, &two[i]);
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    t1 = now();
    printf("2 threads, one shared collator: %.0f keys/s total\n", NAMES / (t1 - t0));
    CHECK(two[0].sum + two[1].sum == one.sum, "shared collator gave different keys under concurrency");

    /* Two threads, one clone each. */
    void *c0 = ccol_clone(de), *c1 = ccol_clone(de);
    job own[2] = {{c0, names, 0, NAMES / 2, 0, 0}, {c1, names, NAMES / 2, NAMES, 0, 0}};
    t0 = now();
    for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, run_job, &own[i]);
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    t1 = now();
    printf("2 threads, a clone each:        %.0f keys/s total\n", NAMES / (t1 - t0));
    CHECK(own[0].sum + own[1].sum == one.sum, "clones gave different keys");
    ccol_close(c0);
    ccol_close(c1);

    /* Comparison: ucol_strcollUTF8 on neighbouring names (no keys). */
    t0 = now();
    long order = 0;
    for (int i = 1; i < NAMES; i++) order += ccol_compare(de, names[i - 1], -1, names[i], -1);
    t1 = now();
    printf("ccol_compare: %.0f comparisons/s (checksum %ld)\n", (NAMES - 1) / (t1 - t0), order);

    ccol_close(de);
    for (int i = 0; i < NAMES; i++) free(names[i]);
    free(names);
}

int main(void) {
    test_orders();
    test_equalities();
    test_api();
    benchmark();
    if (failures) {
        printf("%d FAILURE(S)\n", failures);
        return 1;
    }
    printf("all checks passed\n");
    return 0;
}
