/*
 * testsuite.c: the test-suite extension "vnd.dovecot.testsuite" and its
 * runner (TESTSUITE.md). Hidden: only sieve-testsuite offers it (through
 * sv_compile's extra_exts), never a delivery.
 *
 * The runner state (message, envelope, result, outbox, mail store,
 * compiled-script slot, error list, setting overrides, work folder,
 * counters) lives in one struct, reached by the operations through a
 * file-level pointer set while a test file runs. Sub-scripts are compiled
 * with the normal extensions and share the runner's result object; their
 * results are executed by the delivery code (src/delivery/execute.c) into
 * a Maildir test store and an outbox.
 *
 * The test file itself runs in a run context too (its store, outbox and
 * metadata), so tests such as mailboxexists or metadata see the test
 * store and the annotations test_imap_metadata_set gave.
 *
 * Included scripts come from included/ and included-global/ beside the
 * test file. test_config_reload :extension reloads every extension's
 * settings: they are kept engine wide.
 */
#include "ext/testsuite.h"

#include <errno.h>
#include <stdarg.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "delivery/execute.h"
#include "delivery/maildir.h"
#include "delivery/metadata.h"
#include "delivery/outbox.h"
#include "delivery/run.h"
#include "delivery/scripts.h"
#include "ext/registry.h"
#include "lib/alloc.h"
#include "lib/utf8.h"
#include "mail/date.h"
#include "mail/message.h"
#include "parser/codegen.h"
#include "parser/compile.h"
#include "parser/script.h"
#include "parser/validate.h"
#include "vm/binary.h"
#include "vm/result.h"
#include "vm/vm.h"

enum {
	OP_TEST_BEGIN,
	OP_TEST_END,
	OP_TEST_FAIL,
	OP_TEST_SET,
	OP_CONFIG_SET,
	OP_CONFIG_UNSET,
	OP_CONFIG_RELOAD,
	OP_SCRIPT_COMPILE,
	OP_SCRIPT_RUN,
	OP_MULTISCRIPT,
	OP_RESULT_EXECUTE,
	OP_RESULT_RESET,
	OP_RESULT_ACTION,
	OP_RESULT_PRINT,
	OP_MESSAGE,
	OP_MESSAGE_TEST,
	OP_MESSAGE_PRINT,
	OP_MAILBOX_CREATE,
	OP_ERROR,
	OP_BINARY_SAVE,
	OP_BINARY_LOAD,
	OP_IMAP_METADATA_SET,
};
/* also declared through ext-list.def; here so the file stands alone */
extern struct sv_ext_def sv_ext_testsuite_def;

enum { OPT_INDEX, OPT_APPEND_RESULT, OPT_SMTP, OPT_FOLDER, OPT_EXTENSION, OPT_MAILBOX };

static const char initial_message[] = "From: sender@example.com\n"
                                      "To: recipient@example.org\n"
                                      "Subject: Frop!\n"
                                      "\n"
                                      "Friep!\n";

struct ts_state {
	const char *path;       /* the main test file as given */
	char *dir;              /* its absolute folder */
	char *work;             /* the per-file work folder */
	struct sv_arena *arena; /* envelope strings and other per-file data */
	struct sv_settings settings, pending;
	struct sv_settings base;        /* where test_config_unset returns to */
	struct sv_msg *msg;
	struct sv_msg **oldmsgs;
	size_t noldmsgs;
	struct sv_envelope env;
	struct sv_result result;
	struct sv_outbox outbox;
	struct sv_store *store;
	struct sv_metadata *metadata; /* test_imap_metadata_set's annotations */
	struct sv_run_state state; /* vacation, duplicate: mem:, one per file */
	struct sv_binary *slot;
	time_t now; /* test_set "currentdate": the runs' "now" (0: the clock) */
	/* include's folders (TESTSUITE.md): included/, included-global/ */
	char *incdir[2];
	struct sv_script_resolver resolver;      /* of test_script_run and the like */
	char **errors;
	size_t nerrors;
	/* blocks */
	int index;
	char *name;
	bool in_block, block_failed;
	size_t block_end;
	unsigned tests, successes, failures, case_failures;
};

static struct ts_state *ts;

/* ---- errors ---- */

static void errors_clear(void)
{
	for (size_t i = 0; i < ts->nerrors; i++)
		sv_free(ts->errors[i]);
	sv_free(ts->errors);
	ts->errors = NULL;
	ts->nerrors = 0;
}

static void error_add(const char *text)
{
	ts->errors = sv_realloc(ts->errors, (ts->nerrors + 1) * sizeof *ts->errors);
	ts->errors[ts->nerrors++] = sv_strdup(text);
}

static void exec_error(void *ctx, const char *text)
{
	error_add(text);
}

/* ---- blocks ---- */

static void block_fail(struct sv_vm *vm, const char *reason, size_t rlen)
{
	if (!ts->in_block) {
		/* test_fail outside a block fails the whole case */
		if (rlen)
			printf("XX: Test CASE FAILED: %.*s\n", (int)rlen, reason);
		else
			printf("XX: Test CASE FAILED\n");
		ts->case_failures++;
		return;
	}
	if (rlen)
		printf("%2d: Test '%s' FAILED: %.*s\n", ts->index, ts->name, (int)rlen, reason);
	else
		printf("%2d: Test '%s' FAILED\n", ts->index, ts->name);
	ts->failures++;
	ts->block_failed = true;
	vm->next = ts->block_end;
}

