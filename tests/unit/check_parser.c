/*
 * check_parser.c: unit tests of the Sieve parser (src/parser/grammar.y,
 * ast.c): RFC 5228 §8.2 generic grammar, error recovery, the nesting limit
 * (max-nesting-depth, limits.h).
 *
 * Table-driven: valid scripts are compared with their exact sv_ast_print
 * dump (format documented in ast.c); bad scripts with their exact list of
 * errors ("line:col: message" lines).
 */
#include <check.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/diag.h"
#include "parser/ast.h"

/* Parse src (copied to a buffer of its exact length, so ASan sees any
 * over-read); dump the tree into out and the errors into errs. */
static struct sv_ast *parse(struct sv_arena *a, const char *src, size_t len, unsigned max_nesting,
			    struct sv_buf *out, struct sv_buf *errs, char **copy_r)
{
	char *copy = malloc(len ? len : 1);
	ck_assert_ptr_nonnull(copy);
	memcpy(copy, src, len);
	struct sv_diags d;
	sv_diags_init(&d);
	struct sv_parse_options opts = {max_nesting};
	struct sv_ast *ast = sv_parse(a, "test.sieve", copy, len, &opts, &d);
	if (out)
		sv_ast_print(ast, out);
	if (errs)
		for (size_t i = 0; i < d.n; i++)
			sv_buf_printf(errs, "%u:%u: %s\n", d.v[i].loc.line, d.v[i].loc.col,
				      d.v[i].msg);
	/* sv_parse: NULL exactly when errors were reported */
	ck_assert_int_eq(ast == NULL, d.errors > 0);
	sv_diags_free(&d);
	*copy_r = copy;
	return ast;
}

struct ok_case {
	const char *name;
	const char *src;
	const char *dump;
};

