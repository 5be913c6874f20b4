// SPDX-License-Identifier: GPL-2.0-only
// An OCI image layout (image-spec v1: oci-layout, index.json, blobs/ALG/HEX) read as the list of
// its layers: index.json → the manifest (by tag, or the only one; through an image index, the
// one for the platform) → the layers, every blob checked against its descriptor's size and
// digest before it is used, and every layer's uncompressed tar against the config's diff_ids
// as it is read (scan_layers).
#pragma once

#include <string>
#include <vector>

#include "lib/daxfs/scan.hpp"

namespace daxpool::daxfs {

// The annotation of index.json that names a manifest's tag.
inline constexpr const char *oci_ref_annotation = "org.opencontainers.image.ref.name";

struct OciImage {
	std::string layout;         // PATH
	std::string digest;         // "sha256:HEX" of what index.json names (manifest or index): the image's digest
	std::string ref;            // its tag (the ref.name annotation), empty if it has none
	std::string platform;       // through an index: the platform chosen ("linux/amd64"), else empty
	std::string manifest;       // through an index: the platform's manifest digest, else empty
	std::vector<Layer> layers;  // blob paths, bottom first, with the compression their type says
};

// "PATH[:TAG]": PATH itself when it is a directory, else split at the last ':'. Without a tag the
// index must hold exactly one manifest (or image index). An image index is resolved to the
// manifest for platform ("OS/ARCH[/VARIANT]"; empty: this machine's, host_platform()); a
// platform given for a single-image manifest is refused. Throws Error naming what is wrong: not
// a layout, no such tag, an ambiguous choice, no or several images for the platform, malformed
// JSON, an unknown media type, a missing blob, a size or digest mismatch, a config without one
// diff_id per layer.
OciImage open_oci(const std::string &spec, const std::string &platform = "");

// "linux/amd64": this machine as OCI names platforms (GOARCH spellings).
std::string host_platform();

// "sha256:HEX" of a file's bytes (streamed); for tests and the checks above.
std::string sha256_file(const std::string &path);

} // namespace daxpool::daxfs
