// SPDX-License-Identifier: MIT
/* -g/--progress (see zccp/progress.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "zccp/clock.h"
#include "zccp/plan.h"
#include "zccp/progress.h"
#include "zccp/report.h"
#include "zccp/summary.h"
#include "zccp/remote.h"
#include "zccp/thread.h"

/* A bar redrawn 4 times a second looks live; lines for logs and
 * programs come less often. */
static const unsigned tick_ms[] = {
	[ZCCP_PROGRESS_BAR] = 250,
	[ZCCP_PROGRESS_PLAIN] = 2000,
	[ZCCP_PROGRESS_JSON] = 1000,
	[ZCCP_PROGRESS_SERVE] = 500,
};

/* The rate shown follows the copy; the ETA's is steadier, as a pause
 * of a second (the kernel holding a writer back while the disk catches
 * up) would otherwise make it jump.  A pause longer than STALL_AFTER is
 * said. */
#define RATE_SPAN 2.0
#define ETA_SPAN 15.0
#define STALL_AFTER 2.0

struct view {
	double elapsed, rate, eta; /* eta < 0: unknown */
	uint64_t done;		   /* bytes the slowest destination holds */
	const struct zccp_endpoint *slowest;
	const char *phase; /* said instead of an ETA, or NULL */
};

int zccp_progress_parse(const char *name, enum zccp_progress_mode *mode)
{
	static const char *const names[] = { "auto", "bar", "plain", "json" };

	for (unsigned i = 0; i < 4; i++) {
		if (!strcmp(name, names[i])) {
			*mode = (enum zccp_progress_mode)(ZCCP_PROGRESS_AUTO + i);
			return 0;
		}
	}
	return -EINVAL;
}

/* Ours to write, or an ssh:// host another host feeds (its receiver
 * says how far it is: wire.c). */
static bool counts(const struct zccp_endpoint *d)
{
	return zccp_endpoint_active(d) ||
	       zccp_endpoint_state(d) == ZCCP_EP_FORWARDED;
}

/* --fsync: what was written before a writeback we waited for is on
 * the device. */
static void write_back(struct zccp_progress *p)
{
	for (unsigned i = 0; p->sync_fds && i < p->ndests; i++) {
		uint64_t written = __atomic_load_n(&p->dests[i]->bytes,
						   __ATOMIC_RELAXED);

		if (p->sync_fds[i] < 0) {
			p->durable[i] = written;
			continue;
		}
		if (written > p->durable[i] &&
		    !sync_file_range(p->sync_fds[i], 0, 0,
				     SYNC_FILE_RANGE_WAIT_BEFORE |
				     SYNC_FILE_RANGE_WRITE |
				     SYNC_FILE_RANGE_WAIT_AFTER))
			p->durable[i] = written;
	}
}

static uint64_t dest_bytes(const struct zccp_progress *p, unsigned i)
{
	return p->durable ? p->durable[i] :
			    __atomic_load_n(&p->dests[i]->bytes,
					    __ATOMIC_RELAXED);
}

/* Bytes a second since the oldest sample at most span seconds old (the
 * newest whatever its age); < 0 before the first sample. */
static double rate_over(const struct zccp_progress *p, double t,
			uint64_t done, double span)
{
	unsigned kept = p->samples < ZCCP_PROGRESS_WINDOW ?
				p->samples : ZCCP_PROGRESS_WINDOW;
	unsigned oldest = 0;

	for (unsigned k = 1; k <= kept; k++) {
		unsigned slot = (p->samples - k) % ZCCP_PROGRESS_WINDOW;

		if (k > 1 && t - p->when[slot] > span)
			break;
		oldest = slot;
	}
	if (!kept || t <= p->when[oldest] || done < p->done[oldest])
		return -1;
	return (double)(done - p->done[oldest]) / (t - p->when[oldest]);
}

/* Every byte is written (and with --fsync written back): what is left
 * is reading back (--verify), closing, syncing and renaming the
 * destinations.  Else nothing moved for a while. */