static const struct ok_case ok_cases[] = {
	/* RFC 5228 §8.2: start = commands; commands = *command */
	{"empty script", "", ""},
	{"only comments", "# nothing\n/* at\n all */\n", ""},
	{"simple commands", "keep;\nstop ;", "command keep @1:1\ncommand stop @2:1\n"},
	/* argument = string-list / number / tag; a single string is a string,
	 * a bracketed list a list even with one element (§8.2) */
	{"single string vs list", "fileinto \"a\"; fileinto [\"a\"]; fileinto [\"a\", \"b\",\"c\"];",
	 "command fileinto @1:1\n  string \"a\"\ncommand fileinto @1:15\n  strlist [\"a\"]\n"
	 "command fileinto @1:31\n  strlist [\"a\", \"b\", \"c\"]\n"},
	{"arguments in order", "vacation :days 7 :subject \"s\" :addresses [\"a@b\"] \"reason\";",
	 "command vacation @1:1\n  tag :days\n  number 7\n  tag :subject\n  string \"s\"\n"
	 "  tag :addresses\n  strlist [\"a@b\"]\n  string \"reason\"\n"},
	/* §2.4.1 quantifiers */
	{"numbers", "x 0 1K 1M 1G;",
	 "command x @1:1\n  number 0\n  number 1024\n  number 1048576\n  number 1073741824\n"},
	/* §8.2: test = identifier arguments; arguments come before the test */
	{"test with arguments", "if header :is \"a\" [\"b\", \"c\"] {\n  fileinto \"x\";\n}",
	 "command if @1:1\n  test header @1:4\n    tag :is\n    string \"a\"\n"
	 "    strlist [\"b\", \"c\"]\n  block\n    command fileinto @2:3\n      string \"x\"\n"},
	{"test list", "if anyof (true, false) {}",
	 "command if @1:1\n  test anyof @1:4\n    testlist\n      test true @1:11\n"
	 "      test false @1:17\n  block\n"},
	{"test list of one", "if allof(true) {}",
	 "command if @1:1\n  test allof @1:4\n    testlist\n      test true @1:10\n  block\n"},
	{"not takes a test", "if not exists \"x\" { }",
	 "command if @1:1\n  test not @1:4\n    test exists @1:8\n      string \"x\"\n  block\n"},
	{"test list right after the command", "if (true) { keep; }",
	 "command if @1:1\n  testlist\n    test true @1:5\n  block\n    command keep @1:13\n"},
	{"test with arguments and test", "x :a 1 y \"z\";",
	 "command x @1:1\n  tag :a\n  number 1\n  test y @1:8\n    string \"z\"\n"},
	{"nested test lists",
	 "if anyof (not allof (header :is \"a\" \"b\", size :over 1K), exists \"c\") { stop; }",
	 "command if @1:1\n  test anyof @1:4\n    testlist\n      test not @1:11\n"
	 "        test allof @1:15\n          testlist\n            test header @1:22\n"
	 "              tag :is\n              string \"a\"\n              string \"b\"\n"
	 "            test size @1:42\n              tag :over\n              number 1024\n"
	 "      test exists @1:58\n        string \"c\"\n  block\n    command stop @1:72\n"},
	{"empty blocks and nesting", "if true { if false { } }",
	 "command if @1:1\n  test true @1:4\n  block\n    command if @1:11\n"
	 "      test false @1:14\n      block\n"},
	/* §2.4.2 text: strings print as text */
	{"multi-line strings", "reject text:\nline 1\n..line 2\n.\n;\nx [text:\na\n.\n, \"b\"];",
	 "command reject @1:1\n  text \"line 1\\r\\n.line 2\\r\\n\"\ncommand x @6:1\n"
	 "  strlist [text \"a\\r\\n\", \"b\"]\n"},
	{"escapes in the dump", "x \"q\\\"b\\\\\t\x01\xc3\xa9\";",
	 "command x @1:1\n  string \"q\\\"b\\\\\\t\\x01\xc3\xa9\"\n"},
	{"identifiers keep their case", "IF TRUE { Keep; }",
	 "command IF @1:1\n  test TRUE @1:4\n  block\n    command Keep @1:11\n"},
	/* RFC 5228 §3.1 example (if / elsif / else) */
	{"rfc 5228 3.1 example",
	 "if header :contains \"from\" \"coyote\" {\n"
	 "   discard;\n"
	 "} elsif header :contains [\"subject\"] [\"$$$\"] {\n"
	 "   discard;\n"
	 "} else {\n"
	 "   fileinto \"INBOX\";\n"
	 "}\n",
	 "command if @1:1\n  test header @1:4\n    tag :contains\n    string \"from\"\n"
	 "    string \"coyote\"\n  block\n    command discard @2:4\n"
	 "command elsif @3:3\n  test header @3:9\n    tag :contains\n    strlist [\"subject\"]\n"
	 "    strlist [\"$$$\"]\n  block\n    command discard @4:4\n"
	 "command else @5:3\n  block\n    command fileinto @6:4\n      string \"INBOX\"\n"},
	/* RFC 5228 §9 example (abridged) */
	{"rfc 5228 9 example",
	 "#\n# Example Sieve Filter\n# Declare any optional features or extension used by the script\n#\n"
	 "require [\"fileinto\"];\n\n"
	 "#\n# Handle messages from known mailing lists\n"
	 "# Move messages from IETF filter discussion list to filter mailbox\n#\n"
	 "if header :is \"Sender\" \"owner-ietf-mta-filters@imc.org\"\n"
	 "        {\n"
	 "        fileinto \"filter\";  # move to \"filter\" mailbox\n"
	 "        }\n"
	 "#\n# Keep all messages to or from people in my company\n#\n"
	 "elsif address :DOMAIN :is [\"From\", \"To\"] \"example.com\"\n"
	 "        {\n"
	 "        keep;               # keep in \"In\" mailbox\n"
	 "        }\n"
	 "#\n# Try and catch unsolicited email.  If a message is not to me,\n"
	 "# or it contains a subject known to be spam, file it away.\n#\n"
	 "elsif anyof (NOT address :all :contains\n"
	 "               [\"To\", \"Cc\", \"Bcc\"] \"me@example.com\",\n"
	 "             header :matches \"subject\"\n"
	 "               [\"*make*money*fast*\", \"*university*dipl*mas*\"])\n"
	 "        {\n"
	 "        fileinto \"spam\";   # move to \"spam\" mailbox\n"
	 "        }\n"
	 "else\n"
	 "        {\n"
	 "        fileinto \"personal\";\n"
	 "        }\n",
	 "command require @5:1\n  strlist [\"fileinto\"]\n"
	 "command if @11:1\n  test header @11:4\n    tag :is\n    string \"Sender\"\n"
	 "    string \"owner-ietf-mta-filters@imc.org\"\n  block\n"
	 "    command fileinto @13:9\n      string \"filter\"\n"
	 "command elsif @18:1\n  test address @18:7\n    tag :DOMAIN\n    tag :is\n"
	 "    strlist [\"From\", \"To\"]\n    string \"example.com\"\n  block\n"
	 "    command keep @20:9\n"
	 "command elsif @26:1\n  test anyof @26:7\n    testlist\n      test NOT @26:14\n"
	 "        test address @26:18\n          tag :all\n          tag :contains\n"
	 "          strlist [\"To\", \"Cc\", \"Bcc\"]\n          string \"me@example.com\"\n"
	 "      test header @28:14\n        tag :matches\n        string \"subject\"\n"
	 "        strlist [\"*make*money*fast*\", \"*university*dipl*mas*\"]\n  block\n"
	 "    command fileinto @31:9\n      string \"spam\"\n"
	 "command else @33:1\n  block\n    command fileinto @35:9\n      string \"personal\"\n"},
};

