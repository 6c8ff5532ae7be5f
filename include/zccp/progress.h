/* SPDX-License-Identifier: MIT */
/*
 * -g/--progress: a thread that samples how many bytes each destination
 * holds and shows it on stderr: one redrawn line on a terminal (bar),
 * periodic lines (plain) or one JSON object per line (json).  Bytes
 * count when written; with --fsync, when written back (it calls
 * sync_file_range on its own descriptors), so the bar cannot run ahead
 * of a slow disk and then stall at the end.
 *
 * The rate shown is the last 2 s; the ETA divides by the last 15 s,
 * so that a pause (the kernel holding a writer back while its dirty
 * pages go to the disk) does not make it jump.  A bar and the plain
 * lines say "stalled" after 2 s without a byte, and "finishing" (with
 * --fsync "syncing") once every byte is written and the destinations
 * are being closed, synced and renamed.
 *
 * It reads ep->bytes and the endpoint's state with atomic loads: the
 * copy core and zccp_endpoint_set() store them atomically while the
 * thread runs.
 */
#ifndef ZCCP_PROGRESS_H
#define ZCCP_PROGRESS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zccp/endpoint.h"

enum zccp_progress_mode {
	ZCCP_PROGRESS_NONE,
	ZCCP_PROGRESS_AUTO,  /* -g: bar when stderr is a terminal, else none */
	ZCCP_PROGRESS_BAR,
	ZCCP_PROGRESS_PLAIN,
	ZCCP_PROGRESS_JSON,
	ZCCP_PROGRESS_SERVE, /* --serve under -g: remote.h's AT lines on stdout */
};

#define ZCCP_PROGRESS_NAMES "auto, bar, plain or json"

/* What a mode means here: auto is a bar on a terminal, else none. */
enum zccp_progress_mode zccp_progress_resolve(enum zccp_progress_mode mode);

/* Samples kept: 16 s of a bar's, enough for the ETA's 15 s. */
#define ZCCP_PROGRESS_WINDOW 64

struct zccp_progress {
	enum zccp_progress_mode mode;
	struct zccp_endpoint **dests;
	unsigned ndests;
	uint64_t total;	   /* ZCCP_SIZE_UNKNOWN (plan.h) if not known */
	int *sync_fds;	   /* --fsync: our own descriptors, or -1 */
	uint64_t *durable; /* --fsync: bytes written back */
	double started;
	double when[ZCCP_PROGRESS_WINDOW];
	uint64_t done[ZCCP_PROGRESS_WINDOW];
	unsigned samples;
	double moved;	   /* when the slowest destination last grew */
	uint64_t moved_at; /* ... to how many bytes */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop, running;
	bool verify; /* --verify: the last byte is followed by a read back */
	bool ended;  /* the ring is done (atomic): what is left is after */
};

/* "auto", "bar", "plain", "json"; 0 or -EINVAL. */
int zccp_progress_parse(const char *name, enum zccp_progress_mode *mode);
/* What follows the last byte, for the word said then. */
enum {
	ZCCP_PROGRESS_FSYNC = 1u << 0,	/* "syncing" */
	ZCCP_PROGRESS_VERIFY = 1u << 1, /* "verifying": read back */
};
/* Start showing (nothing for NONE, or AUTO off a terminal); after:
 * ZCCP_PROGRESS_* flags. */
int zccp_progress_start(struct zccp_progress *p, enum zccp_progress_mode mode,
			struct zccp_endpoint **dests, unsigned ndests,
			uint64_t total, unsigned after);
/* The ring is done: from now on the bar says what follows the last byte
 * (finishing...), also where the total was not known. */
void zccp_progress_ended(struct zccp_progress *p);
/* The last word (bar: cleared), and the thread ends: after the
 * destinations are put in place (and read back), which the bar shows. */
void zccp_progress_stop(struct zccp_progress *p);

/* A progress thread's life: tick(arg) every ms (lock not held) until
 * *stop, which is set under lock with wake signalled (wake made for
 * CLOCK_MONOTONIC). */
void zccp_progress_every(pthread_cond_t *wake, pthread_mutex_t *lock,
			 const bool *stop, unsigned ms, void (*tick)(void *),
			 void *arg);

/* How the lines say a time: "1:02" or "1:02:03" (sizes: report.h). */
void zccp_progress_clock(char *buf, size_t n, double seconds);
/* A bar's line cut to the terminal's width (else \r redraws on the
 * wrong row); how many columns that leaves. */
unsigned zccp_progress_fit(char *line);

#endif
