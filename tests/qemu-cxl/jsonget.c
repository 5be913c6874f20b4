// SPDX-License-Identifier: GPL-2.0-only
/*
 * jsonget PATH [FILE]: print one value of a JSON document (stdin or FILE), for guest scenarios
 * that check `daxpool ... --json` output (the guest has no jq or python).
 * PATH: keys and array indexes separated by dots ("devices.0.pool"); a trailing ".#" prints an
 * array's length; "." prints the whole document. Strings print bare, everything else as JSON.
 * Exit 1 when the path does not exist, 2 when the input is not JSON.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: jsonget PATH [FILE]\n");
		return 2;
	}
	json_object *root = argc == 3 ? json_object_from_file(argv[2]) : NULL;
	if (argc == 2) {
		static char buf[1 << 20];
		size_t n = fread(buf, 1, sizeof buf - 1, stdin);
		buf[n] = 0;
		root = json_tokener_parse(buf);
	}
	if (!root) {
		fprintf(stderr, "jsonget: input is not JSON\n");
		return 2;
	}
	json_object *cur = root;
	char *path = strdup(argv[1]);
	for (char *tok = strtok(path, "."); tok; tok = strtok(NULL, ".")) {
		if (!strcmp(tok, "#")) {
			if (!json_object_is_type(cur, json_type_array))
				return 1;
			printf("%zu\n", json_object_array_length(cur));
			return 0;
		}
		json_object *next = NULL;
		if (json_object_is_type(cur, json_type_array)) {
			char *end;
			long i = strtol(tok, &end, 10);
			if (*end || i < 0 || (size_t)i >= json_object_array_length(cur))
				return 1;
			next = json_object_array_get_idx(cur, (size_t)i);
		} else if (!json_object_object_get_ex(cur, tok, &next)) {
			return 1;
		}
		cur = next;
	}
	if (json_object_is_type(cur, json_type_string))
		printf("%s\n", json_object_get_string(cur));
	else
		printf("%s\n", json_object_to_json_string_ext(cur, JSON_C_TO_STRING_PLAIN));
	return 0;
}
