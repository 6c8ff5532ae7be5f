// SPDX-License-Identifier: MIT
/* -g with -r: one progress for the tree (see zccp/treeprogress.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zccp/clock.h"
#include "zccp/report.h"
#include "zccp/summary.h"
#include "zccp/treeprogress.h"

/* As -g for one file: a bar redrawn often, plain lines seldom. */
static unsigned tick_ms(enum zccp_progress_mode mode)
{
	return mode == ZCCP_PROGRESS_BAR ? 250 :
	       mode == ZCCP_PROGRESS_PLAIN ? 2000 : 1000;
}

/* ---- the count ahead -------------------------------------------------- */

/* rel's entries (dir open at fd), counted; fd is closed. */
static void count_dir(struct zccp_tree_progress *p, int fd, const char *rel,
		      dev_t top)
{
	DIR *dir = fdopendir(fd);
	struct dirent *e;

	if (!dir) {
		close(fd);
		return;
	}
	while (!atomic_load(&p->quit) && (e = readdir(dir))) {
		struct stat st;
		char *path;
		int sub;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    fstatat(dirfd(dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW))
			continue;
		if (asprintf(&path, "%s%s%s", rel, *rel ? "/" : "",
			     e->d_name) < 0)
			continue;
		if (zccp_excluded(p->excludes, path, S_ISDIR(st.st_mode))) {
			free(path);
			continue;
		}
		if (S_ISREG(st.st_mode)) {
			atomic_fetch_add(&p->files_total, 1);
			atomic_fetch_add(&p->bytes_total, (uint64_t)st.st_size);
		} else if (S_ISDIR(st.st_mode) &&
			   (!p->one_file_system || st.st_dev == top)) {
			sub = openat(dirfd(dir), e->d_name, O_RDONLY |
				     O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				count_dir(p, sub, path, top);
		}
		free(path);
	}
	closedir(dir);
}

static void *counter_thread(void *arg)
{
	struct zccp_tree_progress *p = arg;
	int fd = open(p->src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;

	if (fd >= 0 && !fstat(fd, &st))
		count_dir(p, fd, "", st.st_dev);
	else if (fd >= 0)
		close(fd);
	if (!atomic_load(&p->quit)) /* not cut short: the totals stand */
		atomic_store(&p->counted, true);
	return NULL;
}

/* ---- the lines -------------------------------------------------------- */

struct tree_view {
	double elapsed, rate, eta, percent; /* eta, percent < 0: unknown */
	unsigned long files, files_total;
	uint64_t bytes, bytes_total;
	bool counted;
	char current[ZCCP_TREE_CURRENT_MAX];
};

static void look(struct zccp_tree_progress *p, struct tree_view *v)
{
	v->counted = atomic_load(&p->counted); /* before the totals */
	v->files_total = atomic_load(&p->files_total);
	v->bytes_total = atomic_load(&p->bytes_total);
	v->files = atomic_load(&p->files_done);
	v->bytes = atomic_load(&p->bytes_done);
	v->elapsed = zccp_now() - p->started;
	v->rate = v->elapsed > 0 ? (double)v->bytes / v->elapsed : 0;
	v->percent = -1;
	v->eta = -1;
	if (v->counted && v->bytes <= v->bytes_total) {
		v->percent = v->bytes_total ?
			100.0 * (double)v->bytes / (double)v->bytes_total : 100;
		if (v->rate > 0)
			v->eta = (double)(v->bytes_total - v->bytes) / v->rate;
	}
	pthread_mutex_lock(&p->lock);
	memcpy(v->current, p->current, sizeof(v->current));
	pthread_mutex_unlock(&p->lock);
}

/* "12 of 40 files, 1.2 MiB of 4.0 MiB (30%) in 0:02, 1.1 MiB/s, ETA
 * 0:03, a/b" ("of at least" until counted); last: "40 files, 4.0 MiB
 * in 0:04, ..." */
static void describe(const struct tree_view *v, bool last, char *line,
		     size_t n)
{
	char bytes[32], total[32], rate[32], elapsed[32], clock[32];
	const char *least = v->counted ? "" : "at least ";

	zccp_human_bytes(bytes, sizeof(bytes), (double)v->bytes);
	zccp_human_bytes(total, sizeof(total), (double)v->bytes_total);
	zccp_human_bytes(rate, sizeof(rate), v->rate);
	zccp_progress_clock(elapsed, sizeof(elapsed), v->elapsed);
	zccp_progress_clock(clock, sizeof(clock), v->eta);
	if (last) {
		snprintf(line, n, "%lu files, %s in %s, %s/s", v->files, bytes,
			 elapsed, rate);
		return;
	}
	snprintf(line, n, "%lu of %s%lu files, %s of %s%s", v->files, least,
		 v->files_total, bytes, least, total);
	if (v->percent >= 0)
		zccp_append(line, n, " (%.0f%%)", v->percent);
	zccp_append(line, n, " in %s, %s/s", elapsed, rate);
	if (v->eta >= 0)
		zccp_append(line, n, ", ETA %s", clock);
	if (*v->current) /* a name with \n: quoted, on one line */
		zccp_append(line, n, ", %s", ZCCP_QF(v->current));
}

static void print_json(const struct tree_view *v, bool last)
{
	struct zccp_line line;
	FILE *out = zccp_line_begin(&line);

	if (!out)
		return;
	fprintf(out, "{\"schema\":1,\"elapsed\":%.3f,\"files\":%lu,"
		"\"files_total\":%lu,\"bytes\":%" PRIu64 ",\"bytes_total\":%"
		PRIu64 ",\"counted\":%s,\"percent\":", v->elapsed, v->files,
		v->files_total, v->bytes, v->bytes_total,
		v->counted ? "true" : "false");
	fprintf(out, v->percent >= 0 ? "%.1f" : "null", v->percent);
	fprintf(out, ",\"rate\":%.0f,\"eta\":", v->rate);
	fprintf(out, v->eta >= 0 ? "%.1f" : "null", v->eta);
	fputc(',', out);
	zccp_json_name(out, "current", *v->current ? v->current : NULL);
	fprintf(out, ",\"done\":%s}", last ? "true" : "false");
	zccp_line_end(&line);
}

static void show(struct zccp_tree_progress *p, bool last)
{
	struct tree_view v;
	char text[800], line[840];

	look(p, &v);
	if (p->mode == ZCCP_PROGRESS_JSON) {
		print_json(&v, last);
		return;
	}
	describe(&v, last, text, sizeof(text));
	if (p->mode == ZCCP_PROGRESS_BAR && !last) {
		zccp_progress_fit(text);
		zccp_report_status(text);
		return;
	}
	if (p->mode == ZCCP_PROGRESS_BAR) {
		/* the bar goes; its last line stays, as pv's (not with -q) */
		zccp_report_status(NULL);
		zccp_warn("progress: %s (done)", text);
		return;
	}
	snprintf(line, sizeof(line), "zccp: progress: %s%s", text,
		 last ? " (done)" : "");
	zccp_report_line(line);
}

static void tick(void *arg)
{
	show(arg, false);
}

static void *shower_thread(void *arg)
{
	struct zccp_tree_progress *p = arg;

	zccp_progress_every(&p->wake, &p->lock, &p->stop, tick_ms(p->mode),
			    tick, p);
	return NULL;
}

/* ---- the calls -------------------------------------------------------- */

int zccp_tree_progress_start(struct zccp_tree_progress *p,
			     enum zccp_progress_mode mode, const char *src,
			     const struct zccp_excludes *excludes,
			     bool one_file_system)
{
	pthread_condattr_t attr;

	*p = (struct zccp_tree_progress){
		.mode = zccp_progress_resolve(mode), .started = zccp_now(),
		.excludes = excludes, .one_file_system = one_file_system,
	};
	if (p->mode == ZCCP_PROGRESS_NONE)
		return 0;
	p->src = strdup(src);
	if (!p->src)
		return -ENOMEM;
	pthread_mutex_init(&p->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&p->wake, &attr);
	pthread_condattr_destroy(&attr);
	p->counting = !pthread_create(&p->counter, NULL, counter_thread, p);
	p->showing = !pthread_create(&p->shower, NULL, shower_thread, p);
	return 0;
}

bool zccp_tree_progress_on(const struct zccp_tree_progress *p)
{
	return p->mode != ZCCP_PROGRESS_NONE;
}

void zccp_tree_progress_file(struct zccp_tree_progress *p, const char *path)
{
	if (!zccp_tree_progress_on(p))
		return;
	pthread_mutex_lock(&p->lock);
	snprintf(p->current, sizeof(p->current), "%s", path);
	pthread_mutex_unlock(&p->lock);
}

void zccp_tree_progress_done(struct zccp_tree_progress *p, uint64_t bytes)
{
	atomic_fetch_add(&p->files_done, 1);
	atomic_fetch_add(&p->bytes_done, bytes);
}

void zccp_tree_progress_stop(struct zccp_tree_progress *p)
{
	if (!zccp_tree_progress_on(p))
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
	atomic_store(&p->quit, true);
	if (p->showing)
		pthread_join(p->shower, NULL);
	if (p->counting)
		pthread_join(p->counter, NULL);
	if (!atomic_load(&p->counted)) { /* the copy saw it all first */
		atomic_store(&p->files_total, atomic_load(&p->files_done));
		atomic_store(&p->bytes_total, atomic_load(&p->bytes_done));
		atomic_store(&p->counted, true);
	}
	p->current[0] = '\0';
	show(p, true);
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->lock);
	free(p->src);
	p->src = NULL;
}
