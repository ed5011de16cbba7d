/*
 * run.c: the run context of one delivery and the chain of scripts
 * (run.h; DESIGN.md §3, §4; RFC 5228 §2.10.2, §2.10.6).
 */
#include "delivery/run.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include "ext/registry.h"
#include "lib/alloc.h"
#include "mail/message.h"

void sv_run_init(struct sv_run *run, struct sv_msg *msg, const struct sv_settings *settings)
{
	memset(run, 0, sizeof *run);
	run->arena = sv_arena_new();
	run->msg = msg;
	run->now = time(NULL);
	sv_settings_init(&run->settings);
	if (settings)
		sv_settings_copy(&run->settings, settings);
	run->next_state = sv_ext_count();
	run->ext_state = sv_calloc(run->next_state ? run->next_state : 1, sizeof *run->ext_state);
}

void sv_run_free(struct sv_run *run)
{
	for (size_t i = 0; i < run->next_state; i++) {
		const struct sv_ext_def *e = sv_ext_at(i);
		if (run->ext_state[i] && e->free_message_state)
			e->free_message_state(run->ext_state[i]);
	}
	sv_free(run->ext_state);
	sv_settings_free(&run->settings);
	sv_arena_free(run->arena);
	memset(run, 0, sizeof *run);
}

const char *sv_run_strdup(struct sv_run *run, const char *s)
{
	return s ? sv_arena_strndup(run->arena, s, strlen(s)) : NULL;
}

void **sv_run_ext_state(struct sv_run *run, const struct sv_ext_def *ext)
{
	return ext->index < run->next_state ? &run->ext_state[ext->index] : NULL;
}

void sv_run_logf(struct sv_run *run, enum sv_log_level level, const char *fmt, ...)
{
	if (!run->log.write)
		return;
	struct sv_buf b = SV_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	sv_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	run->log.write(run->log.ctx, level, b.p ? b.p : "");
	sv_buf_free(&b);
}

/* ---- the state service ---- */

void sv_run_state_init(struct sv_run_state *s, const char *location, const char *user,
                       const struct sv_state_opts *opts, bool dry_run)
{
	memset(s, 0, sizeof *s);
	if (opts)
		s->opts = *opts;
	else
		sv_state_opts_init(&s->opts);
	s->location = location && *location ? sv_strdup(location) : NULL;
	s->user = user ? sv_strdup(user) : NULL;
	s->opts.user = s->user;
	s->dry_run = dry_run;
	s->failed = SV_OK;
}

void sv_run_state_free(struct sv_run_state *s)
{
	sv_dlv_state_close(s->st);
	sv_free(s->location);
	sv_free(s->user);
	sv_buf_free(&s->error);
	memset(s, 0, sizeof *s);
}

bool sv_run_state_available(const struct sv_run_state *s)
{
	return s && s->location;
}

/* Remember the first failure, so that the delivery defers for it. */
static enum sv_status state_failed(struct sv_run_state *s, enum sv_status st, struct sv_buf *err)
{
	if (s->failed == SV_OK) {
		s->failed = st;
		sv_buf_reset(&s->error);
		sv_buf_puts(&s->error, err->p ? err->p : sv_status_name(st));
	}
	return st;
}

/* The store, opened on first use; a failure to open is kept, so that the
 * calls after it fail the same way without trying again. */
static enum sv_status state_open(struct sv_run_state *s, struct sv_buf *err)
{
	if (s->st)
		return SV_OK;
	if (!s->location) {
		sv_buf_puts(err, "no state store is configured here");
		return SV_FAIL;
	}
	if (s->failed != SV_OK) {
		sv_buf_puts(err, s->error.p ? s->error.p : sv_status_name(s->failed));
		return s->failed;
	}
	struct sv_buf why = SV_BUF_INIT;
	enum sv_status st = sv_dlv_state_open(s->location, &s->opts, &s->st, &why);
	if (st != SV_OK) {
		s->st = NULL;
		sv_buf_printf(err, "cannot open the state store: %s", why.p ? why.p : sv_status_name(st));
		state_failed(s, st, err);
	}
	sv_buf_free(&why);
	return st;
}

/* A dry run never makes a database that is not there: it would hold
 * nothing anyway. */
static bool dry_and_missing(const struct sv_run_state *s)
{
	struct stat sb;
	return s->dry_run && !s->st && strncmp(s->location, "sqlite:", 7) == 0 &&
	       stat(s->location + 7, &sb) != 0 && errno == ENOENT;
}

