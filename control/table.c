/* Aligned text tables for human output of vlab commands.
 *
 * Threads: main thread only. Pure except table_print(), which writes to a FILE. */
#include "table.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define COL_GAP 2 /* spaces between columns */

struct table {
	struct table_col *cols; /* ncols column descriptions; headers copied */
	size_t ncols;
	char **cells; /* nrows * ncols cell strings, row-major */
	size_t nrows;
	size_t cap_rows; /* rows allocated in `cells` */
};

struct table *table_new(const struct table_col *cols, size_t ncols)
{
	struct table *t;

	if (ncols == 0)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->cols = calloc(ncols, sizeof(*t->cols));
	if (!t->cols)
		goto out_free_table;
	t->ncols = ncols;
	for (size_t i = 0; i < ncols; i++) {
		t->cols[i].right = cols[i].right;
		t->cols[i].header = strdup(cols[i].header ? cols[i].header : "");
		if (!t->cols[i].header)
			goto out_free_table;
	}
	return t;

out_free_table:
	table_free(t);
	return NULL;
}

void table_free(struct table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	if (t->cols) {
		for (size_t i = 0; i < t->ncols; i++)
			free((char *)t->cols[i].header);
		free(t->cols);
	}
	free(t);
}

int table_add_row(struct table *t, const char *const cells[])
{
	size_t base = t->nrows * t->ncols;

	if (t->nrows == t->cap_rows) {
		size_t cap = t->cap_rows ? t->cap_rows * 2 : 16;
		char **grown = realloc(t->cells, cap * t->ncols * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		t->cells = grown;
		t->cap_rows = cap;
	}
	for (size_t i = 0; i < t->ncols; i++) {
		t->cells[base + i] = strdup(cells[i] ? cells[i] : "-");
		if (!t->cells[base + i]) {
			while (i-- > 0)
				free(t->cells[base + i]);
			return -ENOMEM;
		}
	}
	t->nrows++;
	return 0;
}

size_t table_rows(const struct table *t)
{
	return t->nrows;
}

/* Appends one line (header when row == SIZE_MAX) to `f`. */
static void render_line(const struct table *t, const size_t *width, size_t row, FILE *f)
{
	for (size_t c = 0; c < t->ncols; c++) {
		const char *s = row == SIZE_MAX ? t->cols[c].header : t->cells[row * t->ncols + c];
		size_t pad = width[c] - strlen(s);
		bool last = c + 1 == t->ncols;

		if (c > 0)
			fprintf(f, "%*s", COL_GAP, "");
		if (t->cols[c].right)
			fprintf(f, "%*s%s", (int)pad, "", s);
		else if (last)
			fputs(s, f); /* no trailing spaces */
		else
			fprintf(f, "%s%*s", s, (int)pad, "");
	}
	fputc('\n', f);
}

int table_render(const struct table *t, char **out)
{
	size_t *width;
	size_t len = 0;
	char *buf = NULL;
	FILE *f;
	int ret = -ENOMEM;

	width = calloc(t->ncols, sizeof(*width));
	if (!width)
		return -ENOMEM;
	for (size_t c = 0; c < t->ncols; c++) {
		width[c] = strlen(t->cols[c].header);
		for (size_t r = 0; r < t->nrows; r++) {
			size_t l = strlen(t->cells[r * t->ncols + c]);

			if (l > width[c])
				width[c] = l;
		}
	}
	f = open_memstream(&buf, &len);
	if (!f)
		goto out_free_width;
	render_line(t, width, SIZE_MAX, f);
	for (size_t r = 0; r < t->nrows; r++)
		render_line(t, width, r, f);
	if (fclose(f) != 0) {
		free(buf);
		goto out_free_width;
	}
	*out = buf;
	ret = 0;

out_free_width:
	free(width);
	return ret;
}

int table_print(const struct table *t, FILE *f)
{
	char *s;
	int ret = table_render(t, &s);

	if (ret < 0)
		return ret;
	if (fputs(s, f) == EOF)
		ret = -EIO;
	free(s);
	return ret;
}
