/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Aligned column output in the manner of `systemctl list-units`: a header row,
 * every column as wide as its widest cell, one blank between columns, numbers
 * right-aligned, and optionally one column (the command line) shortened with an
 * ellipsis so rows fit a terminal width. Plus the value formatters procctl's
 * human output shares (sizes, time spans, timestamps). Cells are copied with
 * control characters replaced by '?', so a process name can't move the cursor.
 * Pure apart from writing to the FILE given; never logs.
 */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "shared/macro.h"

typedef enum TableAlign {
        TABLE_ALIGN_LEFT,
        TABLE_ALIGN_RIGHT,
} TableAlign;

typedef struct Table Table;

/* Column headers, NULL-terminated. NULL on OOM or no columns. */
Table *table_new(const char *header, ...) __attribute__((sentinel));
Table *table_free(Table *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(Table *, table_free);

size_t table_get_columns(const Table *t);
/* Data rows so far (a partly filled last row counts). */
size_t table_get_rows(const Table *t);

int table_set_align(Table *t, size_t column, TableAlign align);
/* The column that gives way when a width is imposed; by default none. */
int table_set_ellipsize_column(Table *t, size_t column);
void table_set_header(Table *t, bool show);

/* Cells are added row by row, left to right. NULL is shown as "-". 0 or -ENOMEM. */
int table_add_cell(Table *t, const char *s);
int table_add_cellf(Table *t, const char *format, ...) _printf_(2, 3);
int table_add_cellv(Table *t, const char *format, va_list ap) _printf_(2, 0);

/* width 0: never shorten. Otherwise the ellipsize column is shortened (down to its
 * header's width, at least 3) so rows fit width columns where possible. */
int table_print(const Table *t, FILE *f, size_t width);

/* Terminal columns of stdout, or 0 when stdout is not a terminal (= don't shorten). */
size_t table_terminal_width(void);

#define FORMAT_BYTES_MAX 16
/* 512 → "512B", 12897484 → "12.3M", base 1024 like systemd's format_bytes(). */
const char *format_bytes(char *buf, size_t size, uint64_t bytes);
#define FORMAT_TIMESPAN_MAX 64
/* 273845 s → "3d 4h 4min 5s", at most three units. */
const char *format_timespan_sec(char *buf, size_t size, uint64_t sec);
#define FORMAT_TIMESTAMP_MAX 64
/* Seconds/microseconds since the epoch → "2024-05-01 12:34:56" in local time. */
const char *format_timestamp_usec(char *buf, size_t size, uint64_t usec);
