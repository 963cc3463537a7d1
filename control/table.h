/* Aligned text tables for human output of vlab commands: a header row, then
 * rows of cells; columns are two spaces apart, text left-aligned, numbers
 * right-aligned, no trailing spaces.
 *
 * Threads: main thread only. Pure: table_render() builds a string, so tests
 * check the layout without a terminal. */
#ifndef VLAB_TABLE_H
#define VLAB_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct table;

/* One column. */
struct table_col {
	const char *header; /* e.g. "RX-PACKETS" */
	bool right;	    /* right-align (numbers) */
};

/* Creates a table with `ncols` columns (copied). Returns NULL on ENOMEM or when
 * ncols is 0. */
struct table *table_new(const struct table_col *cols, size_t ncols);
void table_free(struct table *t);

/* Appends a row of exactly ncols cells (copied; NULL prints as "-").
 * Returns 0 or -ENOMEM. */
int table_add_row(struct table *t, const char *const cells[]);

/* Number of rows added so far (the header is not counted). */
size_t table_rows(const struct table *t);

/* Renders header and rows, each line ending in '\n', into a new string
 * (free() it). Returns 0 or -ENOMEM. */
int table_render(const struct table *t, char **out);

/* Renders to `f`. Returns 0, -ENOMEM or -EIO. */
int table_print(const struct table *t, FILE *f);

#endif /* VLAB_TABLE_H */