START_TEST(test_parse_ok)
{
	const struct ok_case *c = &ok_cases[_i];
	struct sv_arena *a = sv_arena_new();
	struct sv_buf out = SV_BUF_INIT, errs = SV_BUF_INIT;
	char *copy;
	struct sv_ast *ast = parse(a, c->src, strlen(c->src), 0, &out, &errs, &copy);
	ck_assert_msg(ast != NULL, "%s: errors:\n%s", c->name, errs.p ? errs.p : "");
	const char *got = out.p ? out.p : "";
	ck_assert_msg(strcmp(got, c->dump) == 0, "%s:\n--- got:\n%s--- want:\n%s", c->name, got,
		      c->dump);
	sv_buf_free(&out);
	sv_buf_free(&errs);
	sv_arena_free(a);
	free(copy);
}
END_TEST

struct bad_case {
	const char *name;
	const char *src;
	const char *errors;
};

static const struct bad_case bad_cases[] = {
	{"missing semicolon", "if true { stop }\n",
	 "1:16: syntax error: unexpected '}', expecting ';' or '{'\n"},
	{"missing semicolon at the end", "keep",
	 "1:5: syntax error: unexpected end of file, expecting ';' or '{'\n"},
	{"unclosed block", "if true {\n  keep;\n",
	 "3:1: syntax error: unexpected end of file, expecting identifier or '}'\n"},
	{"stray closing brace", "keep;\n}\nstop;",
	 "2:1: syntax error: unexpected '}', expecting end of file or identifier\n"},
	{"list without comma", "fileinto [\"a\" \"b\"];",
	 "1:15: syntax error: unexpected string, expecting ',' or ']'\n"},
	{"empty list", "fileinto [];", "1:11: syntax error: unexpected ']', expecting string\n"},
	{"number in list", "x [\"a\", 1];", "1:9: syntax error: unexpected number, expecting string\n"},
	{"empty test list", "if anyof () {}",
	 "1:11: syntax error: unexpected ')', expecting identifier\n"},
	{"trailing comma in test list", "if anyof (true, ) {}",
	 "1:17: syntax error: unexpected ')', expecting identifier\n"},
	{"argument after test list", "if anyof(true) \"x\" {}",
	 "1:16: syntax error: unexpected string, expecting ';' or '{'\n"},
	{"tag starts a command", ":is;", "1:1: syntax error: unexpected tag ':is', expecting end of file or identifier\n"},
	{"identifier in error", "if anyof(true) stop;",
	 "1:16: syntax error: unexpected identifier 'stop', expecting ';' or '{'\n"},
	{"double semicolon", "keep;;",
	 "1:6: syntax error: unexpected ';', expecting end of file or identifier\n"},
	/* error recovery: two independent mistakes, two errors (and the
	 * commands between them still parse) */
	{"two mistakes",
	 "require \"fileinto\";\n"
	 "if header :is \"a\" \"b\" { fileinto \"x\" }\n"
	 "keep;\n"
	 "fileinto [\"a\" \"b\"];\n"
	 "stop;\n",
	 "2:38: syntax error: unexpected '}', expecting ';' or '{'\n"
	 "4:15: syntax error: unexpected string, expecting ',' or ']'\n"},
	{"mistakes in nested blocks",
	 "if true {\n  if false {\n    keep\n  }\n  stop;\n}\nif true {\n  discard;;\n}\n",
	 "4:3: syntax error: unexpected '}', expecting ';' or '{'\n"
	 "8:11: syntax error: unexpected ';', expecting identifier or '}'\n"},
	{"mistake in a test list then in a block",
	 "if anyof(true, ) { keep; }\nif true { stop }\n",
	 "1:16: syntax error: unexpected ')', expecting identifier\n"
	 "2:16: syntax error: unexpected '}', expecting ';' or '{'\n"},
	{"three mistakes", "a [;\nb (;\nc ];\n",
	 "1:4: syntax error: unexpected ';', expecting string\n"
	 "2:4: syntax error: unexpected ';', expecting identifier\n"
	 "3:3: syntax error: unexpected ']', expecting ';' or '{'\n"},
	/* lexical errors do not also cause syntax errors */
	{"unterminated string", "fileinto \"abc;\n",
	 "1:10: unterminated string\n"},
	{"unterminated comment", "keep; /* abc", "1:7: unterminated comment\n"},
	{"unterminated text", "reject text:\nabc\n", "1:8: unterminated multi-line string (missing '.' line)\n"},
	{"bad utf-8 string", "fileinto \"\xff\"; keep;", "1:10: invalid UTF-8 in string\n"},
	{"unexpected character", "keep; @ stop;", "1:7: unexpected character '@'\n"},
	{"number too large", "x 99999999999999999999;", "1:3: number too large\n"},
	{"nul byte", "keep;\n\0stop;", "2:1: nul byte in script\n"},
};

