/* SPDX-License-Identifier: MIT */
/*
 * Endpoints: the source and the destinations, classified, opened and
 * (for regular files) written through a temporary that replaces the
 * destination only when its copy is complete.
 */
#ifndef ZCCP_ENDPOINT_H
#define ZCCP_ENDPOINT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "zccp/auth.h"
#include "zccp/update.h"

struct zccp_tls;
struct zccp_watch;

enum zccp_kind {
	ZCCP_KIND_REGULAR,
	ZCCP_KIND_BLOCK,
	ZCCP_KIND_PIPE, /* FIFO or anonymous pipe */
	ZCCP_KIND_SOCKET,
	ZCCP_KIND_CHAR, /* tty, /dev/null, /dev/zero ... */
	ZCCP_KIND_COUNT
};

const char *zccp_kind_name(enum zccp_kind kind);
struct zccp_endpoint;
/* What messages and --json call an endpoint's kind: its kind's name,
 * or "pseudo file" (proc, sysfs...: written as a device). */
const char *zccp_endpoint_kind(const struct zccp_endpoint *ep);

/* Streams have no offsets: one write at a time, in order. */
static inline bool zccp_kind_is_stream(enum zccp_kind kind)
{
	return kind == ZCCP_KIND_PIPE || kind == ZCCP_KIND_SOCKET ||
	       kind == ZCCP_KIND_CHAR;
}

/*
 * Where a destination is in its copy.  Written only through
 * zccp_endpoint_set(); read through zccp_endpoint_state() and the
 * helpers below (atomic: the progress thread reads it meanwhile).
 *   PENDING -> SKIPPED, CLONED, SENT, FORWARDED, COMMITTED or FAILED
 *   CLONED  -> COMMITTED, SKIPPED (-n: a file appeared) or FAILED
 *   FORWARDED -> SENT (its sender died: we resumed it, repair.h),
 *                COMMITTED or FAILED
 *   SENT    -> COMMITTED or FAILED
 *   FAILED  -> FAILED (a later error replaces the first)
 */
enum zccp_ep_state {
	ZCCP_EP_PENDING,   /* to be written by the ring */
	ZCCP_EP_SKIPPED,   /* -n: it exists and is left alone */
	ZCCP_EP_CLONED,    /* reflink holds every byte; not yet in place */
	ZCCP_EP_SENT,      /* a zccp stream, sent: complete once its
			      * receiver's reply says so */
	ZCCP_EP_FORWARDED, /* ssh:// in a --fanout: another host sends it
			      * the data (ep->via); complete once its
			      * receiver's result says so (remote.h) */
	ZCCP_EP_COMMITTED, /* complete and in place */
	ZCCP_EP_FAILED,    /* ep->error says why */
};

struct zccp_endpoint {
	const char *arg;  /* as the user wrote it (for messages) */
	char *path;       /* resolved path; NULL for stdin/stdout */
	int index;        /* 0 = source, 1..n = destinations */
	int fd;
	enum zccp_kind kind;
	bool stream;      /* no offsets (pipes, sockets, ttys, stdout) */
	bool std;         /* "-": stdin or stdout */
	bool net;         /* tcp://HOST:PORT or unix:PATH: connected at open */
	bool fuse;        /* a source on FUSE (fstatfs; zccp/plan.h) */
	bool size_vague;  /* a pseudo file (sysfs...): may end before size */
	bool pseudo;      /* a destination on proc, sysfs...: written in
			   * place as a device (ZCCP_KIND_CHAR) */
	bool framed;      /* a zccp stream (header, trailer), not --raw */
	bool remote;      /* ssh://: started and connected by wire.c */
	const char *via;  /* ssh://: the host that sends it the data (its
			   * arg), or NULL: this process (fanout.h) */
	/* framed, in a --fanout chain: the receivers (tcp://) to go on to,
	 * in order, when this one goes (stream.h: resume) */
	char *const *fallbacks;
	unsigned nfallbacks;
	struct zccp_tls *tls; /* --encrypt (tls.h): fd is what it gave */
	uint32_t trailer_sent; /* of its trailer, while the socket was full */
	uint8_t challenge[ZCCP_NONCE_LEN]; /* framed: its receiver's (stream.h) */
	struct zccp_watch *watch; /* stall timeout (watchdog.h), or NULL */
	bool existed;     /* destination existed before we started */
	enum zccp_ep_state state; /* zccp_endpoint_set() only */
	bool verified;    /* --verify read it back intact */
	bool inplace_created; /* --inplace made this file: remove on failure */
	bool replaced_inplace; /* --inplace -f, not writable: via a temporary */
	int error;        /* -errno that failed it */
	dev_t dev;
	ino_t ino;
	dev_t rdev;
	mode_t mode;
	uid_t uid;
	gid_t gid;
	struct timespec atime, mtime; /* the source's, for -p */
	struct timespec ctime; /* with mtime: was it rewritten as we read? */
	const struct zccp_endpoint *source; /* a destination's, for -p */
	char *canonical;  /* absolute path of a destination not yet made */
	uint64_t size;    /* source: bytes to copy when known */
	uint64_t found_size; /* its size when opened (a destination: -u) */
	bool up_to_date;  /* skipped by -u (update.h), not by -n */
	bool size_known;
	uint32_t dio_align; /* O_DIRECT alignment (0: unknown / not allowed) */