static const char *phase(const struct zccp_progress *p,
			 const struct view *v, double t)
{
	if (__atomic_load_n(&p->ended, __ATOMIC_RELAXED) ||
	    (v->slowest && p->total != ZCCP_SIZE_UNKNOWN &&
	     v->done >= p->total))
		return p->verify ? "verifying" :
		       p->sync_fds ? "syncing" : "finishing";
	if (t - p->moved >= STALL_AFTER)
		return "stalled";
	return NULL;
}

/* last: the whole run's average, and no ETA. */
static void sample(struct zccp_progress *p, struct view *v, bool last)
{
	unsigned slot = p->samples % ZCCP_PROGRESS_WINDOW;
	double t, eta_rate;

	write_back(p);
	t = zccp_now();
	*v = (struct view){ .elapsed = t - p->started, .eta = -1 };
	for (unsigned i = 0; i < p->ndests; i++) {
		uint64_t b = dest_bytes(p, i);

		if (counts(p->dests[i]) && (!v->slowest || b < v->done)) {
			v->done = b;
			v->slowest = p->dests[i];
		}
	}
	v->rate = rate_over(p, t, v->done, RATE_SPAN);
	eta_rate = rate_over(p, t, v->done, ETA_SPAN);
	if ((v->rate < 0 || last) && v->elapsed > 0)
		v->rate = (double)v->done / v->elapsed;
	if (v->rate < 0)
		v->rate = 0;
	if (eta_rate < 0)
		eta_rate = v->rate;
	p->when[slot] = t;
	p->done[slot] = v->done;
	p->samples++;
	if (v->done != p->moved_at) {
		p->moved = t;
		p->moved_at = v->done;
	}
	if (last)
		return;
	v->phase = phase(p, v, t);
	if (!v->phase && p->total != ZCCP_SIZE_UNKNOWN && eta_rate > 0 &&
	    v->done <= p->total)
		v->eta = (double)(p->total - v->done) / eta_rate;
}

void zccp_progress_clock(char *buf, size_t n, double seconds)
{
	unsigned long s = (unsigned long)(seconds + 0.5);

	if (s >= 3600)
		snprintf(buf, n, "%lu:%02lu:%02lu", s / 3600, s / 60 % 60,
			 s % 60);
	else
		snprintf(buf, n, "%lu:%02lu", s / 60, s % 60);
}

static double percent(const struct zccp_progress *p, const struct view *v)
{
	if (p->total == ZCCP_SIZE_UNKNOWN)
		return -1;
	return p->total ? 100.0 * (double)v->done / (double)p->total : 100;
}

/* "3.1 of 10.0 GiB (31%) in 0:07, 412.0 MiB/s, ETA 0:17, slowest NAME"
 * (or "finishing", "verifying", "syncing", "stalled" for the ETA);
 * last: "10.0 GiB in 0:25, 409.6 MiB/s".  Returns the length before the
 * slowest's name, the part a narrow terminal must show. */
static size_t describe(const struct zccp_progress *p, const struct view *v,
		       bool last, char *line, size_t n)
{
	char done[32], of[64], rate[32], elapsed[32], eta[32];
	double pct = percent(p, v);
	size_t len;

	zccp_human_bytes(done, sizeof(done), (double)v->done);
	zccp_human_pair(of, sizeof(of), (double)v->done, (double)p->total);
	zccp_human_bytes(rate, sizeof(rate), v->rate);
	zccp_progress_clock(elapsed, sizeof(elapsed), v->elapsed);
	zccp_progress_clock(eta, sizeof(eta), v->eta);
	if (last || pct < 0)
		snprintf(line, n, "%s in %s, %s/s", done, elapsed, rate);
	else
		snprintf(line, n, "%s (%.0f%%) in %s, %s/s", of, pct, elapsed,
			 rate);
	if (v->phase)
		zccp_append(line, n, ", %s", v->phase);
	else if (v->eta >= 0)
		zccp_append(line, n, ", ETA %s", eta);
	len = strlen(line);
	if (!last && v->slowest && p->ndests > 1)
		zccp_append(line, n, ", slowest %s", ZCCP_QF(v->slowest->arg));
	return len;
}

