/*
 * The option parser. Table-driven rather than getopt_long because getopt
 * keeps global state, permutes argv and prints its own messages, while we
 * want docker's messages and one parser shared by every command.
 */
#include <errno.h>
#include <string.h>

#include "cli.h"
#include "flags.h"
#include "output.h"

void string_list_add(struct string_list *list, const char *item)
{
	list->items = xrealloc(list->items, (list->count + 2) * sizeof *list->items);
	list->items[list->count++] = item;
	list->items[list->count] = NULL;
}

void string_list_free(struct string_list *list)
{
	free(list->items);
	list->items = NULL;
	list->count = 0;
}

static const struct flag *find_long(const struct command_spec *spec, const char *name, size_t length)
{
	for (const struct flag *flag = spec->flags; flag != NULL && flag->long_name != NULL; flag++)
		if (strlen(flag->long_name) == length && strncmp(flag->long_name, name, length) == 0)
			return flag;
	return NULL;
}

static const struct flag *find_short(const struct command_spec *spec, char name)
{
	for (const struct flag *flag = spec->flags; flag != NULL && flag->long_name != NULL; flag++)
		if (flag->short_name == name)
			return flag;
	return NULL;
}

/* "containerv: <problem>: <word> (see 'containerv run --help')" */
static int flag_error(const struct command_spec *spec, const char *problem, const char *word)
{
	fprintf(stderr, "containerv: %s: %s (see 'containerv %s --help')\n", problem, word, spec->name);
	return -1;
}

/* Stores one value; text is NULL for a boolean given without "=". */
static int flag_store(const struct command_spec *spec, const struct flag *flag, const char *shown, const char *text)
{
	switch (flag->kind) {
	case FLAG_BOOL:
		if (text == NULL || strcmp(text, "true") == 0 || strcmp(text, "1") == 0)
			*(int *)flag->value = 1;
		else if (strcmp(text, "false") == 0 || strcmp(text, "0") == 0)
			*(int *)flag->value = 0;
		else
			return flag_error(spec, "invalid boolean value for", shown);
		return 0;
	case FLAG_STRING:
		*(const char **)flag->value = text;
		return 0;
	case FLAG_LIST:
		string_list_add(flag->value, text);
		return 0;
	}
	return 0;
}

/* "--name", "--name=value" or "--name value"; returns how many words were used, or -1. */
static int parse_long(const struct command_spec *spec, int argc, char **argv, int index)
{
	const char *name = argv[index] + 2;
	const char *equals = strchr(name, '=');
	size_t length = equals != NULL ? (size_t)(equals - name) : strlen(name);
	const struct flag *flag = find_long(spec, name, length);

	if (flag == NULL)
		return flag_error(spec, "unknown flag", argv[index]);
	if (flag->kind == FLAG_BOOL)
		return flag_store(spec, flag, argv[index], equals != NULL ? equals + 1 : NULL) < 0 ? -1 : 1;
	if (equals != NULL)
		return flag_store(spec, flag, argv[index], equals + 1) < 0 ? -1 : 1;
	if (index + 1 >= argc)
		return flag_error(spec, "flag needs an argument", argv[index]);
	return flag_store(spec, flag, argv[index], argv[index + 1]) < 0 ? -1 : 2;
}

/* "-it", "-eK=V", "-e K=V", "-dit --name x"; returns how many words were used, or -1. */
static int parse_short_group(const struct command_spec *spec, int argc, char **argv, int index)
{
	const char *group = argv[index] + 1;

	for (size_t i = 0; group[i] != '\0'; i++) {
		const struct flag *flag = find_short(spec, group[i]);
		char shown[3] = {'-', group[i], '\0'};

		if (flag == NULL)
			return flag_error(spec, "unknown shorthand flag", shown);
		if (flag->kind == FLAG_BOOL) {
			flag_store(spec, flag, shown, NULL);
			continue;
		}
		/* A value flag takes the rest of the group, or the next word. */
		if (group[i + 1] != '\0')
			return flag_store(spec, flag, shown, group + i + 1 + (group[i + 1] == '=')) < 0 ? -1 : 1;
		if (index + 1 >= argc)
			return flag_error(spec, "flag needs an argument", shown);
		return flag_store(spec, flag, shown, argv[index + 1]) < 0 ? -1 : 2;
	}
	return 1;
}

static bool is_help(const struct command_spec *spec, const char *word)
{
	if (strcmp(word, "--help") == 0)
		return true;
	/* -h is help only where no flag claims it (run uses it for --hostname). */
	return strcmp(word, "-h") == 0 && find_short(spec, 'h') == NULL;
}

