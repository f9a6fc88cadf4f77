/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Column output and value formatting for procctl; see table.h. */

#include <errno.h>
#include <inttypes.h>
#include <langinfo.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "shared/macro.h"
#include "shared/parse-util.h"
#include "shared/string-util.h"
#include "shared/utf8.h"
#include "client/table.h"

typedef struct TableColumn {
        char *header;
        TableAlign align;
} TableColumn;

struct Table {
        TableColumn *columns;
        size_t n_columns;
        char **cells;                   /* row-major, n_cells of them */
        size_t n_cells, allocated;
        size_t ellipsize_column;        /* (size_t) -1 = none */
        bool show_header;
};

/* Copy with every control character (C0, DEL) replaced by '?'. */
static char *cell_dup(const char *s) {
        char *c = strdup(s);

        return c ? string_replace_control(c, '?') : NULL;
}

Table *table_new(const char *header, ...) {
        _cleanup_(table_freep) Table *t = NULL;
        va_list ap;
        size_t n = 0;

        if (!header)
                return NULL;

        va_start(ap, header);
        for (const char *h = header; h; h = va_arg(ap, const char *))
                n++;
        va_end(ap);

        t = calloc(1, sizeof(Table));
        if (!t)
                return NULL;
        t->ellipsize_column = (size_t) -1;
        t->show_header = true;
        t->columns = calloc(n, sizeof(TableColumn));
        if (!t->columns)
                return NULL;

        va_start(ap, header);
        for (const char *h = header; h; h = va_arg(ap, const char *)) {
                t->columns[t->n_columns].header = cell_dup(h);
                if (!t->columns[t->n_columns].header) {
                        va_end(ap);
                        return NULL;
                }
                t->n_columns++;
        }
        va_end(ap);

        return TAKE_PTR(t);
}

Table *table_free(Table *t) {
        if (!t)
                return NULL;
        for (size_t i = 0; i < t->n_cells; i++)
                free(t->cells[i]);
        free(t->cells);
        for (size_t i = 0; i < t->n_columns; i++)
                free(t->columns[i].header);
        free(t->columns);
        free(t);
        return NULL;
}

size_t table_get_columns(const Table *t) {
        return t->n_columns;
}

size_t table_get_rows(const Table *t) {
        return (t->n_cells + t->n_columns - 1) / t->n_columns;
}

int table_set_align(Table *t, size_t column, TableAlign align) {
        if (column >= t->n_columns)
                return -EINVAL;
        t->columns[column].align = align;
        return 0;
}

int table_set_ellipsize_column(Table *t, size_t column) {
        if (column >= t->n_columns)
                return -EINVAL;
        t->ellipsize_column = column;
        return 0;
}

void table_set_header(Table *t, bool show) {
        t->show_header = show;
}

int table_add_cell(Table *t, const char *s) {
        char *c;

        if (t->n_cells >= t->allocated) {
                size_t n = MAX(t->allocated * 2, t->n_columns * 16);
                char **l = reallocarray(t->cells, n, sizeof(char *));
                if (!l)
                        return -ENOMEM;
                t->cells = l;
                t->allocated = n;
        }

        c = cell_dup(s ?: "-");
        if (!c)
                return -ENOMEM;
        t->cells[t->n_cells++] = c;
        return 0;
}

int table_add_cellv(Table *t, const char *format, va_list ap) {
        _cleanup_free_ char *s = NULL;

        if (vasprintf(&s, format, ap) < 0)
                return -ENOMEM;
        return table_add_cell(t, s);
}

int table_add_cellf(Table *t, const char *format, ...) {
        va_list ap;
        int r;

        va_start(ap, format);
        r = table_add_cellv(t, format, ap);
        va_end(ap);
        return r;
}

static bool locale_is_utf8(void) {
        const char *set = nl_langinfo(CODESET);
        return set && (strcasecmp(set, "UTF-8") == 0 || strcasecmp(set, "utf8") == 0);
}

/* Writes s shortened to at most width display columns, ending in an ellipsis when cut. */
static void print_truncated(FILE *f, const char *s, size_t width) {
        bool utf8 = locale_is_utf8();
        const char *ellipsis = utf8 ? "…" : "...";
        size_t ew = utf8 ? 1 : 3;

        if (utf8_width(s) <= width) {
                fputs(s, f);
                return;
        }
        if (width <= ew) {
                if (utf8)
                        fputs(width > 0 ? ellipsis : "", f);
                else
                        fprintf(f, "%.*s", (int) width, ellipsis);
                return;
        }

        fwrite(s, 1, utf8_prefix_for_width(s, width - ew), f);
        fputs(ellipsis, f);
}

static void print_padding(FILE *f, size_t n) {
        for (size_t i = 0; i < n; i++)
                fputc(' ', f);
}

