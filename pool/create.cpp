// SPDX-License-Identifier: GPL-2.0-only
#include "pool/create.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include <algorithm>
#include <cerrno>
#include <ctime>

#include "lib/util/fd.hpp"
#include "lib/util/size.hpp"
#include "pool/catalog.hpp"
#include "pool/error.hpp"
#include "pool/lock.hpp"
#include "pool/layout.hpp"
#include "pool/names.hpp"
#include "pool/probe.hpp"
#include "pool/shmem.hpp"

namespace daxpool::pool {

Uuid random_uuid()
{
	uuid_t r;
	::uuid_generate_random(r); // version 4, from the kernel's random source
	Uuid u;
	std::copy(std::begin(r), std::end(r), u.begin());
	return u;
}

std::string check_pool_size(uint64_t size)
{
	if (size >= MIN_POOL_SIZE && size % EXTENT_ALIGN == 0)
		return {};
	if (size < MIN_POOL_SIZE)
		return "a pool needs at least " + util::format_size(MIN_POOL_SIZE) + " (2 MiB of header and one 2 MiB extent)";
	uint64_t lo = size / EXTENT_ALIGN * EXTENT_ALIGN;
	return "a pool size must be a multiple of 2 MiB (nearest valid sizes: " + util::format_size(lo) + " = " +
	       std::to_string(lo) + " or " + util::format_size(lo + EXTENT_ALIGN) + " = " +
	       std::to_string(lo + EXTENT_ALIGN) + ")";
}

PoolSuper format_pool(Backend &b, uint64_t size, const std::string &name, const Uuid &uuid, const RegionRecord *rec)
{
	Shared sh(b);
	b.reserve(0, DATA_OFF);
	PoolSuper sb = make_super(uuid, name, size, static_cast<int64_t>(std::time(nullptr)));
	// 1. The whole header zeroed (no superblock, empty host table), then every catalog slot
	//    given a FREE copy 0.
	sh.zero(0, DATA_OFF);
	Catalog cat(sh, sb);
	for (uint32_t i = 0; i < sb.catalog_slots; i++)
		cat.format_slot(i, false);
	if (rec)
		sh.write_obj(REGION_RECORD_OFF, *rec);
	sh.persist(0, DATA_OFF);
	// 2. Backup, then primary superblock: the pool exists once either copy is complete.
	write_supers(sh, sb);
	return sb;
}

CreateResult create_file_pool(const CreateOptions &o)
{
	if (auto why = check_pool_size(o.size); !why.empty())
		throw Error("--size " + std::to_string(o.size) + ": " + why);
	std::string name = o.name;
	if (name.empty()) {
		name = o.path.substr(o.path.find_last_of('/') + 1);
		if (!valid_name(name))
			name = "pool";
	}
	if (!valid_name(name))
		throw Error("--name '" + name + "' is not a valid pool name (" + std::string(name_rules) + ")");

	struct stat st;
	bool existed = ::stat(o.path.c_str(), &st) == 0;
	if (!existed && errno != ENOENT)
		throw_errno("cannot stat " + o.path, errno);
	if (existed) {
		if (!S_ISREG(st.st_mode))
			throw Error(o.path + " is not a regular file (a pool on a device: daxpool create --device " + o.path + ")");
		if (st.st_size > 0 && !o.force) {
			std::string sig = probe_signature(o.path);
			throw Error(o.path + (sig.empty() ? " exists and is not empty" : " holds " + sig) +
				    "; refusing to overwrite it without --force");
		}
	}
	util::Fd fd(::open(o.path.c_str(), O_RDWR | O_CLOEXEC | (existed ? 0 : O_CREAT | O_EXCL), 0644));
	if (!fd)
		throw_errno("cannot create " + o.path, errno);
	// Never re-create a pool under a running writer (load, unload, fsck --repair): held until
	// the new pool is complete, so a writer that was waiting sees the new identity and stops.
	WriterLock lock = WriterLock::try_lock(o.path);
	if (!lock.held())
		throw Error(o.path + " is in use by a daxpool writer (load, unload or fsck --repair); "
			    "refusing to re-create it now");
	// Anything that fails from here on removes a file we created.
	struct Cleanup {
		const std::string &path;
		bool armed;
		~Cleanup()
		{
			if (armed)
				::unlink(path.c_str());
		}
	} cleanup{o.path, !existed};
	if (::ftruncate(fd.get(), 0) < 0 || ::ftruncate(fd.get(), static_cast<off_t>(o.size)) < 0)
		throw_errno("cannot size " + o.path + " to " + std::to_string(o.size) + " bytes", errno);
	fd.reset();
	auto b = open_file_backend(o.path, Access::ReadWrite);
	Uuid uuid = random_uuid();
	PoolSuper sb = format_pool(*b, o.size, name, uuid);
	cleanup.armed = false;
	return {uuid, name, o.size, sb.catalog_slots};
}

} // namespace daxpool::pool