START_TEST(test_parse_bad)
{
	const struct bad_case *c = &bad_cases[_i];
	struct sv_arena *a = sv_arena_new();
	struct sv_buf errs = SV_BUF_INIT;
	char *copy;
	/* the nul-byte case has an embedded NUL: its length is the source's */
	size_t len = strlen(c->src);
	if (strcmp(c->name, "nul byte") == 0)
		len = 12;
	struct sv_ast *ast = parse(a, c->src, len, 0, NULL, &errs, &copy);
	ck_assert_msg(ast == NULL, "%s: parsed", c->name);
	const char *got = errs.p ? errs.p : "";
	ck_assert_msg(strcmp(got, c->errors) == 0, "%s:\n--- got:\n%s--- want:\n%s", c->name, got,
		      c->errors);
	sv_buf_free(&errs);
	sv_arena_free(a);
	free(copy);
}
END_TEST

/* Locations: a command's end is its ';' or closing '}'; a string list's
 * location covers the brackets on one line. */
START_TEST(test_parse_locations)
{
	struct sv_arena *a = sv_arena_new();
	char *copy;
	const char *src = "keep ;\nif true {\n  stop;\n  }\nx [\"a\",  \"b\"] \"c\";";
	struct sv_ast *ast = parse(a, src, strlen(src), 0, NULL, NULL, &copy);
	ck_assert_ptr_nonnull(ast);
	ck_assert_uint_eq(ast->ncommands, 3);
	ck_assert_str_eq(ast->file, "test.sieve");
	ck_assert_ptr_eq(ast->src, copy);
	ck_assert_uint_eq(ast->srclen, strlen(src));
	const struct sv_ast_node *keep = ast->commands;
	ck_assert_uint_eq(keep->loc.line, 1);
	ck_assert_uint_eq(keep->loc.col, 1);
	ck_assert_uint_eq(keep->loc.width, 4);
	ck_assert_uint_eq(keep->end.line, 1);
	ck_assert_uint_eq(keep->end.col, 6);
	ck_assert(!keep->has_block);
	const struct sv_ast_node *ifn = keep->next;
	ck_assert_str_eq(ifn->id, "if");
	ck_assert(ifn->has_block);
	ck_assert_uint_eq(ifn->nblock, 1);
	ck_assert_uint_eq(ifn->ntests, 1);
	ck_assert(!ifn->test_list);
	ck_assert_uint_eq(ifn->end.line, 4);
	ck_assert_uint_eq(ifn->end.col, 3);
	ck_assert_uint_eq(ifn->block->end.line, 3);
	ck_assert_uint_eq(ifn->block->end.col, 7);
	const struct sv_ast_node *x = ifn->next;
	ck_assert_ptr_null(x->next);
	ck_assert_uint_eq(x->nargs, 2);
	const struct sv_ast_arg *l = x->args;
	ck_assert_int_eq(l->kind, SV_AST_STRLIST);
	ck_assert_uint_eq(l->loc.line, 5);
	ck_assert_uint_eq(l->loc.col, 3);
	ck_assert_uint_eq(l->loc.width, 11);
	ck_assert_uint_eq(l->nstrs, 2);
	ck_assert_uint_eq(l->strs[1].loc.col, 10);
	ck_assert_str_eq(l->strs[1].s, "b");
	const struct sv_ast_arg *s = l->next;
	ck_assert_int_eq(s->kind, SV_AST_STRING);
	ck_assert_uint_eq(s->nstrs, 1);
	ck_assert_uint_eq(s->strs[0].len, 1);
	ck_assert_uint_eq(s->loc.col, 15);
	ck_assert_ptr_null(s->next);
	sv_arena_free(a);
	free(copy);
}
END_TEST

