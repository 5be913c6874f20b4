// SPDX-License-Identifier: GPL-2.0-only
// RAII owners for the libcxl / libndctl / libdaxctl library contexts.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

#include <cxl/libcxl.h>
#include <daxctl/libdaxctl.h>
#include <ndctl/libndctl.h>

namespace daxpool {

namespace detail {
template <auto Fn> struct Unref {
	template <typename T> void operator()(T *p) const noexcept { Fn(p); }
};
template <typename T, auto New, auto Unref_> std::unique_ptr<T, Unref<Unref_>> open_ctx(const char *lib)
{
	T *raw = nullptr;
	int rc = New(&raw);
	if (rc < 0 || !raw)
		throw std::runtime_error(std::string(lib) + ": cannot create a library context (error " +
					 std::to_string(rc) + ")");
	return std::unique_ptr<T, Unref<Unref_>>(raw);
}
} // namespace detail

using CxlCtx = std::unique_ptr<cxl_ctx, detail::Unref<cxl_unref>>;
using NdctlCtx = std::unique_ptr<ndctl_ctx, detail::Unref<ndctl_unref>>;
using DaxctlCtx = std::unique_ptr<daxctl_ctx, detail::Unref<daxctl_unref>>;

inline CxlCtx open_cxl() { return detail::open_ctx<cxl_ctx, cxl_new, cxl_unref>("libcxl"); }
inline NdctlCtx open_ndctl() { return detail::open_ctx<ndctl_ctx, ndctl_new, ndctl_unref>("libndctl"); }
inline DaxctlCtx open_daxctl() { return detail::open_ctx<daxctl_ctx, daxctl_new, daxctl_unref>("libdaxctl"); }

} // namespace daxpool
