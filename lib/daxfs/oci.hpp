// SPDX-License-Identifier: GPL-2.0-only
// An OCI image layout (image-spec v1: oci-layout, index.json, blobs/ALG/HEX) read as the list of
// its layers: index.json → the manifest (by tag, or the only one) → the layers, every blob
// checked against its descriptor's size and digest before it is used.
#pragma once

#include <string>
#include <vector>

#include "lib/daxfs/scan.hpp"

namespace daxpool::daxfs {

// The annotation of index.json that names a manifest's tag.
inline constexpr const char *oci_ref_annotation = "org.opencontainers.image.ref.name";

struct OciImage {
	std::string layout;         // PATH
	std::string digest;         // the manifest's digest, "sha256:HEX": the image's digest
	std::string ref;            // its tag (the ref.name annotation), empty if it has none
	std::vector<Layer> layers;  // blob paths, bottom first, with the compression their type says
};

// "PATH[:TAG]": PATH itself when it is a directory, else split at the last ':'. Without a tag the
// index must hold exactly one manifest. Throws Error naming what is wrong: not a layout, no such
// tag, an ambiguous choice, a nested index, malformed JSON, an unknown media type, a missing
// blob, a size or digest mismatch.
OciImage open_oci(const std::string &spec);

// "sha256:HEX" of a file's bytes (streamed); for tests and the checks above.
std::string sha256_file(const std::string &path);

} // namespace daxpool::daxfs