static void print_cell(FILE *f, const char *s, size_t width, TableAlign align, bool last) {
        size_t w = utf8_width(s);

        if (w > width) {
                print_truncated(f, s, width);
                return;
        }
        if (align == TABLE_ALIGN_RIGHT)
                print_padding(f, width - w);
        fputs(s, f);
        if (align == TABLE_ALIGN_LEFT && !last)
                print_padding(f, width - w);
}

int table_print(const Table *t, FILE *f, size_t width) {
        _cleanup_free_ size_t *widths = NULL;
        size_t rows = table_get_rows(t), total = 0;

        widths = calloc(t->n_columns, sizeof(size_t));
        if (!widths)
                return -ENOMEM;

        for (size_t i = 0; i < t->n_columns; i++)
                if (t->show_header)
                        widths[i] = utf8_width(t->columns[i].header);
        for (size_t i = 0; i < t->n_cells; i++)
                widths[i % t->n_columns] = MAX(widths[i % t->n_columns], utf8_width(t->cells[i]));

        for (size_t i = 0; i < t->n_columns; i++)
                total += widths[i] + (i > 0);

        if (width > 0 && total > width && t->ellipsize_column < t->n_columns) {
                size_t e = t->ellipsize_column;
                size_t others = total - widths[e];
                size_t floor = MAX(utf8_width(t->columns[e].header), (size_t) 3);

                widths[e] = width > others ? MAX(width - others, floor) : floor;
                widths[e] = MIN(widths[e], total - others);
        }

        if (t->show_header) {
                for (size_t i = 0; i < t->n_columns; i++) {
                        if (i > 0)
                                fputc(' ', f);
                        print_cell(f, t->columns[i].header, widths[i], t->columns[i].align,
                                   i == t->n_columns - 1);
                }
                fputc('\n', f);
        }

        for (size_t r = 0; r < rows; r++) {
                for (size_t i = 0; i < t->n_columns; i++) {
                        size_t k = r * t->n_columns + i;

                        if (i > 0)
                                fputc(' ', f);
                        print_cell(f, k < t->n_cells ? t->cells[k] : "", widths[i], t->columns[i].align,
                                   i == t->n_columns - 1);
                }
                fputc('\n', f);
        }

        return ferror(f) ? -EIO : 0;
}

size_t table_terminal_width(void) {
        struct winsize ws = {};
        const char *e;
        unsigned u;

        if (!isatty(STDOUT_FILENO))
                return 0;
        e = getenv("COLUMNS");
        if (e && safe_atou(e, &u) >= 0 && u > 0)
                return u;
        if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) >= 0 && ws.ws_col > 0)
                return ws.ws_col;
        return 80;
}

const char *format_bytes(char *buf, size_t size, uint64_t bytes) {
        static const char suffixes[] = "KMGTPE";
        double v = (double) bytes;
        size_t i = 0;

        if (bytes < 1024) {
                (void) snprintf(buf, size, "%" PRIu64 "B", bytes);
                return buf;
        }

        v /= 1024.0;
        while (v >= 1024.0 && i + 1 < STRLEN(suffixes)) {
                v /= 1024.0;
                i++;
        }
        /* Round once, so 1023.96K becomes "1.0M" instead of "1024.0K". */
        if (v >= 1023.95 && i + 1 < STRLEN(suffixes)) {
                v /= 1024.0;
                i++;
        }
        (void) snprintf(buf, size, "%.1f%c", v, suffixes[i]);
        return buf;
}

const char *format_timespan_sec(char *buf, size_t size, uint64_t sec) {
        static const struct {
                const char *suffix;
                uint64_t sec;
        } units[] = {
                { "d", 86400 }, { "h", 3600 }, { "min", 60 }, { "s", 1 },
        };
        size_t n = 0, shown = 0;

        if (sec == 0) {
                (void) snprintf(buf, size, "0s");
                return buf;
        }
        buf[0] = '\0';
        for (size_t i = 0; i < ELEMENTSOF(units) && shown < 3; i++) {
                uint64_t v = sec / units[i].sec;
                int k;

                if (v == 0)
                        continue;
                sec -= v * units[i].sec;
                k = snprintf(buf + n, size - n, "%s%" PRIu64 "%s", shown > 0 ? " " : "", v, units[i].suffix);
                if (k < 0 || (size_t) k >= size - n)
                        break;
                n += (size_t) k;
                shown++;
        }
        return buf;
}

const char *format_timestamp_usec(char *buf, size_t size, uint64_t usec) {
        time_t t = (time_t) (usec / USEC_PER_SEC);
        struct tm tm;

        if (!localtime_r(&t, &tm) || strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm) == 0)
                (void) snprintf(buf, size, "@%" PRIu64, (uint64_t) (usec / USEC_PER_SEC));
        return buf;
}