enum sv_status sv_run_state_check(struct sv_run_state *s, const char *ns, const void *key,
                                  size_t klen, time_t now, bool *seen_r, struct sv_buf *err)
{
	*seen_r = false;
	if (s->location && dry_and_missing(s))
		return SV_OK;
	enum sv_status st = state_open(s, err);
	if (st == SV_OK && (st = sv_dlv_state_check(s->st, ns, key, klen, now, seen_r, err)) != SV_OK)
		state_failed(s, st, err);
	return st;
}

enum sv_status sv_run_state_claim(struct sv_run_state *s, const char *ns, const void *key,
                                  size_t klen, time_t now, time_t expires_at, bool *won_r,
                                  struct sv_buf *err)
{
	*won_r = false;
	if (s->dry_run) {
		bool seen;
		enum sv_status st = sv_run_state_check(s, ns, key, klen, now, &seen, err);
		*won_r = st == SV_OK && !seen;
		return st;
	}
	enum sv_status st = state_open(s, err);
	if (st == SV_OK &&
	    (st = sv_dlv_state_claim(s->st, ns, key, klen, now, expires_at, won_r, err)) != SV_OK)
		state_failed(s, st, err);
	return st;
}

enum sv_status sv_run_state_mark(struct sv_run_state *s, const char *ns, const void *key,
                                 size_t klen, time_t expires_at, struct sv_buf *err)
{
	if (s->dry_run)
		return SV_OK;
	enum sv_status st = state_open(s, err);
	if (st == SV_OK && (st = sv_dlv_state_mark(s->st, ns, key, klen, expires_at, err)) != SV_OK)
		state_failed(s, st, err);
	return st;
}

enum sv_status sv_run_state_commit(struct sv_run_state *s, struct sv_buf *err)
{
	if (s->dry_run || !s->st || sv_dlv_state_pending(s->st) == 0)
		return SV_OK;
	enum sv_status st = sv_dlv_state_commit(s->st, err);
	if (st != SV_OK)
		state_failed(s, st, err);
	return st;
}

void sv_run_state_rollback(struct sv_run_state *s)
{
	if (s->st)
		sv_dlv_state_rollback(s->st);
}

enum sv_status sv_dlv_run_chain(struct sv_run *run, const struct sv_chain_script *scripts,
				size_t n, struct sv_result *res, struct sv_chain_report *rep)
{
	enum sv_status worst = SV_OK;
	for (size_t i = 0; i < n && !res->keep_cancelled; i++) {
		struct sv_result_mark mark;
		sv_result_mark(res, &mark);
		unsigned version = run->msg ? sv_msg_version(run->msg) : 0;
		struct sv_vm vm;
		struct sv_vm_options vo = {.settings = &run->settings,
					   .run = run,
					   .trace = run->trace,
					   .trace_ctx = run->trace_ctx,
					   .script_key = scripts[i].key};
		enum sv_status st = sv_vm_run(&vm, scripts[i].bin, run->msg, &run->env, res, &vo);
		if (rep)
			rep->ran++;
		if (st != SV_OK) {
			/* RFC 5228 §2.10.6: this script's actions are discarded and
			   the message is kept; the chain ends here */
			sv_result_rewind(res, &mark);
			if (run->msg) /* its header edits too */
				sv_msg_rewind(run->msg, version);
			const char *why = vm.error.len ? vm.error.p : sv_status_name(st);
			/* the name comes from a binary: any bytes */
			struct sv_buf name = SV_BUF_INIT;
			sv_buf_put_sanitized(&name, scripts[i].name, strlen(scripts[i].name), 200);
			sv_run_logf(run, SV_LOG_ERROR, "%s: line %u: %s", name.p ? name.p : "",
				    vm.error_line, why);
			sv_buf_free(&name);
			if (rep) {
				rep->error_script = scripts[i].name;
				rep->error_line = vm.error_line;
				sv_buf_puts(&rep->error, why);
			}
			/* a passing failure (a script include could not read
			   now, memory) is no error of the script: the delivery
			   is retried rather than kept without its filter */
			worst = st == SV_TEMPFAIL || st == SV_NOMEM ? SV_TEMPFAIL : SV_FAIL;
			sv_vm_cleanup(&vm);
			break;
		}
		sv_vm_cleanup(&vm);
	}
	return worst;
}

void sv_chain_report_free(struct sv_chain_report *rep)
{
	sv_buf_free(&rep->error);
	memset(rep, 0, sizeof *rep);
}