static void block_failf(struct sv_vm *vm, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void block_failf(struct sv_vm *vm, const char *fmt, ...)
{
	struct sv_buf b = SV_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	sv_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	block_fail(vm, b.p ? b.p : "", b.len);
	sv_buf_free(&b);
}

static enum sv_status op_test_begin(struct sv_vm *vm, const struct sv_operands *ops)
{
	struct sv_str name;
	enum sv_status st = sv_vm_string(vm, ops->pos[0].idx, &name);
	if (st != SV_OK)
		return st;
	sv_free(ts->name);
	struct sv_buf b = SV_BUF_INIT;
	sv_buf_put_sanitized(&b, name.p, name.len, 256);
	ts->name = b.p ? sv_buf_steal(&b, NULL) : sv_strdup("");
	ts->index++;
	ts->tests++;
	ts->in_block = true;
	ts->block_failed = false;
	ts->block_end = (size_t)ops->pos[1].num; /* index of the end (vm.h) */
	return SV_OK;
}

static enum sv_status op_test_end(struct sv_vm *vm, const struct sv_operands *ops)
{
	if (ts->in_block && !ts->block_failed) {
		printf("%2d: Test '%s' SUCCEEDED\n", ts->index, ts->name);
		ts->successes++;
	}
	ts->in_block = false;
	return SV_OK;
}

static enum sv_status op_test_fail(struct sv_vm *vm, const struct sv_operands *ops)
{
	struct sv_str reason;
	enum sv_status st = sv_vm_string(vm, ops->pos[0].idx, &reason);
	if (st != SV_OK)
		return st;
	block_fail(vm, reason.p, reason.len);
	return SV_OK;
}

/* ---- message and envelope ---- */

static const char *first_address(const char *header)
{
	struct sv_hdr *h = sv_msg_header(ts->msg, header, strlen(header));
	if (!h)
		return NULL;
	if (h->vlen == 2 && memcmp(h->value, "<>", 2) == 0)
		return "";
	const struct sv_addr_list *al = sv_msg_header_addresses(ts->msg, h);
	for (size_t i = 0; i < al->n; i++)
		if (al->v[i].valid && al->v[i].alen)
			return sv_arena_strndup(ts->arena, al->v[i].addr, al->v[i].alen);
	return NULL;
}

/* TESTSUITE.md: the envelope is derived from each new message */
static void derive_envelope(void)
{
	const char *to = first_address("Envelope-To");
	if (!to)
		to = first_address("To");
	if (!to)
		to = "recipient@example.com";
	const char *from = first_address("Return-Path");
	if (!from)
		from = first_address("Sender");
	if (!from)
		from = first_address("From");
	if (!from)
		from = "sender@example.com";
	ts->env.from = from;
	ts->env.to = to;
	ts->env.orig_to = to;
	ts->env.final_to = to;
	ts->env.auth = NULL;
}

static void set_message(struct sv_vm *vm, const char *data, size_t len)
{
	if (ts->msg) {
		/* kept alive: match values and earlier results may point into it */
		ts->oldmsgs = sv_realloc(ts->oldmsgs, (ts->noldmsgs + 1) * sizeof *ts->oldmsgs);
		ts->oldmsgs[ts->noldmsgs++] = ts->msg;
	}
	ts->msg = sv_msg_new(data, len);
	derive_envelope();
	if (vm)
		vm->msg = ts->msg;
}

static const char *envelope_path(const char *p, size_t len)
{
	if (len >= 2 && p[0] == '<' && p[len - 1] == '>') {
		p++;
		len -= 2;
	}
	return sv_arena_strndup(ts->arena, p, len);
}

/* TESTSUITE.md's objects, and sift's: the SMTP client the MTA names
   (sieve-deliver --client-ip, CLIENT_ADDRESS, CLIENT_HOSTNAME) */
static const char *const set_objects[] = {"message",          "envelope.from", "envelope.to",
                                          "envelope.orig_to", "envelope.auth",
                                          "envelope.client_ip", "envelope.client_host",
                                          "currentdate", NULL};

/* The "now" of the runs that follow (RFC 5260 §5 currentdate): an RFC
 * 5322 date-time or seconds since the epoch. */
static enum sv_status set_now(struct sv_vm *vm, const char *p, size_t len)
{
	struct sv_date d;
	int64_t t = 0;
	size_t i = 0;
	while (i < len && i < 18 && sv_ascii_isdigit((unsigned char)p[i]))
		t = t * 10 + (p[i++] - '0');
	if (len > 0 && i == len) {
		ts->now = (time_t)t;
	} else if (sv_date_parse(p, len, &d)) {
		ts->now = (time_t)sv_date_to_epoch(&d);
	} else {
		struct sv_buf b = SV_BUF_INIT;
		sv_buf_put_sanitized(&b, p, len, 64);
		enum sv_status st = sv_vm_error(vm, "test_set: '%s' is no date-time", b.p ? b.p : "");
		sv_buf_free(&b);
		return st;
	}
	return SV_OK;
}

static enum sv_status op_test_set(struct sv_vm *vm, const struct sv_operands *ops)
{
	struct sv_str obj, val;
	enum sv_status st = sv_vm_string(vm, ops->pos[0].idx, &obj);
	if (st == SV_OK)
		st = sv_vm_string(vm, ops->pos[1].idx, &val);
	if (st != SV_OK)
		return st;
	if (sv_ascii_ieq(obj.p, obj.len, "message", 7)) {
		set_message(vm, val.p, val.len);
	} else if (sv_ascii_ieq(obj.p, obj.len, "envelope.from", 13)) {
		ts->env.from = envelope_path(val.p, val.len);
	} else if (sv_ascii_ieq(obj.p, obj.len, "envelope.to", 11)) {
		ts->env.to = envelope_path(val.p, val.len);
		ts->env.orig_to = ts->env.to;
		ts->env.final_to = ts->env.to;
	} else if (sv_ascii_ieq(obj.p, obj.len, "envelope.orig_to", 16)) {
		ts->env.orig_to = envelope_path(val.p, val.len);
	} else if (sv_ascii_ieq(obj.p, obj.len, "envelope.auth", 13)) {
		ts->env.auth = envelope_path(val.p, val.len);
	} else if (sv_ascii_ieq(obj.p, obj.len, "envelope.client_ip", 18)) {
		ts->env.client_ip = val.len ? sv_arena_strndup(ts->arena, val.p, val.len) : NULL;
	} else if (sv_ascii_ieq(obj.p, obj.len, "envelope.client_host", 20)) {
		ts->env.client_host = val.len ? sv_arena_strndup(ts->arena, val.p, val.len) : NULL;
	} else if (sv_ascii_ieq(obj.p, obj.len, "currentdate", 11)) {
		st = set_now(vm, val.p, val.len);
	} else {
		struct sv_buf b = SV_BUF_INIT;
		sv_buf_put_sanitized(&b, obj.p, obj.len, 64);
		st = sv_vm_error(vm, "test_set: unknown object '%s'", b.p ? b.p : "");
		sv_buf_free(&b);
	}
	return st;
}

static bool validate_test_set(struct sv_validator *v, struct sv_ast_node *n)
{
	const struct sv_ast_str *s = &sv_vnode(n)->pos[0]->strs[0];
	if (v->templates && memchr(s->s, '$', s->len))
		return true;
	for (size_t i = 0; set_objects[i]; i++)
		if (sv_ascii_ieq(s->s, s->len, set_objects[i], strlen(set_objects[i])))
			return true;
	sv_validator_error(v, s->loc, "unknown test_set object '%s'",
			   sv_validator_quote(v, s->s, s->len));
	return false;
}

/* ---- settings ---- */

static enum sv_status op_config_set(struct sv_vm *vm, const struct sv_operands *ops)
{
	struct sv_str key, val;
	enum sv_status st = sv_vm_string(vm, ops->pos[0].idx, &key);
	if (st == SV_OK)
		st = sv_vm_string(vm, ops->pos[1].idx, &val);
	if (st != SV_OK)
		return st;
	char *k = sv_strndup(key.p, key.len), *value = sv_strndup(val.p, val.len);
	if (sv_settings_find(k) < 0) {
		fprintf(stderr, "sieve-testsuite: warning: unknown setting '%s' ignored\n", k);
	} else {
		struct sv_buf err = SV_BUF_INIT;
		if (!sv_settings_set(&ts->pending, k, value, &err))
			fprintf(stderr, "sieve-testsuite: warning: setting '%s' ignored: %s\n", k,
			        err.p ? err.p : "invalid value");
		sv_buf_free(&err);
	}
	sv_free(k);
	sv_free(value);
	return SV_OK;
}

static enum sv_status op_config_unset(struct sv_vm *vm, const struct sv_operands *ops)
{
	struct sv_str key;
	enum sv_status st = sv_vm_string(vm, ops->pos[0].idx, &key);
	if (st != SV_OK)
		return st;
	char *k = sv_strndup(key.p, key.len);
	int id = sv_settings_find(k);
	if (id < 0)
		fprintf(stderr, "sieve-testsuite: warning: unknown setting '%s' ignored\n", k);
	else
		sv_settings_copy_one(&ts->pending, &ts->base, id);
	sv_free(k);
	return SV_OK;
}

/* Settings are engine-wide, so reloading one extension applies them all. */
static enum sv_status op_config_reload(struct sv_vm *vm, const struct sv_operands *ops)
{
	sv_settings_copy(&ts->settings, &ts->pending);
	sv_settings_copy(&ts->result.settings, &ts->settings);
	return SV_OK;
}

/* ---- compiling and running scripts ---- */

static void resolve_path(const char *p, size_t len, struct sv_buf *out)
{
	sv_buf_reset(out);
	if (len && p[0] == '/') {
		sv_buf_append(out, p, len);
		return;
	}
	sv_buf_printf(out, "%s/", ts->dir);
	sv_buf_append(out, p, len);
}

/* Compile into *bin_r; errors recorded (the list is not cleared here). */
static bool compile_script(const char *p, size_t len, struct sv_binary **bin_r)
{
	static const char *const stage_names[] = {"compile failed", "parse failed",
	                                          "validation failed", "code generation failed"};
	struct sv_buf path = SV_BUF_INIT, src = SV_BUF_INIT, err = SV_BUF_INIT, out = SV_BUF_INIT;
	bool ok = false;
	*bin_r = NULL;
	resolve_path(p, len, &path);
	if (memchr(p, '\0', len)) {
		error_add("script path contains a NUL character");
		goto done;
	}
	if (sv_read_file(path.p, (size_t)ts->settings.max_script_size, &src, &err) != SV_OK) {
		error_add(err.p ? err.p : "cannot read the script");
		goto done;
	}
	struct sv_diags diags;
	sv_diags_init(&diags);
	struct sv_compile_options co = {.settings = &ts->settings};
	enum sv_compile_stage stage = SV_STAGE_NONE;
	enum sv_status st =
	    sv_compile(path.p, src.p ? src.p : "", src.len, &co, &diags, &out, &stage);
	if (st != SV_OK) {
		for (size_t i = 0; i < diags.n; i++)
			if (diags.v[i].sev == SV_DIAG_ERROR)
				error_add(diags.v[i].msg);
		error_add(stage_names[stage <= SV_STAGE_CODEGEN ? stage : 0]);
	} else if ((st = sv_bin_load(out.p, out.len, bin_r, &err)) != SV_OK) {
		error_add(err.p ? err.p : "compiled binary is corrupt");
	} else {
		ok = true;
	}
	sv_diags_free(&diags);
done:
	sv_buf_free(&path);
	sv_buf_free(&src);
	sv_buf_free(&err);
	sv_buf_free(&out);
	return ok;
}

/* Run bin into res; a runtime error is recorded and, as in a delivery
 * (RFC 5228 §2.10.6), cancels the actions. */
static void log_error(void *ctx, enum sv_log_level level, const char *text)
{
	(void)ctx;
	(void)level;
	error_add(text);
}

/* The run context of the test file's message and envelope. */
static void run_init(struct sv_run *run)
{
	sv_run_init(run, ts->msg, &ts->settings);
	run->env = ts->env;
	run->store = ts->store;
	run->metadata = ts->metadata;
	run->submit = sv_outbox_submission(&ts->outbox);
	run->state = &ts->state;
	run->log.write = log_error;
	if (ts->now)
		run->now = ts->now;
	/* each run loads its included scripts afresh; the test's source
	   tree is never written */
	sv_dlv_resolver_free(&ts->resolver);
	sv_dlv_resolver_init(&ts->resolver, ts->incdir[0], ts->incdir[1], &ts->settings);
	ts->resolver.no_save = true;
	run->resolver = &ts->resolver;
}

static bool run_script(struct sv_binary *bin, struct sv_result *res)
{
	struct sv_run run;
	run_init(&run);
	struct sv_vm vm;
	struct sv_vm_options vo = {.settings = &ts->settings, .run = &run};
	enum sv_status st = sv_vm_run(&vm, bin, ts->msg, &ts->env, res, &vo);
	if (st != SV_OK) {
		error_add(vm.error.len ? vm.error.p : sv_status_name(st));
		sv_result_cancel(res);
	}
	sv_vm_cleanup(&vm);
	sv_run_free(&run);
	return st == SV_OK;
}

static enum sv_status op_script_compile(struct sv_vm *vm, const struct sv_operands *ops)
{
	struct sv_str p;
	enum sv_status st = sv_vm_string(vm, ops->pos[0].idx, &p);
	if (st != SV_OK)
		return st;
	errors_clear();
	struct sv_binary *bin;
	vm->test = compile_script(p.p, p.len, &bin);
	if (vm->test) {
		sv_bin_free(ts->slot);
		ts->slot = bin;
	}
	return SV_OK;
}

static void reset_result(void)
{
	sv_result_free(&ts->result);
	sv_result_init(&ts->result, &ts->settings);
}

static enum sv_status op_script_run(struct sv_vm *vm, const struct sv_operands *ops)
{
	errors_clear();
	if (!ts->slot) {
		error_add("no script was compiled");
		vm->test = false;
		return SV_OK;
	}
	if (!sv_ops_opt(ops, &sv_ext_testsuite_def, OPT_APPEND_RESULT))
		reset_result();
	vm->test = run_script(ts->slot, &ts->result);
	return SV_OK;
}

static void exec_ctx(struct sv_exec_ctx *c)
{
	memset(c, 0, sizeof *c);
	c->store = ts->store;
	c->submit = sv_outbox_submission(&ts->outbox);
	c->env = &ts->env;
	c->msg = sv_msg_data(ts->msg, &c->len);
	c->message = ts->msg;
	c->error = exec_error;
}

static enum sv_status op_result_execute(struct sv_vm *vm, const struct sv_operands *ops)
{
	errors_clear();
	struct sv_exec_ctx c;
	exec_ctx(&c);
	vm->test = sv_dlv_execute(&ts->result, &c, true) == SV_OK;
	return SV_OK;
}

/* before -> personal -> after as a delivery runs them (delivery/run.h):
 * the chain goes on while the implicit keep holds, and its actions are
 * carried out at the end as one transaction. A script that does not
 * compile fails the chain before anything runs. */
static enum sv_status op_multiscript(struct sv_vm *vm, const struct sv_operands *ops)
{
	errors_clear();
	size_t n = sv_vm_list_len(vm, ops->pos[0].idx);
	struct sv_binary **bins = sv_calloc(n ? n : 1, sizeof *bins);
	struct sv_chain_script *chain = sv_calloc(n ? n : 1, sizeof *chain);
	bool ok = true;
	enum sv_status st = SV_OK;
	size_t built = 0;
	for (; built < n && ok; built++) {
		struct sv_str p;
		if ((st = sv_vm_list_item(vm, ops->pos[0].idx, built, &p)) != SV_OK)
			break;
		if (!compile_script(p.p, p.len, &bins[built])) {
			ok = false;
			break;
		}
		chain[built] = (struct sv_chain_script){bins[built], bins[built]->name};
	}
	if (st == SV_OK && ok) {
		struct sv_run run;
		run_init(&run);
		struct sv_result res;
		sv_result_init(&res, &ts->settings);
		struct sv_chain_report rep = {0};
		if (sv_dlv_run_chain(&run, chain, n, &res, &rep) != SV_OK)
			ok = false;
		struct sv_exec_ctx c;
		exec_ctx(&c);
		if (sv_dlv_execute(&res, &c, true) != SV_OK)
			ok = false;
		sv_chain_report_free(&rep);
		sv_result_free(&res);
		sv_run_free(&run);
	}
	for (size_t i = 0; i < n; i++)
		if (bins[i])
			sv_bin_free(bins[i]);
	sv_free(bins);
	sv_free(chain);
	vm->test = ok;
	return st;
}

static enum sv_status op_result_reset(struct sv_vm *vm, const struct sv_operands *ops)
{
	reset_result();
	sv_outbox_clear(&ts->outbox);
	return SV_OK;
}

static const struct sv_optarg *index_opt(const struct sv_operands *ops)
{
	return sv_ops_opt(ops, &sv_ext_testsuite_def, OPT_INDEX);
}

static enum sv_status op_result_action(struct sv_vm *vm, const struct sv_operands *ops)
{
	struct sv_matcher m;
	enum sv_status st = sv_match_begin(&m, vm, ops, ops->pos[0].idx);
	if (st != SV_OK)
		return st;
	const struct sv_optarg *ix = index_opt(ops);
	for (size_t i = 0; i < ts->result.n; i++) {
		if (ix && ix->num != i + 1)
			continue;
		const char *name = ts->result.v[i].def->name;
		if (sv_match_value(&m, name, strlen(name)))
			break;
	}
	return sv_match_end(&m, &vm->test);
}

static enum sv_status op_result_print(struct sv_vm *vm, const struct sv_operands *ops)
{
	struct sv_buf out = SV_BUF_INIT;
	sv_buf_puts(&out, "\n[ RESULT ]\n");
	sv_result_print(&ts->result, &out);
	sv_buf_puts(&out, "[ END RESULT ]\n");
	fwrite(out.p, 1, out.len, stdout);
	sv_buf_free(&out);
	return SV_OK;
}

/* ---- messages of the outbox and the store ---- */

/* Make the selected message current; false with a reason when missing. */
static bool select_message(struct sv_vm *vm, const struct sv_operands *ops, struct sv_buf *why)
{
	uint64_t n = ops->pos[0].num;
	const struct sv_optarg *folder = sv_ops_opt(ops, &sv_ext_testsuite_def, OPT_FOLDER);
	if (!folder) {
		if (n >= ts->outbox.n) {
			sv_buf_printf(why, "no outgoing SMTP message with index %llu",
			              (unsigned long long)n);
			return false;
		}
		set_message(vm, ts->outbox.v[n].msg, ts->outbox.v[n].len);
		/* TESTSUITE.md: with the envelope it was sent with (null = "") */
		const struct sv_sent *sent = &ts->outbox.v[n];
		ts->env.from = sv_arena_strndup(ts->arena, sent->from ? sent->from : "",
		                                sent->from ? strlen(sent->from) : 0);
		if (sent->nrcpts)
			ts->env.to = ts->env.orig_to = ts->env.final_to =
			    sv_arena_strndup(ts->arena, sent->rcpts[0], strlen(sent->rcpts[0]));
		return true;
	}
	struct sv_str mb;
	if (sv_vm_string(vm, folder->idx, &mb) != SV_OK)
		return false;
	struct sv_buf data = SV_BUF_INIT, err = SV_BUF_INIT;
	bool ok =
	    sv_dlv_maildir_read(ts->store, mb.p, mb.len, (size_t)n, &data, NULL, &err) == SV_OK;
	if (ok)
		set_message(vm, data.p ? data.p : "", data.len);
	else
		sv_buf_printf(why, "failed to retrieve message %llu from mailbox: %s",
		              (unsigned long long)n, err.p ? err.p : "");
	sv_buf_free(&data);
	sv_buf_free(&err);
	return ok;
}

static enum sv_status op_message(struct sv_vm *vm, const struct sv_operands *ops)
{
	struct sv_buf why = SV_BUF_INIT;
	if (!select_message(vm, ops, &why))
		block_fail(vm, why.p ? why.p : "", why.len);
	sv_buf_free(&why);
	return SV_OK;
}

static enum sv_status op_message_test(struct sv_vm *vm, const struct sv_operands *ops)
{
	struct sv_buf why = SV_BUF_INIT;
	vm->test = select_message(vm, ops, &why);
	sv_buf_free(&why);
	return SV_OK;
}

static enum sv_status op_message_print(struct sv_vm *vm, const struct sv_operands *ops)
{
	size_t len;
	const char *p = sv_msg_data(ts->msg, &len);
	printf("\n--MESSAGE: \n");
	fwrite(p, 1, len, stdout);
	printf("\n--MESSAGE--\n");
	return SV_OK;
}

static enum sv_status op_mailbox_create(struct sv_vm *vm, const struct sv_operands *ops)
{
	struct sv_str mb;
	enum sv_status st = sv_vm_string(vm, ops->pos[0].idx, &mb);
	if (st != SV_OK)
		return st;
	struct sv_buf err = SV_BUF_INIT;
	if (ts->store->create(ts->store, mb.p, mb.len, &err) != SV_OK)
		block_failf(vm, "failed to create mailbox: %s", err.p ? err.p : "");
	sv_buf_free(&err);
	return SV_OK;
}

/* test_imap_metadata_set [:mailbox <m>] <entry> <value>: an annotation of
 * a mailbox of the test store (which must exist, as IMAP's SETMETADATA
 * asks), or of the server. */
static enum sv_status op_imap_metadata_set(struct sv_vm *vm, const struct sv_operands *ops)
{
	struct sv_str mb = {0}, entry, value;
	const struct sv_optarg *o = sv_ops_opt(ops, &sv_ext_testsuite_def, OPT_MAILBOX);
	enum sv_status st = o ? sv_vm_string(vm, o->idx, &mb) : SV_OK;
	if (st == SV_OK)
		st = sv_vm_string(vm, ops->pos[0].idx, &entry);
	if (st == SV_OK)
		st = sv_vm_string(vm, ops->pos[1].idx, &value);
	if (st != SV_OK)
		return st;
	if (o && !ts->store->exists(ts->store, mb.p, mb.len)) {
		block_failf(vm, "test_imap_metadata_set: mailbox '%.*s' does not exist",
		            (int)(mb.len > 200 ? 200 : mb.len), mb.p);
		return SV_OK;
	}
	struct sv_buf err = SV_BUF_INIT;
	if (sv_dlv_metadata_set(ts->metadata, o ? mb.p : NULL, mb.len, entry.p, entry.len, value.p,
	                        value.len, &err) != SV_OK)
		block_failf(vm, "test_imap_metadata_set: %s", err.p ? err.p : "failed");
	sv_buf_free(&err);
	return SV_OK;
}

static bool validate_imap_metadata_set(struct sv_validator *v, struct sv_ast_node *n)
{
	const struct sv_ast_str *s = &sv_vnode(n)->pos[0]->strs[0];
	if (v->templates && memchr(s->s, '$', s->len))
		return true;
	struct sv_buf why = SV_BUF_INIT;
	bool ok = sv_metadata_entry_check(s->s, s->len, &why);
	if (!ok)
		sv_validator_error(v, s->loc, "invalid annotation name '%s': %s",
		                   sv_validator_quote(v, s->s, s->len), why.p);
	sv_buf_free(&why);
	return ok;
}

static enum sv_status op_error(struct sv_vm *vm, const struct sv_operands *ops)
{
	struct sv_matcher m;
	enum sv_status st = sv_match_begin(&m, vm, ops, ops->pos[0].idx);
	if (st != SV_OK)
		return st;
	const struct sv_optarg *ix = index_opt(ops);
	for (size_t i = 0; i < ts->nerrors; i++) {
		if (ix && ix->num != i + 1)
			continue;
		if (sv_match_value(&m, ts->errors[i], strlen(ts->errors[i])))
			break;
	}
	return sv_match_end(&m, &vm->test);
}

/* ---- binaries ---- */

static bool binary_path(struct sv_vm *vm, const struct sv_operands *ops, struct sv_buf *out)
{
	struct sv_str name;
	if (sv_vm_string(vm, ops->pos[0].idx, &name) != SV_OK)
		return false;
	if (name.len == 0 || memchr(name.p, '/', name.len) || memchr(name.p, '\0', name.len) ||
	    name.p[0] == '.') {
		block_failf(vm, "invalid binary name");
		return false;
	}
	sv_buf_printf(out, "%s/", ts->work);
	sv_buf_append(out, name.p, name.len);
	sv_buf_puts(out, ".svbin");
	return true;
}

static enum sv_status op_binary_save(struct sv_vm *vm, const struct sv_operands *ops)
{
	struct sv_buf path = SV_BUF_INIT, err = SV_BUF_INIT;
	if (!ts->slot)
		block_failf(vm, "no compiled script to save");
	else if (binary_path(vm, ops, &path) &&
	         sv_bin_save_file(path.p, ts->slot->data, ts->slot->len, &err) != SV_OK)
		block_failf(vm, "failed to save binary: %s", err.p ? err.p : "");
	sv_buf_free(&path);
	sv_buf_free(&err);
	return SV_OK;
}

static enum sv_status op_binary_load(struct sv_vm *vm, const struct sv_operands *ops)
{
	struct sv_buf path = SV_BUF_INIT, err = SV_BUF_INIT;
	struct sv_binary *bin;
	if (binary_path(vm, ops, &path)) {
		if (sv_bin_load_file(path.p, &bin, &err) != SV_OK) {
			block_failf(vm, "failed to load binary: %s", err.p ? err.p : "");
		} else {
			sv_bin_free(ts->slot);
			ts->slot = bin;
		}
	}
	sv_buf_free(&path);
	sv_buf_free(&err);
	return SV_OK;
}

/* ---- the tst namespace (${tst.path}) ---- */

static bool tst_check(const char *name, size_t len, bool assign, struct sv_buf *err)
{
	if (assign) {
		sv_buf_puts(err, "the tst namespace is read-only");
		return false;
	}
	if (!sv_ascii_ieq(name, len, "path", 4)) {
		sv_buf_printf(err, "unknown variable 'tst.%.*s'", (int)(len > 64 ? 64 : len), name);
		return false;
	}
	return true;
}

static bool tst_get(struct sv_vm *vm, const char *name, size_t len, struct sv_buf *out)
{
	if (!ts || !sv_ascii_ieq(name, len, "path", 4))
		return false;
	sv_buf_puts(out, ts->dir);
	return true;
}

static const struct sv_namespace_def tst_namespace = {"tst", tst_check, tst_get};
static const struct sv_namespace_def *const testsuite_namespaces[] = {&tst_namespace, NULL};

/* ---- validation and generation ---- */

/* test NAME { ... }: begin (with a jump to its end op, where test_fail
 * lands), the block, end. */
static void generate_test(struct sv_codegen *g, struct sv_ast_node *n)
{
	struct sv_vnode *vn = sv_vnode(n);
	size_t insn = sv_cg_offset(g);
	sv_cg_op(g, vn->ext, OP_TEST_BEGIN, n->loc.line);
	sv_cg_string(g, &vn->pos[0]->strs[0]);
	size_t at = sv_cg_jump_reserve(g);
	sv_cg_block(g, n->block);
	sv_cg_jump_patch(g, at, insn);
	sv_cg_op(g, vn->ext, OP_TEST_END, n->end.line ? n->end.line : n->loc.line);
}

static bool validate_message(struct sv_validator *v, struct sv_ast_node *n)
{
	if (!sv_vnode_tag(n, "smtp") && !sv_vnode_tag(n, "folder")) {
		sv_validator_error(v, n->loc, "the test_message %s needs :smtp or :folder",
		                   sv_vnode(n)->cmd->kind == SV_CMD_TEST ? "test" : "command");
		return false;
	}
	return true;
}

static const struct sv_tag_def index_tags[] = {
    {.name = "index", .value = 'n', .opt = OPT_INDEX},
    {NULL},
};
static const struct sv_tag_def run_tags[] = {
    {.name = "append_result", .opt = OPT_APPEND_RESULT},
    {NULL},
};
static const struct sv_tag_def message_tags[] = {
    {.name = "smtp", .opt = OPT_SMTP, .group = 1},
    {.name = "folder", .value = 's', .opt = OPT_FOLDER, .group = 1},
    {NULL},
};
static const struct sv_tag_def reload_tags[] = {
    {.name = "extension", .value = 's', .opt = OPT_EXTENSION},
    {NULL},
};
static const struct sv_tag_def metadata_set_tags[] = {
    {.name = "mailbox", .value = 's', .opt = OPT_MAILBOX},
    {NULL},
};

static const struct sv_cmd_def testsuite_commands[] = {
    {"test", SV_CMD_COMMAND, "s", SV_SUBTESTS_NONE, SV_BLOCK_REQUIRED, SV_CMDF_TOPLEVEL,
     .op = OP_TEST_BEGIN, .generate = generate_test},
    {"test_fail", SV_CMD_COMMAND, "s", .op = OP_TEST_FAIL},
    {"test_set", SV_CMD_COMMAND, "ss", .op = OP_TEST_SET, .validate = validate_test_set},
    {"test_config_set", SV_CMD_COMMAND, "ss", .op = OP_CONFIG_SET},
    {"test_config_unset", SV_CMD_COMMAND, "s", .op = OP_CONFIG_UNSET},
    {"test_config_reload", SV_CMD_COMMAND, "", .tags = reload_tags, .op = OP_CONFIG_RELOAD},
    {"test_script_compile", SV_CMD_TEST, "s", .op = OP_SCRIPT_COMPILE},
    {"test_script_run", SV_CMD_TEST, "", .tags = run_tags, .op = OP_SCRIPT_RUN},
    {"test_multiscript", SV_CMD_TEST, "l", .op = OP_MULTISCRIPT},
    {"test_result_execute", SV_CMD_TEST, "", .op = OP_RESULT_EXECUTE},
    {"test_result_reset", SV_CMD_COMMAND, "", .op = OP_RESULT_RESET},
    {"test_result_action", SV_CMD_TEST, "l", .flags = SV_CMDF_MATCHING, .tags = index_tags,
     .op = OP_RESULT_ACTION},
    {"test_result_print", SV_CMD_COMMAND, "", .op = OP_RESULT_PRINT},
    {"test_message", SV_CMD_COMMAND, "n", .tags = message_tags, .op = OP_MESSAGE,
     .validate = validate_message},
    {"test_message", SV_CMD_TEST, "n", .tags = message_tags, .op = OP_MESSAGE_TEST,
     .validate = validate_message},
    {"test_message_print", SV_CMD_COMMAND, "", .op = OP_MESSAGE_PRINT},
    {"test_mailbox_create", SV_CMD_COMMAND, "s", .op = OP_MAILBOX_CREATE},
    {"test_error", SV_CMD_TEST, "l", .flags = SV_CMDF_MATCHING, .tags = index_tags, .op = OP_ERROR},
    {"test_binary_save", SV_CMD_COMMAND, "s", .op = OP_BINARY_SAVE},
    {"test_binary_load", SV_CMD_COMMAND, "s", .op = OP_BINARY_LOAD},
    {"test_imap_metadata_set", SV_CMD_COMMAND, "ss", .tags = metadata_set_tags,
     .op = OP_IMAP_METADATA_SET, .validate = validate_imap_metadata_set},
    {NULL},
};

static const struct sv_op_def testsuite_ops[] = {
    [OP_TEST_BEGIN] = {"test", "sj", op_test_begin, NULL, false},
    [OP_TEST_END] = {"test.end", "", op_test_end, NULL, false},
    [OP_TEST_FAIL] = {"test_fail", "s", op_test_fail, NULL, false},
    [OP_TEST_SET] = {"test_set", "ss", op_test_set, NULL, false},
    [OP_CONFIG_SET] = {"test_config_set", "ss", op_config_set, NULL, false},
    [OP_CONFIG_UNSET] = {"test_config_unset", "s", op_config_unset, NULL, false},
    [OP_CONFIG_RELOAD] = {"test_config_reload", "x", op_config_reload, NULL, false},
    [OP_SCRIPT_COMPILE] = {"test_script_compile", "s", op_script_compile, NULL, true},
    [OP_SCRIPT_RUN] = {"test_script_run", "x", op_script_run, NULL, true},
    [OP_MULTISCRIPT] = {"test_multiscript", "l", op_multiscript, NULL, true},
    [OP_RESULT_EXECUTE] = {"test_result_execute", "", op_result_execute, NULL, true},
    [OP_RESULT_RESET] = {"test_result_reset", "", op_result_reset, NULL, false},
    [OP_RESULT_ACTION] = {"test_result_action", "lx", op_result_action, NULL, true},
    [OP_RESULT_PRINT] = {"test_result_print", "", op_result_print, NULL, false},
    [OP_MESSAGE] = {"test_message", "nx", op_message, NULL, false},
    [OP_MESSAGE_TEST] = {"test_message.test", "nx", op_message_test, NULL, true},
    [OP_MESSAGE_PRINT] = {"test_message_print", "", op_message_print, NULL, false},
    [OP_MAILBOX_CREATE] = {"test_mailbox_create", "s", op_mailbox_create, NULL, false},
    [OP_ERROR] = {"test_error", "lx", op_error, NULL, true},
    [OP_BINARY_SAVE] = {"test_binary_save", "s", op_binary_save, NULL, false},
    [OP_BINARY_LOAD] = {"test_binary_load", "s", op_binary_load, NULL, false},
    [OP_IMAP_METADATA_SET] = {"test_imap_metadata_set", "ssx", op_imap_metadata_set, NULL,
                              false},
    {NULL},
};

static const char *const testsuite_opt_names[] = {"index", "append_result", "smtp", "folder",
                                                  "extension", "mailbox"};

struct sv_ext_def sv_ext_testsuite_def = {
    .name = "vnd.dovecot.testsuite",
    .hidden = true,
    .commands = testsuite_commands,
    .ops = testsuite_ops,
    .opt_kinds = "nffsss",
    .opt_names = testsuite_opt_names,
    .namespaces = testsuite_namespaces,
};

/* ---- the runner ---- */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

static bool state_init(struct ts_state *t, const char *path, const char *workroot,
		       const struct sv_settings *base)
{
	memset(t, 0, sizeof *t);
	t->path = path;
	t->arena = sv_arena_new();
	sv_settings_init(&t->base);
	if (base)
		sv_settings_copy(&t->base, base);
	sv_settings_init(&t->settings);
	sv_settings_copy(&t->settings, &t->base);
	sv_settings_init(&t->pending);
	sv_settings_copy(&t->pending, &t->base);
	sv_result_init(&t->result, &t->settings);
	char *abs = realpath(path, NULL);
	if (abs) {
		char *slash = strrchr(abs, '/');
		if (slash == abs)
			slash[1] = '\0';
		else if (slash)
			*slash = '\0';
		t->dir = sv_strdup(abs);
		free(abs);
	} else {
		t->dir = sv_strdup(".");
	}
	struct sv_buf inc = SV_BUF_INIT;
	sv_buf_printf(&inc, "%s/included", t->dir);
	t->incdir[0] = sv_buf_steal(&inc, NULL);
	sv_buf_printf(&inc, "%s/included-global", t->dir);
	t->incdir[1] = sv_buf_steal(&inc, NULL);
	struct sv_buf w = SV_BUF_INIT, err = SV_BUF_INIT;
	sv_buf_printf(&w, "%s/sieve-testsuite.XXXXXX", workroot);
	if (!mkdtemp(w.p)) {
		fprintf(stderr, "sieve-testsuite: cannot create a work folder in %s: %s\n",
		        workroot, strerror(errno));
		sv_buf_free(&w);
		return false;
	}
	t->work = sv_buf_steal(&w, NULL);
	sv_buf_printf(&w, "%s/outbox", t->work);
	mkdir(w.p, 0700);
	sv_outbox_init(&t->outbox, w.p);
	sv_buf_reset(&w);
	sv_buf_printf(&w, "%s/mail", t->work);
	struct sv_buf loc = SV_BUF_INIT;
	sv_buf_printf(&loc, "mem:%s", t->work);
	sv_run_state_init(&t->state, loc.p, "testsuite", NULL, false);
	sv_buf_free(&loc);
	bool ok = sv_dlv_maildir_open(w.p, false, &t->store, &err) == SV_OK;
	t->metadata = sv_dlv_metadata_mem();
	if (!ok)
		fprintf(stderr, "sieve-testsuite: %s\n",
		        err.p ? err.p : "cannot open the mail store");
	sv_buf_free(&w);
	sv_buf_free(&err);
	return ok;
}

static void state_free(struct ts_state *t)
{
	errors_clear();
	sv_dlv_resolver_free(&t->resolver);
	sv_free(t->incdir[0]);
	sv_free(t->incdir[1]);
	if (t->store)
		t->store->close(t->store);
	if (t->metadata)
		t->metadata->close(t->metadata);
	sv_run_state_free(&t->state);
	sv_outbox_free(&t->outbox);
	sv_result_free(&t->result);
	sv_bin_free(t->slot);
	for (size_t i = 0; i < t->noldmsgs; i++)
		sv_msg_free(t->oldmsgs[i]);
	sv_free(t->oldmsgs);
	if (t->msg)
		sv_msg_free(t->msg);
	sv_settings_free(&t->settings);
	sv_settings_free(&t->pending);
	sv_settings_free(&t->base);
	if (t->work) {
		nftw(t->work, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
		sv_free(t->work);
	}
	sv_free(t->dir);
	sv_free(t->name);
	sv_arena_free(t->arena);
}

static void case_fail(const char *reason)
{
	printf("XX: Test CASE FAILED: %s\n", reason);
	ts->case_failures++;
}

/* Compile and run the file; the blocks print themselves. */
static void run_case(const char *path)
{
	static const char *const extra[] = {"vnd.dovecot.testsuite", NULL};
	struct sv_buf src = SV_BUF_INIT, err = SV_BUF_INIT, out = SV_BUF_INIT;
	struct sv_diags diags;
	sv_diags_init(&diags);
	struct sv_binary *bin = NULL;
	if (sv_read_file(path, (size_t)ts->settings.max_script_size, &src, &err) != SV_OK) {
		fprintf(stderr, "sieve-testsuite: %s\n", err.p ? err.p : path);
		case_fail("failed to compile testcase script");
		goto done;
	}
	if (sv_script_is_binary(path, src.p, src.len)) {
		/* test files are scripts; a binary's bytes would only give a
		   screenful of syntax errors */
		fprintf(stderr, "%s: error: a sift binary, not a test script\n", path);
		case_fail("failed to compile testcase script");
		goto done;
	}
	struct sv_compile_options co = {.settings = &ts->settings, .extra_exts = extra};
	if (sv_compile(path, src.p ? src.p : "", src.len, &co, &diags, &out, NULL) != SV_OK) {
		struct sv_buf r = SV_BUF_INIT;
		sv_diags_render(&diags, &r, path, src.p, src.len);
		fputs(r.p ? r.p : "", stderr);
		sv_buf_free(&r);
		case_fail("failed to compile testcase script");
		goto done;
	}
	if (sv_bin_load(out.p, out.len, &bin, &err) != SV_OK) {
		fprintf(stderr, "sieve-testsuite: %s: %s\n", path, err.p ? err.p : "corrupt");
		case_fail("compiled test script binary is corrupt");
		goto done;
	}
	set_message(NULL, initial_message, sizeof initial_message - 1);
	struct sv_run run;
	run_init(&run);
	struct sv_vm vm;
	/* include in the test file itself: the run's resolver (run_init) */
	struct sv_vm_options vo = {.settings = &ts->settings, .run = &run};
	fflush(stdout);
	enum sv_status st = sv_vm_run(&vm, bin, ts->msg, &ts->env, &ts->result, &vo);
	fflush(stdout);
	if (st != SV_OK) {
		fprintf(stderr, "sieve-testsuite: %s: line %u: error: %s\n", path, vm.error_line,
		        vm.error.len ? vm.error.p : sv_status_name(st));
		case_fail(st == SV_LIMIT ? "resource limit exceeded"
		                         : "test script execution aborted due to error");
	} else if (ts->in_block) {
		/* a stop inside a block ends the whole file: that block did not
		   reach its end, and the blocks after it never ran */
		printf("%2d: Test '%s' FAILED: the script stopped inside the test block\n",
		       ts->index, ts->name);
		ts->failures++;
		ts->in_block = false;
	}
	sv_vm_cleanup(&vm);
	sv_run_free(&run);
done:
	sv_bin_free(bin);
	sv_diags_free(&diags);
	sv_buf_free(&src);
	sv_buf_free(&err);
	sv_buf_free(&out);
}

bool sv_testsuite_run_file(const char *path, const char *workroot, bool expect_failure,
                           const struct sv_settings *base, struct sv_testsuite_counts *counts)
{
	struct ts_state t;
	printf("Test case: %s:\n\n", path);
	bool ready = state_init(&t, path, workroot, base);
	ts = &t;
	if (ready)
		run_case(path);
	else
		case_fail("cannot set up the test environment");
	unsigned failed = t.failures + t.case_failures;
	/* a block cut short by an aborted run counts as neither */
	unsigned ok_blocks = t.successes;
	bool passed;
	if (expect_failure) {
		passed = failed > 0 && failed >= t.tests;
		if (passed)
			printf("\nPASS: %u tests failed (expected to fail).\n\n", failed);
		else
			printf("\nFAIL: Only %u of %u tests failed (all expected to fail).\n\n",
			       failed, t.tests);
		counts->passed += failed;
		counts->failed += ok_blocks;
	} else {
		passed = failed == 0 && t.tests > 0;
		if (passed)
			printf("\nPASS: %u tests succeeded.\n\n", t.tests);
		else
			printf("\nFAIL: %u of %u tests failed.\n\n", failed, t.tests);
		counts->passed += ok_blocks;
		counts->failed += failed;
	}
	fflush(stdout);
	state_free(&t);
	ts = NULL;
	return passed;
}