/* Nesting limit (limits.h max-nesting-depth, default 32): blocks and tests
 * count; deep scripts get one clean error, never a stack overflow. */
static void repeat(struct sv_buf *b, const char *s, int n)
{
	for (int i = 0; i < n; i++)
		sv_buf_puts(b, s);
}

struct deep_case {
	const char *name;
	const char *open, *middle, *close;
	int n;
	unsigned max;
	const char *errors; /* NULL: must parse */
};

static const struct deep_case deep_cases[] = {
	{"32 blocks", "if true {", "", "}", 32, 0, NULL},
	{"33 blocks", "if true {", "", "}", 33, 0,
	 "1:292: nesting too deep (more than 32 levels)\n"},
	{"100000 blocks", "if true {", "", "}", 100000, 0,
	 "1:292: nesting too deep (more than 32 levels)\n"},
	{"31 nots", "not ", "if ", "true;", 31, 0, NULL},
	{"32 nots", "not ", "if ", "true;", 32, 0,
	 "1:132: nesting too deep (more than 32 levels)\n"},
	{"100000 nots", "not ", "if ", "true;", 100000, 0,
	 "1:132: nesting too deep (more than 32 levels)\n"},
	{"100000 test lists", "anyof(", "if ", ")", 100000, 0,
	 "1:196: nesting too deep (more than 32 levels)\n"},
	{"limit option", "if true {", "", "}", 3, 2, "1:22: nesting too deep (more than 2 levels)\n"},
	{"limit option ok", "if true {", "", "}", 2, 2, NULL},
};

START_TEST(test_parse_deep)
{
	const struct deep_case c = deep_cases[_i];
	struct sv_buf src = SV_BUF_INIT;
	/* middle goes first: "if " then the repeated opening */
	sv_buf_puts(&src, c.middle);
	repeat(&src, c.open, c.n);
	if (strcmp(c.open, "if true {") == 0)
		repeat(&src, c.close, c.n);
	else if (strcmp(c.open, "not ") == 0)
		sv_buf_puts(&src, "true {}");
	else
		sv_buf_puts(&src, "true");
	if (strcmp(c.open, "anyof(") == 0) {
		repeat(&src, c.close, c.n);
		sv_buf_puts(&src, " {}");
	}
	struct sv_arena *a = sv_arena_new();
	struct sv_buf errs = SV_BUF_INIT;
	char *copy;
	struct sv_ast *ast = parse(a, src.p, src.len, c.max, NULL, &errs, &copy);
	if (!c.errors) {
		ck_assert_msg(ast != NULL, "%s: %s", c.name, errs.p);
	} else {
		ck_assert_ptr_null(ast);
		ck_assert_msg(errs.p && strcmp(errs.p, c.errors) == 0, "%s: got %s", c.name,
			      errs.p ? errs.p : "");
	}
	sv_buf_free(&errs);
	sv_buf_free(&src);
	sv_arena_free(a);
	free(copy);
}
END_TEST

