/*
 * enotify.h: the notification methods of the enotify extension (RFC 5435
 * §3.1: a method is a URI whose scheme names it). enotify.c has the
 * language (notify, valid_notify_method, notify_method_capability,
 * :encodeurl) and the action kind; each method is a table of these hooks
 * in a file of its own (enotify-mailto.c: RFC 5436).
 */
#ifndef SV_EXT_ENOTIFY_H
#define SV_EXT_ENOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/status.h"
#include "vm/result.h"

struct sv_txn;

/* The largest notification message a method composes (bytes). */
#define SV_NOTIFY_MAX_SIZE (1024 * 1024)
/* The most recipients one notification ever has (notify-max-recipients
 * 0 means this many). */
#define SV_NOTIFY_MAX_RECIPIENTS 1000

/* One notify action as the script asked for it (RFC 5435 §3), its
 * strings in the result's arena. */
struct sv_notify {
	const struct sv_notify_method *method;
	const char *uri;          /* the method URI */
	size_t ulen;
	const char *from;         /* :from, or NULL */
	size_t flen;
	unsigned importance;      /* :importance: 1 high, 2 normal, 3 low */
	const char **options;     /* :options, "name=value" each */
	const size_t *olens;
	size_t noptions;
	const char *message;      /* :message, or NULL for the default */
	size_t mlen;
	/* what the settings said when the action was recorded */
	uint64_t max_recipients;
	const char *default_from; /* notify-from ("" : the recipient) */
	/* the message composed by prepare, until release */
	struct sv_buf out;
};

struct sv_notify_method {
	const char *scheme; /* lowercase, without the ':' */
	/* Is uri (the whole URI, scheme included) a valid URI of this
	 * method? false with the reason in err. max_recipients bounds how
	 * many recipients one notification may have (0: SV_NOTIFY_MAX_RECIPIENTS). */
	bool (*check_uri)(const char *uri, size_t len, uint64_t max_recipients,
			  struct sv_buf *err);
	/* Is from a valid :from for this method (RFC 5435 §3.2)? */
	bool (*check_from)(const char *from, size_t len, struct sv_buf *err);
	/* The value of a notification capability (RFC 5435 §5), or NULL
	 * when the method does not know it. name is compared without case. */
	const char *(*capability)(const char *name, size_t len);
	/* Compose and hand over the notification (the action's prepare; a
	 * notification that must not be sent is SV_OK with *txn_r NULL). */
	enum sv_status (*prepare)(struct sv_txn *t, struct sv_notify *n, void **txn_r,
				  struct sv_buf *err);
};

extern const struct sv_notify_method sv_notify_mailto;

/* The action kind of notify. */
extern const struct sv_action_def sv_action_notify;

/* The method of a URI by its scheme (RFC 3986 §3.1, without case), or
 * NULL when it has none or sift knows no such method. */
const struct sv_notify_method *sv_notify_method_find(const char *uri, size_t len);

/* The default :message (RFC 5435 §3.5) for the triggering message m:
 * "<its From address>: <its Subject>" (decoded), appended to out. */
struct sv_msg;
void sv_notify_default_message(struct sv_msg *m, struct sv_buf *out);

#endif
