/*
 * run.c: the run context of one delivery and the chain of scripts
 * (run.h; DESIGN.md §3, §4; RFC 5228 §2.10.2, §2.10.6).
 */
#include "delivery/run.h"

#include <stdarg.h>
#include <string.h>

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
			worst = SV_FAIL;
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