/* Garbage nesting ("{{{{..." with no commands) is a syntax error and then
 * hits the limit; it must end cleanly, with few errors. */
START_TEST(test_parse_deep_garbage)
{
	static const char *const opens[] = {"{", "(", "[", "if (", "x {{"};
	for (size_t i = 0; i < sizeof opens / sizeof opens[0]; i++) {
		struct sv_buf src = SV_BUF_INIT;
		repeat(&src, opens[i], 100000);
		struct sv_arena *a = sv_arena_new();
		struct sv_diags d;
		sv_diags_init(&d);
		struct sv_ast *ast = sv_parse(a, NULL, src.p, src.len, NULL, &d);
		ck_assert_ptr_null(ast);
		/* each "{{" is a mistake of its own until the limit stops it */
		ck_assert_msg(d.errors >= 1 && d.errors <= 33, "%s: %zu errors", opens[i],
			      d.errors);
		sv_diags_free(&d);
		sv_buf_free(&src);
		sv_arena_free(a);
	}
}
END_TEST

/* Error recovery pops open blocks and tests: their levels must be given
 * back, or later valid nesting would be refused. */
START_TEST(test_parse_recovery_depth)
{
	struct sv_buf src = SV_BUF_INIT;
	repeat(&src, "if anyof(not true, ) {}\n", 20);
	repeat(&src, "if true { if allof(true ( }\n", 20);
	repeat(&src, "if true {", 32);
	repeat(&src, "}", 32);
	struct sv_arena *a = sv_arena_new();
	struct sv_diags d;
	sv_diags_init(&d);
	d.max_errors = 1000;
	struct sv_ast *ast = sv_parse(a, NULL, src.p, src.len, NULL, &d);
	ck_assert_ptr_null(ast);
	ck_assert_uint_eq(d.errors, 40);
	for (size_t i = 0; i < d.n; i++)
		ck_assert_msg(strstr(d.v[i].msg, "nesting") == NULL, "%u:%u: %s", d.v[i].loc.line,
			      d.v[i].loc.col, d.v[i].msg);
	sv_diags_free(&d);
	sv_buf_free(&src);
	sv_arena_free(a);
}
END_TEST

/* One run reports many errors, up to the diagnostics cap. */
START_TEST(test_parse_many_errors)
{
	struct sv_buf src = SV_BUF_INIT;
	repeat(&src, "keep }\n", 100);
	struct sv_arena *a = sv_arena_new();
	struct sv_diags d;
	sv_diags_init(&d);
	struct sv_ast *ast = sv_parse(a, NULL, src.p, src.len, NULL, &d);
	ck_assert_ptr_null(ast);
	ck_assert_uint_eq(d.errors, 100);
	ck_assert(d.truncated);
	ck_assert_uint_eq(d.v[1].loc.line, 2);
	sv_diags_free(&d);
	sv_buf_free(&src);
	sv_arena_free(a);
}
END_TEST

static Suite *parser_suite(void)
{
	Suite *s = suite_create("parser");
	TCase *tc = tcase_create("grammar");
	tcase_add_loop_test(tc, test_parse_ok, 0, (int)(sizeof ok_cases / sizeof ok_cases[0]));
	tcase_add_loop_test(tc, test_parse_bad, 0, (int)(sizeof bad_cases / sizeof bad_cases[0]));
	tcase_add_test(tc, test_parse_locations);
	suite_add_tcase(s, tc);
	TCase *deep = tcase_create("nesting");
	tcase_set_timeout(deep, 30);
	tcase_add_loop_test(deep, test_parse_deep, 0,
			    (int)(sizeof deep_cases / sizeof deep_cases[0]));
	tcase_add_test(deep, test_parse_deep_garbage);
	tcase_add_test(deep, test_parse_many_errors);
	tcase_add_test(deep, test_parse_recovery_depth);
	suite_add_tcase(s, deep);
	return s;
}

int main(void)
{
	setlocale(LC_ALL, "");
	SRunner *sr = srunner_create(parser_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
