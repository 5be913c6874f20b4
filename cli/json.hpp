// SPDX-License-Identifier: GPL-2.0-only
// The CLI's one JSON helper: owned json-c objects and ndctl-style printing.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <json-c/json.h>

namespace daxpool::cli {

struct JsonPut {
	void operator()(json_object *o) const noexcept { json_object_put(o); }
};
using Json = std::unique_ptr<json_object, JsonPut>;

inline Json json_obj() { return Json(json_object_new_object()); }
inline Json json_arr() { return Json(json_object_new_array()); }

// Adders take ownership of the value.
inline void add(json_object *o, const char *key, Json v) { json_object_object_add(o, key, v.release()); }
inline void add(json_object *o, const char *key, const std::string &s)
{
	json_object_object_add(o, key, json_object_new_string(s.c_str()));
}
inline void add(json_object *o, const char *key, const char *s) { add(o, key, std::string(s)); }
inline void add(json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}
inline void add(json_object *o, const char *key, unsigned v) { add(o, key, static_cast<uint64_t>(v)); }
inline void add(json_object *o, const char *key, bool v) { json_object_object_add(o, key, json_object_new_boolean(v)); }
inline void push(json_object *arr, Json v) { json_object_array_add(arr, v.release()); }

// Sizes: a number, or with human=true (ndctl's -u) a string such as "4.00 GiB".
void add_size(json_object *o, const char *key, uint64_t bytes, bool human);

// Pretty-printed, one trailing newline, to stdout.
void print(json_object *o);

} // namespace daxpool::cli
