#ifndef RINGSIDE_CNCURSESW_SHIM_H
#define RINGSIDE_CNCURSESW_SHIM_H
#define _XOPEN_SOURCE_EXTENDED 1
#define NCURSES_WIDECHAR 1
#include <locale.h>
#include <langinfo.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>
#include <ncursesw/curses.h>

/* Curses macros Swift cannot import, as tiny functions. */
static inline attr_t ringside_attr_bold(void) { return A_BOLD; }
static inline attr_t ringside_attr_dim(void) { return A_DIM; }
static inline attr_t ringside_attr_underline(void) { return A_UNDERLINE; }
static inline attr_t ringside_attr_reverse(void) { return A_REVERSE; }
static inline attr_t ringside_attr_italic(void) { return A_ITALIC; }
static inline attr_t ringside_attr_normal(void) { return A_NORMAL; }

static inline mmask_t ringside_mouse_mask(void) {
    return BUTTON1_PRESSED | BUTTON1_RELEASED | BUTTON1_CLICKED | BUTTON1_DOUBLE_CLICKED
         | BUTTON3_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED;
}
static inline int ringside_mouse_button1(mmask_t s) { return (s & (BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON1_DOUBLE_CLICKED)) != 0; }
static inline int ringside_mouse_button3(mmask_t s) { return (s & BUTTON3_PRESSED) != 0; }
static inline int ringside_mouse_wheel_up(mmask_t s) { return (s & BUTTON4_PRESSED) != 0; }
static inline int ringside_mouse_wheel_down(mmask_t s) {
#ifdef BUTTON5_PRESSED
    return (s & BUTTON5_PRESSED) != 0;
#else
    return 0;
#endif
}

static inline int ringside_key_code_yes(void) { return KEY_CODE_YES; }
static inline int ringside_err(void) { return ERR; }

/* Puts one character cell with an extended colour pair. */
static inline int ringside_put_cell(int y, int x, wchar_t ch, attr_t attrs, int pair) {
    cchar_t cell;
    wchar_t text[2] = { ch, 0 };
    if (setcchar(&cell, text, attrs, 0, &pair) != OK) return ERR;
    return mvwadd_wch(stdscr, y, x, &cell);
}

/* True when the locale's character set is UTF-8. */
static inline int ringside_locale_is_utf8(void) {
    const char *codeset = nl_langinfo(CODESET);
    return codeset != NULL && (strcmp(codeset, "UTF-8") == 0 || strcmp(codeset, "utf8") == 0);
}

/* Restores the terminal if curses is active: used on quit, at exit, and from signal handlers so the
 * terminal is never left in curses mode. */
static inline void ringside_restore_terminal(void) {
    if (stdscr != NULL && !isendwin()) {
        endwin();
        /* Belt and braces: mouse reporting off, cursor visible, attributes reset. */
        static const char reset[] = "\033[?1000l\033[?1002l\033[?1006l\033[?25h\033[0m";
        ssize_t ignored = write(STDOUT_FILENO, reset, sizeof reset - 1);
        (void)ignored;
    }
}

static void ringside_terminal_signal(int sig) {
    ringside_restore_terminal();
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Restores the terminal on SIGINT, SIGTERM, SIGHUP, SIGQUIT and on crashes (SIGSEGV, SIGBUS,
 * SIGILL, SIGFPE, SIGABRT, SIGTRAP), then lets the signal take its default course; and at exit. */
static inline void ringside_install_terminal_guards(void) {
    int signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP };
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = ringside_terminal_signal;
    sigemptyset(&action.sa_mask);
    for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) sigaction(signals[i], &action, NULL);
    atexit(ringside_restore_terminal);
}
#endif
