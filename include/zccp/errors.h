/* SPDX-License-Identifier: MIT */
/*
 * zccp's own error numbers, for the core and the engines alike (an
 * engine reports a source that shrank): depends on nothing, unlike
 * report.h, whose zccp_strerror() says them.
 */
#ifndef ZCCP_ERRORS_H
#define ZCCP_ERRORS_H

/* Above every errno. */
enum {
	ZCCP_EDANGLING = 4200,
	ZCCP_EOWNER,
	ZCCP_EADDRESS,
	ZCCP_ENONAME,
	ZCCP_ENOTSTREAM, /* a zccp stream's header is missing */
	ZCCP_EVERSION,	 /* ... or from a newer zccp */
	ZCCP_ESHORT,	 /* the stream ended before its trailer */
	ZCCP_ECORRUPT,	 /* the trailer does not match the payload */
	ZCCP_ENOREPLY,	 /* the receiver closed without a reply */
	ZCCP_EREMOTE,	 /* the receiver's destinations failed */
	ZCCP_EIDLE,	 /* --listen: the sender sent nothing for --timeout */
	ZCCP_ESTALL,	 /* a unix: receiver read nothing for --timeout */
	ZCCP_EVERIFY,	 /* --verify read back other bytes */
	ZCCP_EKEEPOWNER, /* --preserve=ownership: not allowed */
	ZCCP_EXATTR,	 /* --preserve=xattr: not allowed or not supported */
	ZCCP_EINSIDE,	 /* -r: a destination root is in the source tree */
	ZCCP_ESHRANK,	 /* the source ended before the size it had */
	ZCCP_EREWRITTEN, /* ... or was modified in place as we read it */
	ZCCP_EPARTIAL,	 /* written in place, then the source failed */
	ZCCP_ETREELINK,	 /* -r: a symbolic link where the tree has a file */
	ZCCP_EAUTH,	 /* a stream's tag is not made with our key */
	ZCCP_EKEYS,	 /* one end of a stream has a key, the other not */
	ZCCP_ESILENT,	 /* the receiver sent no challenge in --timeout */
	ZCCP_ENOSERVE,	 /* ssh:// could not start the receiver */
	ZCCP_EREFUSED,	 /* the receiver refused our hello: not its key */
	ZCCP_EPLAIN,	 /* the receiver wants --encrypt, the sender not */
	ZCCP_ETLS,	 /* --encrypt: the TLS handshake failed */
	ZCCP_EHOSTGONE,	 /* an ssh:// receiver ended without its result */
	ZCCP_EMOVED,	 /* -r: a directory moved while written into */
	ZCCP_ESAMEFILE,	 /* a destination is the source */
	ZCCP_ETWICE,	 /* a destination is another one */
};

#endif