enum flags_result flags_parse(const struct command_spec *spec, int argc, char **argv, struct arguments *positional)
{
	bool options_ended = false;
	int index = 1;

	positional->items = xmalloc((size_t)(argc + 1) * sizeof *positional->items);
	positional->count = 0;
	while (index < argc) {
		const char *word = argv[index];
		int used;

		if (options_ended || word[0] != '-' || word[1] == '\0') {
			positional->items[positional->count++] = argv[index++];
			if (spec->stop_at_positional)
				options_ended = true;
			continue;
		}
		if (strcmp(word, "--") == 0) {
			options_ended = true;
			index++;
			continue;
		}
		if (is_help(spec, word)) {
			flags_usage(spec, stdout);
			goto stop;
		}
		used = word[1] == '-' ? parse_long(spec, argc, argv, index)
		                      : parse_short_group(spec, argc, argv, index);
		if (used < 0)
			goto fail;
		index += used;
	}
	positional->items[positional->count] = NULL;
	if (positional->count < spec->min_arguments) {
		fprintf(stderr, "containerv: \"%s\" requires at least %zu argument%s (see 'containerv %s --help')\n",
		        spec->name, spec->min_arguments, spec->min_arguments == 1 ? "" : "s", spec->name);
		goto fail;
	}
	if (spec->max_arguments != 0 && positional->count > spec->max_arguments) {
		fprintf(stderr, "containerv: \"%s\" accepts at most %zu argument%s (see 'containerv %s --help')\n",
		        spec->name, spec->max_arguments, spec->max_arguments == 1 ? "" : "s", spec->name);
		goto fail;
	}
	return FLAGS_OK;
stop:
	free(positional->items);
	positional->items = NULL;
	return FLAGS_HELP;
fail:
	free(positional->items);
	positional->items = NULL;
	return FLAGS_ERROR;
}

void flags_usage(const struct command_spec *spec, FILE *out)
{
	fprintf(out, "Usage:  containerv %s %s\n\n%s\n", spec->name, spec->usage, spec->summary);
	if (spec->flags != NULL && spec->flags[0].long_name != NULL)
		fprintf(out, "\nOptions:\n");
	for (const struct flag *flag = spec->flags; flag != NULL && flag->long_name != NULL; flag++) {
		char left[96];
		int length;

		if (flag->short_name != 0)
			length = snprintf(left, sizeof left, "  -%c, --%s", flag->short_name, flag->long_name);
		else
			length = snprintf(left, sizeof left, "      --%s", flag->long_name);
		if (flag->kind != FLAG_BOOL && length > 0 && (size_t)length < sizeof left)
			snprintf(left + length, sizeof left - (size_t)length, " %s",
			         flag->value_name != NULL ? flag->value_name : "string");
		fprintf(out, "%-30s %s\n", left, flag->help);
	}
	if (spec->notes != NULL)
		fprintf(out, "\n%s\n", spec->notes);
}

int flags_parse_or_exit(const struct command_spec *spec, int argc, char **argv, struct arguments *positional)
{
	switch (flags_parse(spec, argc, argv, positional)) {
	case FLAGS_OK:
		return -1;
	case FLAGS_HELP:
		return 0;
	case FLAGS_ERROR:
		break;
	}
	return EXIT_CLI_ERROR;
}

static void subcommand_usage(const char *group, const char *summary, const struct subcommand *commands, size_t count,
                             FILE *out)
{
	fprintf(out, "Usage:  containerv %s COMMAND\n\n%s\n\nCommands:\n", group, summary);
	for (size_t i = 0; i < count; i++)
		fprintf(out, "  %-11s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\nRun 'containerv %s COMMAND --help' for more information on a command.\n", group);
}

int subcommand_dispatch(const char *group, const char *summary, const struct subcommand *commands, size_t count,
                        int argc, char **argv)
{
	const char *name;

	if (argc < 2) {
		subcommand_usage(group, summary, commands, count, stderr);
		return EXIT_CLI_ERROR;
	}
	name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
		subcommand_usage(group, summary, commands, count, stdout);
		return 0;
	}
	if (strcmp(name, "list") == 0)
		name = "ls";
	else if (strcmp(name, "remove") == 0)
		name = "rm";
	for (size_t i = 0; i < count; i++)
		if (strcmp(commands[i].name, name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	return cli_fail(EXIT_CLI_ERROR, "'%s' is not a containerv %s command (see 'containerv %s --help')", argv[1],
	                group, group);
}

int arguments_for_each(const struct arguments *positional, int (*action)(const char *argument, void *user), void *user)
{
	int code = 0;

	for (size_t i = 0; i < positional->count; i++)
		if (action(positional->items[i], user) < 0)
			code = EXIT_CONTAINER_FAILURE;
	return code;
}