static unsigned columns(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) || ws.ws_col < 20)
		return 80;
	return ws.ws_col;
}

unsigned zccp_progress_fit(char *line)
{
	unsigned width = columns() - 1; /* the cursor's column */

	if (strlen(line) > width)
		line[width] = '\0';
	return width;
}

/* "[#######.............] " then the description.  The bar gives up
 * cells (down to 10) before the description loses more than the
 * slowest destination's name. */
static void draw_bar(const struct zccp_progress *p, const struct view *v)
{
	char line[512], text[400];
	unsigned width = columns() - 1, cells = 20, len = 0;
	size_t needed = describe(p, v, false, text, sizeof(text));
	double pct = percent(p, v);

	if (needed + cells + 3 > width)
		cells = needed + 13 < width ? width - 3 - (unsigned)needed : 10;
	if (pct >= 0) {
		unsigned fill = (unsigned)(pct * cells / 100);

		line[len++] = '[';
		for (unsigned i = 0; i < cells; i++)
			line[len++] = i < fill ? '#' : '.';
		line[len++] = ']';
		line[len++] = ' ';
	}
	snprintf(line + len, sizeof(line) - len, "%s", text);
	zccp_progress_fit(line);
	zccp_report_status(line);
}

static void print_json(const struct zccp_progress *p, const struct view *v,
		       bool done)
{
	struct zccp_line line;
	FILE *out = zccp_line_begin(&line);
	double pct = percent(p, v);

	if (!out)
		return;
	fprintf(out, "{\"schema\":1,\"elapsed\":%.3f,\"bytes\":%" PRIu64
		",\"total\":",
		v->elapsed, v->done);
	if (p->total == ZCCP_SIZE_UNKNOWN)
		fprintf(out, "null,\"percent\":null");
	else
		fprintf(out, "%" PRIu64 ",\"percent\":%.1f", p->total, pct);
	fprintf(out, ",\"rate\":%.0f,\"eta\":", v->rate);
	if (v->eta >= 0)
		fprintf(out, "%.1f", v->eta);
	else
		fputs("null", out);
	fputs(",\"phase\":", out); /* instead of an ETA, what holds it */
	zccp_json_string(out, done ? NULL : v->phase);
	fputc(',', out);
	zccp_json_name(out, "slowest", v->slowest ? v->slowest->arg : NULL);
	fputs(",\"destinations\":[", out);
	for (unsigned i = 0; i < p->ndests; i++) {
		fputs(i ? ",{" : "{", out);
		zccp_json_name(out, "path", p->dests[i]->arg);
		fprintf(out, ",\"bytes\":%" PRIu64 ",\"failed\":%s}",
			dest_bytes(p, i),
			zccp_endpoint_failed(p->dests[i]) ? "true" : "false");
	}
	fprintf(out, "],\"done\":%s}", done ? "true" : "false");
	zccp_line_end(&line);
}

static void show(struct zccp_progress *p, bool last)
{
	struct view v;
	char line[512], text[400];

	sample(p, &v, last);
	switch (p->mode) {
	case ZCCP_PROGRESS_BAR:
		if (!last) {
			draw_bar(p, &v);
			break;
		}
		/* the bar goes; its last line stays, as pv's (not with -q) */
		zccp_report_status(NULL);
		describe(p, &v, true, text, sizeof(text));
		zccp_warn("progress: %s (done)", text);
		break;
	case ZCCP_PROGRESS_PLAIN:
		describe(p, &v, last, text, sizeof(text));
		snprintf(line, sizeof(line), "zccp: progress: %s%s", text,
			 last ? " (done)" : "");
		zccp_report_line(line);
		break;
	case ZCCP_PROGRESS_JSON:
		print_json(p, &v, last);
		break;
	case ZCCP_PROGRESS_SERVE: /* its PATH, for the sender's -g */
		printf(ZCCP_SERVE_AT " %" PRIu64 "\n", dest_bytes(p, 0));
		fflush(stdout);
		break;
	default:
		break;
	}
}

