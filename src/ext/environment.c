/*
 * environment.c: the environment extension (RFC 5183): the environment
 * test (§4) and the standard items of §4.1, filled from the run context
 * and the extension's settings. Other extensions add items through their
 * descriptor's env_items; every registered extension's items are offered
 * (the test looks them up by exact name).
 *
 * The items: "domain" and "host" (settings environment-domain and
 * environment-host; by default the host's name and that name without its
 * first label), "location" ("MDA": sift runs at final delivery), "name"
 * ("sift"), "phase" ("during"), "remote-host" and "remote-ip" (the SMTP
 * client the MTA received the message from: "" when the MTA did not say,
 * as §4.1 asks), "version" (sift's version).
 */
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "ext/registry.h"
#include "vm/vm.h"

enum { SET_HOST, SET_DOMAIN };
static const struct sv_setting_info environment_settings[] = {
	[SET_HOST] = {"environment-host", "", SV_SETTING_TEXT, 0, 0, 0, "",
	              "the environment item \"host\" (RFC 5183): the host's fully-qualified name; "
	              "empty: the system's host name"},
	[SET_DOMAIN] = {"environment-domain", "", SV_SETTING_TEXT, 0, 0, 0, "",
	                "the environment item \"domain\" (RFC 5183): the primary DNS domain; empty: "
	                "the host name without its first label"},
	{NULL},
};

static const char *setting_text(struct sv_vm *vm, unsigned local)
{
	return vm->settings
	           ? sv_settings_text(vm->settings,
	                              sv_ext_setting_id(&sv_ext_environment_def, local))
	           : "";
}

static bool item_host(struct sv_vm *vm, struct sv_buf *out)
{
	const char *h = setting_text(vm, SET_HOST);
	if (*h) {
		sv_buf_puts(out, h);
		return true;
	}
	char name[256];
	if (gethostname(name, sizeof name - 1) != 0)
		return false;
	name[sizeof name - 1] = '\0';
	sv_buf_puts(out, name);
	return true;
}

static bool item_domain(struct sv_vm *vm, struct sv_buf *out)
{
	const char *d = setting_text(vm, SET_DOMAIN);
	if (*d) {
		sv_buf_puts(out, d);
		return true;
	}
	struct sv_buf host = SV_BUF_INIT;
	bool ok = item_host(vm, &host);
	const char *dot = ok && host.p ? strchr(host.p, '.') : NULL;
	/* a host name of one label says nothing of its domain */
	bool found = dot && dot[1];
	if (found)
		sv_buf_puts(out, dot + 1);
	sv_buf_free(&host);
	return found;
}

static bool item_location(struct sv_vm *vm, struct sv_buf *out)
{
	sv_buf_puts(out, "MDA");
	return true;
}

static bool item_name(struct sv_vm *vm, struct sv_buf *out)
{
	sv_buf_puts(out, "sift");
	return true;
}

static bool item_phase(struct sv_vm *vm, struct sv_buf *out)
{
	sv_buf_puts(out, "during");
	return true;
}

/* §4.1: "the empty string will be returned if ... this information cannot
   be obtained for the current client" */
static bool item_remote_host(struct sv_vm *vm, struct sv_buf *out)
{
	if (vm->env && vm->env->client_host)
		sv_buf_puts(out, vm->env->client_host);
	return true;
}

static bool item_remote_ip(struct sv_vm *vm, struct sv_buf *out)
{
	if (vm->env && vm->env->client_ip)
		sv_buf_puts(out, vm->env->client_ip);
	return true;
}

static bool item_version(struct sv_vm *vm, struct sv_buf *out)
{
	sv_buf_puts(out, PACKAGE_VERSION);
	return true;
}

static const struct sv_env_item_def it_domain = {"domain", item_domain};
static const struct sv_env_item_def it_host = {"host", item_host};
static const struct sv_env_item_def it_location = {"location", item_location};
static const struct sv_env_item_def it_name = {"name", item_name};
static const struct sv_env_item_def it_phase = {"phase", item_phase};
static const struct sv_env_item_def it_remote_host = {"remote-host", item_remote_host};
static const struct sv_env_item_def it_remote_ip = {"remote-ip", item_remote_ip};
static const struct sv_env_item_def it_version = {"version", item_version};
static const struct sv_env_item_def *const environment_items[] = {
	&it_domain, &it_host,      &it_location, &it_name, &it_phase, &it_remote_host,
	&it_remote_ip, &it_version, NULL,
};

/* The item called name among every extension's, or NULL. */
static const struct sv_env_item_def *find_item(const char *name, size_t len)
{
	for (size_t i = 0; i < sv_ext_count(); i++) {
		const struct sv_ext_def *e = sv_ext_at(i);
		for (size_t k = 0; e->env_items && e->env_items[k]; k++)
			if (strlen(e->env_items[k]->name) == len &&
			    memcmp(e->env_items[k]->name, name, len) == 0)
				return e->env_items[k];
	}
	return NULL;
}

/* §4: an item that does not exist fails the test for every key and match
 * type, without an error; with :count an item counts 0 when empty, else 1 */
static enum sv_status op_environment(struct sv_vm *vm, const struct sv_operands *ops)
{
	struct sv_str name;
	enum sv_status st = sv_vm_string(vm, ops->pos[0].idx, &name);
	if (st != SV_OK)
		return st;
	const struct sv_env_item_def *item = find_item(name.p, name.len);
	struct sv_buf val = SV_BUF_INIT;
	if (!item || !item->get(vm, &val)) {
		sv_buf_free(&val);
		vm->test = false;
		return SV_OK;
	}
	struct sv_matcher m;
	st = sv_match_begin(&m, vm, ops, ops->pos[1].idx);
	if (st == SV_OK && !(m.mt->count && val.len == 0))
		sv_match_value(&m, val.p ? val.p : "", val.len);
	sv_buf_free(&val);
	if (st != SV_OK)
		return st;
	return sv_match_end(&m, &vm->test);
}

static const struct sv_cmd_def environment_commands[] = {
	{"environment", SV_CMD_TEST, "sl", .flags = SV_CMDF_MATCHING, .op = 0},
	{NULL},
};

static const struct sv_op_def environment_ops[] = {
	{"environment", "slx", op_environment, NULL, true},
	{NULL},
};

struct sv_ext_def sv_ext_environment_def = {
	.name = "environment",
	.commands = environment_commands,
	.ops = environment_ops,
	.settings = environment_settings,
	.env_items = environment_items,
};
