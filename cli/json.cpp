// SPDX-License-Identifier: GPL-2.0-only
#include "cli/json.hpp"

#include <cstdio>

#include "lib/util/size.hpp"

namespace daxpool::cli {

void add_size(json_object *o, const char *key, uint64_t bytes, bool human)
{
	if (human)
		add(o, key, util::format_size(bytes));
	else
		add(o, key, bytes);
}

void print(json_object *o)
{
	std::puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
							  JSON_C_TO_STRING_NOSLASHESCAPE));
}

} // namespace daxpool::cli
