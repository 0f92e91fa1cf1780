/*
 * CLibEdit: the native libedit API (<histedit.h>, NOT GNU readline and not libedit's readline emulation)
 * for Swift. Swift cannot call C variadic functions (el_set, el_get, history), so every call the
 * line editor needs has a fixed-signature wrapper here. Everything is `static inline`: this is a
 * header-only system library module, linked against -ledit.
 */
#ifndef SWITCHBOARD_CLIBEDIT_SHIM_H
#define SWITCHBOARD_CLIBEDIT_SHIM_H

#include <histedit.h>
#include <locale.h>
#include <langinfo.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <wchar.h>

/* Columns a character takes on the terminal (-1 if unprintable). glibc only declares wcwidth under
   _XOPEN_SOURCE, which the Swift Glibc module does not define. */
extern int wcwidth(wchar_t c);
static inline int shim_wcwidth(wchar_t c) { return wcwidth(c); }

/* Function types passed to libedit. */
typedef char *(*shim_prompt_fn)(EditLine *);
typedef unsigned char (*shim_key_fn)(EditLine *, int);
typedef int (*shim_read_fn)(EditLine *, wchar_t *);

/* ---- el_set / el_get ---------------------------------------------------------------------- */

/* The prompt function returns a multibyte string; characters between two `literal` markers are
   printed as-is and take no columns (terminal escape sequences such as colours). */
static inline int shim_el_set_prompt(EditLine *el, shim_prompt_fn fn, char literal) {
    return el_set(el, EL_PROMPT_ESC, fn, literal);
}
static inline int shim_el_set_editor(EditLine *el, const char *mode) { return el_set(el, EL_EDITOR, mode); }
static inline int shim_el_set_signal(EditLine *el, int on) { return el_set(el, EL_SIGNAL, on); }
static inline int shim_el_set_hist(EditLine *el, History *h) { return el_set(el, EL_HIST, history, h); }
static inline int shim_el_addfn(EditLine *el, const char *name, const char *help, shim_key_fn fn) {
    return el_set(el, EL_ADDFN, name, help, fn);
}
static inline int shim_el_bind(EditLine *el, const char *key, const char *fn) {
    return el_set(el, EL_BIND, key, fn, (const char *)NULL);
}
/* "setty -d <arg>": changes a terminal mode flag for edit mode only (e.g. "-isig"). */
static inline int shim_el_setty_edit(EditLine *el, const char *arg) {
    return el_set(el, EL_SETTY, "-d", arg, (const char *)NULL);
}
static inline int shim_el_set_clientdata(EditLine *el, void *data) { return el_set(el, EL_CLIENTDATA, data); }
static inline void *shim_el_get_clientdata(EditLine *el) {
    void *data = NULL;
    if (el_get(el, EL_CLIENTDATA, &data) != 0) return NULL;
    return data;
}
/* Raw mode now (1) or back to the settings found (0); raw mode before the prompt is drawn means
   keys typed right after it are not echoed by the terminal driver a second time. */
static inline int shim_el_prep_term(EditLine *el, int raw) { return el_set(el, EL_PREP_TERM, raw); }
static inline int shim_el_set_getcfn(EditLine *el, shim_read_fn fn) { return el_set(el, EL_GETCFN, fn); }
/* Forgets what libedit believes is on the screen and redraws prompt and line from the cursor's
   current row, column 0. */
static inline int shim_el_refresh(EditLine *el) { return el_set(el, EL_REFRESH); }
/* Terminal width libedit lays the line out with (0 if unknown). */
static inline int shim_el_columns(EditLine *el) {
    int columns = 0;
    if (el_get(el, EL_GETTC, "co", &columns, (void *)NULL) != 0) return 0;
    return columns;
}
/* 1 when libedit edits (a terminal on both ends and editing not switched off by ~/.editrc). */
static inline int shim_el_editmode(EditLine *el) {
    int on = 0;
    if (el_get(el, EL_EDITMODE, &on) != 0) return 0;
    return on;
}

/* A prompt for the (impossible) case that the prompt callback finds no editor state: libedit
   dereferences whatever the callback returns. */