	/* Regular-file destinations replaced atomically. */
	char *dir;          /* directory holding the destination */
	/* -r: names resolve against dirfd, the directory opened beneath
	 * the root (tree.c), never through the path again: a directory
	 * of the tree swapped for a link cannot send a write elsewhere. */
	bool beneath;
	int dirfd;
	const char *leaf;   /* the destination's name in it (in path) */
	char *tmp_name;     /* hidden temporary's name in dir, once named
			     * (relative to dirfd when beneath) */
	bool tmp_unnamed;   /* O_TMPFILE: nothing on disk to clean up */
	mode_t create_mode;

	/* --reflink (reflink.c): a clone holds every byte before the
	 * copy starts (ZCCP_EP_CLONED), so the core keeps it out of the
	 * ring; reflinked stays true once it is in place, for reports. */
	bool reflinked;
	char reflink_why[112]; /* cloned: how; else why not (-v, errors) */

	/* Engine's per-endpoint decision, shown by -v. */
	const char *method;
	unsigned engine_flags;
	int engine_fd;      /* an engine's second descriptor, or -1 */

	/* Statistics. */
	uint64_t bytes;
	double seconds;
};

static inline enum zccp_ep_state
zccp_endpoint_state(const struct zccp_endpoint *ep)
{
	return __atomic_load_n(&ep->state, __ATOMIC_RELAXED);
}

static inline bool zccp_endpoint_failed(const struct zccp_endpoint *ep)
{
	return zccp_endpoint_state(ep) == ZCCP_EP_FAILED;
}

static inline bool zccp_endpoint_skipped(const struct zccp_endpoint *ep)
{
	return zccp_endpoint_state(ep) == ZCCP_EP_SKIPPED;
}

/* What -v says of a skipped one: which option left it, and why. */
static inline const char *
zccp_endpoint_skip_reason(const struct zccp_endpoint *ep)
{
	return ep->up_to_date ? ZCCP_KEPT_UP_TO_DATE : ZCCP_KEPT_NO_CLOBBER;
}

static inline bool zccp_endpoint_committed(const struct zccp_endpoint *ep)
{
	return zccp_endpoint_state(ep) == ZCCP_EP_COMMITTED;
}

/*
 * Move ep to state to, the only way its state changes; err (-errno) is
 * its error when to is ZCCP_EP_FAILED.  0, or -EINVAL for a move the
 * lifecycle above does not have (nothing changes; built with
 * ZCCP_STRICT_STATE, as the sanitized twin is, it aborts instead).
 */
int zccp_endpoint_set(struct zccp_endpoint *ep, enum zccp_ep_state to,
		      int err);

/*
 * Not complete, and what is written to it stays if the copy fails: a
 * device, --inplace onto an existing file, a pipe or socket; not a
 * temporary, nor a file --inplace made (both go on failure).
 */
static inline bool zccp_dest_kept_partial(const struct zccp_endpoint *ep)
{
	enum zccp_ep_state st = zccp_endpoint_state(ep);

	return st != ZCCP_EP_COMMITTED && st != ZCCP_EP_SKIPPED &&
	       !ep->tmp_unnamed && !ep->tmp_name && !ep->inplace_created;
}

/* ... and bytes did reach it: changed for good, yet not the source. */
static inline bool zccp_dest_written_in_place(const struct zccp_endpoint *ep)
{
	return zccp_dest_kept_partial(ep) && ep->bytes;
}

/* Still to be written here: not failed, not left alone by -n, not
 * another host's to send. */
static inline bool zccp_endpoint_active(const struct zccp_endpoint *ep)
{
	enum zccp_ep_state st = zccp_endpoint_state(ep);

	return st != ZCCP_EP_FAILED && st != ZCCP_EP_SKIPPED &&
	       st != ZCCP_EP_FORWARDED;
}

struct zccp_opts;

/*
 * Call first thing in main: a closed stdin, stdout or stderr is taken by
 * /dev/null, so that files opened later do not get fd 0 to 2 and our
 * messages cannot land in them; a closed stdin or stdout named as "-"
 * then fails with -EBADF, as it would have.  Returns 0 or -errno.
 */
int zccp_guard_standard_fds(void);