void zccp_progress_every(pthread_cond_t *wake, pthread_mutex_t *lock,
			 const bool *stop, unsigned ms, void (*tick)(void *),
			 void *arg)
{
	struct timespec until;

	pthread_mutex_lock(lock);
	while (!*stop) {
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += (long)ms * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		if (pthread_cond_timedwait(wake, lock, &until) != ETIMEDOUT ||
		    *stop)
			continue;
		pthread_mutex_unlock(lock);
		tick(arg);
		pthread_mutex_lock(lock);
	}
	pthread_mutex_unlock(lock);
}

static void tick(void *arg)
{
	show(arg, false);
}

static void *progress_thread(void *arg)
{
	struct zccp_progress *p = arg;

	zccp_progress_every(&p->wake, &p->lock, &p->stop, tick_ms[p->mode],
			    tick, p);
	return NULL;
}

static void release(struct zccp_progress *p)
{
	for (unsigned i = 0; p->sync_fds && i < p->ndests; i++)
		if (p->sync_fds[i] >= 0)
			close(p->sync_fds[i]);
	free(p->sync_fds);
	free(p->durable);
	p->sync_fds = NULL;
	p->durable = NULL;
	if (p->mode != ZCCP_PROGRESS_NONE) {
		pthread_cond_destroy(&p->wake);
		pthread_mutex_destroy(&p->lock);
	}
}

/* --fsync: descriptors of our own, so nothing the core closes is
 * touched; what cannot be written back counts as written. */
static int open_sync_fds(struct zccp_progress *p)
{
	p->sync_fds = calloc(p->ndests, sizeof(*p->sync_fds));
	p->durable = calloc(p->ndests, sizeof(*p->durable));
	if (!p->sync_fds || !p->durable)
		return -ENOMEM;
	for (unsigned i = 0; i < p->ndests; i++) {
		const struct zccp_endpoint *d = p->dests[i];
		bool file = d->kind == ZCCP_KIND_REGULAR ||
			    d->kind == ZCCP_KIND_BLOCK;

		p->sync_fds[i] = file && !d->std && !d->reflinked &&
						 zccp_endpoint_active(d) ?
					 fcntl(d->fd, F_DUPFD_CLOEXEC, 3) :
					 -1;
	}
	return 0;
}

enum zccp_progress_mode zccp_progress_resolve(enum zccp_progress_mode mode)
{
	if (mode != ZCCP_PROGRESS_AUTO)
		return mode;
	return isatty(STDERR_FILENO) ? ZCCP_PROGRESS_BAR : ZCCP_PROGRESS_NONE;
}

int zccp_progress_start(struct zccp_progress *p, enum zccp_progress_mode mode,
			struct zccp_endpoint **dests, unsigned ndests,
			uint64_t total, unsigned after)
{
	pthread_condattr_t attr;
	int ret;

	mode = zccp_progress_resolve(mode);
	*p = (struct zccp_progress){ .mode = mode, .dests = dests,
				     .ndests = ndests, .total = total,
				     .started = zccp_now(),
				     .verify = after & ZCCP_PROGRESS_VERIFY };
	p->moved = p->started;
	if (mode == ZCCP_PROGRESS_NONE)
		return 0;
	pthread_mutex_init(&p->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&p->wake, &attr);
	pthread_condattr_destroy(&attr);
	ret = after & ZCCP_PROGRESS_FSYNC ? open_sync_fds(p) : 0;
	if (!ret)
		ret = zccp_thread_create(&p->thread, progress_thread, p);
	p->running = !ret;
	if (ret)
		release(p);
	return ret;
}

void zccp_progress_ended(struct zccp_progress *p)
{
	__atomic_store_n(&p->ended, true, __ATOMIC_RELAXED);
}

void zccp_progress_stop(struct zccp_progress *p)
{
	if (!p->running)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	p->running = false;
	show(p, true);
	release(p);
}

