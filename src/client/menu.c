/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Interactive numbered menu; see menu.h. */

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "shared/macro.h"
#include "client/menu.h"
#include "shared/parse-util.h"
#include "shared/split.h"
#include "shared/string-util.h"
#include "shared/strv.h"

/* Plenty for a typed command line; the daemon refuses more than its own argv limit anyway. */
#define MENU_ARGV_MAX 4096

typedef enum MenuChoice {
        MENU_PING = 1,
        MENU_LIST,
        MENU_START,
        MENU_STOP,
        MENU_INFO,
        MENU_EXIT,
        _MENU_CHOICE_INVALID = -EINVAL,
} MenuChoice;

static const char *const menu_names[] = {
        [MENU_PING] = "PING",
        [MENU_LIST] = "LIST",
        [MENU_START] = "START",
        [MENU_STOP] = "STOP",
        [MENU_INFO] = "INFO",
        [MENU_EXIT] = "EXIT",
};

/* One answer without leading/trailing blanks. 0 on EOF, 1 with *ret set, <0 on error. */
static int read_answer(FILE *in, FILE *out, const char *prompt, char **ret) {
        _cleanup_free_ char *line = NULL;
        size_t size = 0;
        ssize_t n;
        char *s;

        fputs(prompt, out);
        fflush(out);

        errno = 0;
        n = getline(&line, &size, in);
        if (n < 0) {
                if (errno != 0 && !feof(in))
                        return -errno;
                /* Finish the prompt's line so the shell prompt doesn't follow it. */
                fputc('\n', out);
                return 0;
        }

        /* The line ending, and blanks around the answer (\v and \f too: white space). */
        s = strstrip(line);

        /* A terminal echoes what was typed; on a pipe, echo it ourselves so the transcript
         * reads like a session and output doesn't start on the prompt's line. */
        if (!isatty(fileno(in)))
                fprintf(out, "%s\n", s);

        *ret = strdup(s);
        return *ret ? 1 : -ENOMEM;
}

static MenuChoice menu_choice_from_string(const char *s) {
        unsigned u;

        if (safe_atou(s, &u) >= 0)
                return u >= MENU_PING && u <= MENU_EXIT ? (MenuChoice) u : _MENU_CHOICE_INVALID;
        for (size_t i = MENU_PING; i < ELEMENTSOF(menu_names); i++)
                if (strcasecmp(s, menu_names[i]) == 0)
                        return (MenuChoice) i;
        if (strcasecmp(s, "q") == 0 || strcasecmp(s, "quit") == 0)
                return MENU_EXIT;
        return _MENU_CHOICE_INVALID;
}

static void menu_show(FILE *out, const char *target) {
        fputc('\n', out);
        if (target)
                fprintf(out, "procmgr @ %s\n", target);
        for (size_t i = MENU_PING; i < ELEMENTSOF(menu_names); i++)
                fprintf(out, "  %zu) %s\n", i, menu_names[i]);
}

static int run_argv(FILE *out, char **argv, MenuRunVerb run, void *userdata) {
        fflush(out);
        (void) run((int) strv_length(argv), argv, userdata);
        fflush(stdout);
        fflush(stderr);
        return 0;
}

static int menu_start(FILE *in, FILE *out, MenuRunVerb run, void *userdata) {
        _cleanup_strv_free_ char **words = NULL, **argv = NULL;
        _cleanup_free_ char *line = NULL;
        size_t n = 0;
        int r;

        r = read_answer(in, out, "Command line: ", &line);
        if (r <= 0)
                return r;
        r = split_command(line, MENU_ARGV_MAX, &words);
        if (r == -EINVAL) {
                fprintf(stderr, "procctl: unbalanced quote or trailing backslash in command line\n");
                return 1;
        }
        if (r == -E2BIG) {
                fprintf(stderr, "procctl: command line has too many words\n");
                return 1;
        }
        if (r < 0)
                return r;
        if (r == 0) {
                fprintf(out, "Nothing to start.\n");
                return 1;
        }

        /* start -- WORD… : "--" keeps words like "-l" away from start's own options. */
        r = strv_extend(&argv, &n, "start");
        if (r >= 0)
                r = strv_extend(&argv, &n, "--");
        for (char **w = words; r >= 0 && *w; w++)
                r = strv_extend(&argv, &n, *w);
        if (r < 0)
                return r;

        (void) run_argv(out, argv, run, userdata);
        return 1;
}

static int menu_stop(FILE *in, FILE *out, MenuRunVerb run, void *userdata) {
        _cleanup_free_ char *line = NULL;
        char *argv[] = { (char *) "stop", NULL, NULL };
        pid_t pid;
        int r;

        r = read_answer(in, out, "PID: ", &line);
        if (r <= 0)
                return r;
        if (parse_pid(line, &pid) < 0) {
                fprintf(stderr, "procctl: invalid PID '%.32s'\n", line);
                return 1;
        }
        argv[1] = line;
        (void) run_argv(out, argv, run, userdata);
        return 1;
}

int menu_run(FILE *in, FILE *out, const char *target, MenuRunVerb run, void *userdata) {
        for (;;) {
                _cleanup_free_ char *answer = NULL;
                MenuChoice choice;
                int r;

                menu_show(out, target);
                r = read_answer(in, out, "Choice [1-6]: ", &answer);
                if (r <= 0)
                        return r;
                if (answer[0] == '\0')
                        continue;

                choice = menu_choice_from_string(answer);
                switch (choice) {
                case MENU_PING:
                case MENU_LIST:
                case MENU_INFO: {
                        char verb[8], *argv[] = { verb, NULL };
                        size_t i;

                        /* The verb is the lower-case menu name. */
                        for (i = 0; menu_names[choice][i] && i < sizeof(verb) - 1; i++)
                                verb[i] = (char) (menu_names[choice][i] | 0x20);
                        verb[i] = '\0';
                        (void) run_argv(out, argv, run, userdata);
                        break;
                }
                case MENU_START:
                        r = menu_start(in, out, run, userdata);
                        if (r <= 0)
                                return r;
                        break;
                case MENU_STOP:
                        r = menu_stop(in, out, run, userdata);
                        if (r <= 0)
                                return r;
                        break;
                case MENU_EXIT:
                        return 0;
                default:
                        fflush(out);
                        fprintf(stderr, "procctl: invalid choice '%.32s', enter a number from 1 to 6\n",
                                answer);
                        break;
                }
        }
}
