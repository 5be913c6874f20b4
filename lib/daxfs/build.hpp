// SPDX-License-Identifier: GPL-2.0-only
// daxpool build: a directory tree, a tar archive, tar layers or an OCI image into a daxfs image
// (docs/format.md).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace daxpool::daxfs {

// The root directory's xattrs that record an image built from an OCI layout (docs/format.md,
// "Source"): the digest index.json names and its tag; through a multi-platform index, also the
// platform chosen and its manifest's digest.
inline constexpr const char *xattr_oci_digest = "user.daxpool.oci.digest";
inline constexpr const char *xattr_oci_ref = "user.daxpool.oci.ref";
inline constexpr const char *xattr_oci_platform = "user.daxpool.oci.platform";
inline constexpr const char *xattr_oci_manifest = "user.daxpool.oci.manifest";

struct BuildOptions {
	std::string source;       // a directory, or a tar archive with tar = true
	std::string output;       // the image; written to a temporary file and renamed
	bool tar = false;
	// Tar archives applied in order as layers, with whiteouts (scan.hpp, scan_layers); when not
	// empty, source and tar are not used.
	std::vector<std::string> layers;
	// "PATH[:TAG]": the image of an OCI layout (oci.hpp), its layers applied as above and its
	// digest and tag recorded on the root; when not empty, source, tar and layers are not used.
	std::string oci;
	std::string platform;     // with oci, an image index: "OS/ARCH[/VARIANT]" (default: this machine's)
	std::optional<std::array<uint8_t, 16>> uuid; // default: derived from the digest
	std::string label;        // at most 63 bytes
	std::optional<int64_t> mtime;             // --mtime: build time and every inode's mtime
	std::optional<int64_t> source_date_epoch; // build time; newer mtimes are clamped to it
	bool all_root = false;    // every inode owned by 0:0
	std::optional<uint64_t> max_size;         // refuse to build a larger image
	// Called as the build goes: phase "scan" (reading the source's metadata, for OCI with
	// checking every blob; total 0), "write" (done of total image bytes written), "hash" (tar:
	// done of total bytes read back). May be empty.
	std::function<void(const char *phase, uint64_t done, uint64_t total)> progress;
};

struct BuildResult {
	uint64_t size = 0;        // image bytes
	uint32_t inodes = 0;
	uint64_t data_bytes = 0;  // sum of regular file sizes
	std::array<uint8_t, 16> uuid{};
	std::array<uint8_t, 16> digest{};
	std::string oci_digest, oci_ref; // the OCI image built (oci only)
	std::string oci_platform, oci_manifest; // through an image index: what was chosen
};

// Builds the image or throws daxfs::Error naming what is wrong; on any error nothing is left at
// (or next to) options.output.
BuildResult build_image(const BuildOptions &options);

// "0123abcd-..." <-> bytes. parse_uuid returns nullopt for anything but the 36-character form.
std::optional<std::array<uint8_t, 16>> parse_uuid(const std::string &s);

} // namespace daxpool::daxfs