/* Classify and open; return 0 or -errno (message already printed). */
/* look: only to plan (--dry-run): a FIFO is not waited for. */
/* fd >= 0: arg is already open there (-r), and fd is the endpoint's. */
int zccp_source_open(struct zccp_endpoint *src, const char *arg, int fd,
		     bool look);
/* --listen: a source that is the one connection admitted on spec
 * (wire.h: zccp_wire_accept waits for it). */
int zccp_source_listen(struct zccp_endpoint *src, const char *spec);
/* dirfd >= 0 (-r): arg's directory, opened beneath its root; every name
 * then resolves against it (a copy of it is the endpoint's). */
int zccp_dest_prepare(struct zccp_endpoint *dst, const char *arg,
		      const struct zccp_endpoint *src,
		      const struct zccp_opts *opts, int dirfd);
int zccp_dest_open(struct zccp_endpoint *dst, const struct zccp_endpoint *src,
		   const struct zccp_opts *opts);
/*
 * --dry-run: what zccp_dest_open would meet, found without creating,
 * opening or connecting anything: 0 or the -errno it would fail with;
 * *how says how the destination would be written.
 */
int zccp_dest_check(struct zccp_endpoint *dst, const struct zccp_opts *opts,
		    const char **how);
/* Last step before data flows: truncate --inplace files. */
int zccp_dest_begin(struct zccp_endpoint *dst, const struct zccp_opts *opts);
/* Make a complete destination visible: seal, then publish. */
int zccp_dest_commit(struct zccp_endpoint *dst, uint64_t size,
		     const struct zccp_opts *opts);
/* Truncate to size (not a clone: it has its own), -p, fsync (--fsync). */
int zccp_dest_seal(struct zccp_endpoint *dst, uint64_t size,
		   const struct zccp_opts *opts);
/* Name an unnamed temporary (only now: zccp/stale.h), close it, and
 * rename it over the destination. */
int zccp_dest_publish(struct zccp_endpoint *dst, const struct zccp_opts *opts);
/*
 * --on-error=abort: publish every sealed destination, or none.  Existing
 * files are swapped with their replacements (RENAME_EXCHANGE) and the
 * old contents dropped only once every one is in; a failure (closing
 * one, or putting it in place) fails that one, swaps the others back,
 * and returns its -errno.  Where the file system has no RENAME_EXCHANGE
 * (NFS), those replacements are renamed plainly, after all the others:
 * the one step with no way back comes last.
 */
int zccp_dests_publish_all(struct zccp_endpoint **dests, unsigned n,
			   const struct zccp_opts *opts);
/* Fail it with err (-errno), saying so, and remove its temporary. */
void zccp_dest_fail(struct zccp_endpoint *dst, int err);
/* Remove a destination's temporary; the old destination stays. */
void zccp_dest_discard(struct zccp_endpoint *dst);
/* Async-signal-safe: unlink any named temporaries. */
void zccp_dests_discard_from_signal(void);
/* What messages call it: the path, the argument, or "standard input". */
const char *zccp_endpoint_name(const struct zccp_endpoint *ep);
/* "zccp: NAME: reason" for a failed endpoint (err is -errno); a
 * replacement's, as zccp_report_replacing says it. */
void zccp_report_endpoint(const struct zccp_endpoint *ep, int err);
/* The failure of path's replacement, written in dir: out of room, that
 * the temporary needed it and --inplace does not; else "path: reason". */
void zccp_report_replacing(const char *path, const char *dir, int err);
/* The same, then ": note". */
void zccp_report_endpoint_note(const struct zccp_endpoint *ep, int err,
			       const char *note);
/* "zccp: NAME: cannot clone: why" (--reflink=always). */
void zccp_report_uncloned(const struct zccp_endpoint *ep);
/* The same, for a source that would not open ("cannot stat 'X'",
 * "cannot open 'X' for reading") and a destination ("cannot create
 * regular file 'X'", "cannot open 'X' for writing"), as cp says them. */
int zccp_source_fail_open(struct zccp_endpoint *src, int err);
int zccp_dest_fail_open(struct zccp_endpoint *dst, int err);
/* Mark it failed with err (-errno) and say so; returns err. */
int zccp_endpoint_fail(struct zccp_endpoint *ep, int err);
void zccp_endpoint_close(struct zccp_endpoint *ep);
/*
 * A socket endpoint goes on over the connected socket fd instead (a
 * resumed stream): fd takes the old one's place under every number that
 * held it (ep->fd, an engine's dup in ep->engine_fd) with its file
 * flags (O_NONBLOCK), so transfers queued later use it.  fd is closed.
 * 0 or -errno.
 */
int zccp_endpoint_swap_socket(struct zccp_endpoint *ep, int fd);
void zccp_endpoint_free(struct zccp_endpoint *ep);

/* Refuse a destination that is the source or another destination. */
int zccp_check_distinct(struct zccp_endpoint *src,
			struct zccp_endpoint **dsts, unsigned ndst);

#endif