static inline char *shim_empty_prompt(void) {
    static char empty[1] = {0};
    return empty;
}

/* ---- history ------------------------------------------------------------------------------ */

static inline int shim_history_setsize(History *h, int size) { HistEvent ev; return history(h, &ev, H_SETSIZE, size); }
static inline int shim_history_setunique(History *h, int on) { HistEvent ev; return history(h, &ev, H_SETUNIQUE, on); }
static inline int shim_history_enter(History *h, const char *line) { HistEvent ev; return history(h, &ev, H_ENTER, line); }
static inline int shim_history_load(History *h, const char *path) { HistEvent ev; return history(h, &ev, H_LOAD, path); }
static inline int shim_history_save_fp(History *h, FILE *fp) { HistEvent ev; return history(h, &ev, H_SAVE_FP, fp); }

/* ---- stdio --------------------------------------------------------------------------------- */

/* The C streams are mutable globals, which Swift 6 refuses to touch directly. */
static inline FILE *shim_stdin(void) { return stdin; }
static inline FILE *shim_stdout(void) { return stdout; }
static inline FILE *shim_stderr(void) { return stderr; }

/* ---- locale -------------------------------------------------------------------------------- */

/* setlocale(LC_CTYPE, "") as libedit needs for multibyte input; if the environment names no UTF-8
   locale (LANG unset in a service or test), falls back to C.UTF-8 because Swift strings and the
   terminals we talk to are UTF-8. Returns 1 when LC_CTYPE ends up UTF-8. */
static inline int shim_setlocale_ctype_utf8(void) {
    setlocale(LC_CTYPE, "");
    const char *codeset = nl_langinfo(CODESET);
    if (codeset != NULL && (strcmp(codeset, "UTF-8") == 0 || strcmp(codeset, "utf8") == 0)) return 1;
    if (setlocale(LC_CTYPE, "C.UTF-8") != NULL || setlocale(LC_CTYPE, "C.utf8") != NULL ||
        setlocale(LC_CTYPE, "en_US.UTF-8") != NULL) return 1;
    return 0;
}

/* ---- terminal guard for secret input -------------------------------------------------------- */

/* While a secret is typed, echo is off. If the process is killed by a signal meanwhile, the
   handler restores the saved terminal settings and re-raises the signal with the previous
   disposition, the same thing libedit's EL_SIGNAL does for the editing mode. It must be C: a
   signal handler may only call async-signal-safe functions, which tcsetattr/sigaction/raise are. */
struct shim_tty_guard {
    volatile sig_atomic_t active;
    int fd;
    struct termios saved;
    struct sigaction previous[4];
};
static inline struct shim_tty_guard *shim_tty_guard_state(void) {
    static struct shim_tty_guard guard;
    return &guard;
}
static inline const int *shim_tty_guard_signals(void) {
    static const int signals[4] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
    return signals;
}
static inline void shim_tty_guard_handler(int signo) {
    struct shim_tty_guard *g = shim_tty_guard_state();
    const int *signals = shim_tty_guard_signals();
    if (g->active) {
        tcsetattr(g->fd, TCSANOW, &g->saved);
        g->active = 0;
    }
    for (int i = 0; i < 4; i++) {
        if (signals[i] == signo) sigaction(signo, &g->previous[i], NULL);
    }
    raise(signo);
}
static inline void shim_tty_guard_begin(int fd, const struct termios *saved) {
    struct shim_tty_guard *g = shim_tty_guard_state();
    const int *signals = shim_tty_guard_signals();
    g->fd = fd;
    g->saved = *saved;
    g->active = 1;
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = shim_tty_guard_handler;
    sigemptyset(&action.sa_mask);
    for (int i = 0; i < 4; i++) sigaction(signals[i], &action, &g->previous[i]);
}
static inline void shim_tty_guard_end(void) {
    struct shim_tty_guard *g = shim_tty_guard_state();
    const int *signals = shim_tty_guard_signals();
    if (!g->active) return;
    g->active = 0;
    for (int i = 0; i < 4; i++) sigaction(signals[i], &g->previous[i], NULL);
}

#endif
