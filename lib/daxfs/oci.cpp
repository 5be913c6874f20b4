// SPDX-License-Identifier: GPL-2.0-only
// open_oci: an OCI image layout's index.json, manifest and layer descriptors (json-c), the blobs
// checked with nettle's SHA-256/SHA-512 (the digest algorithms image-spec registers).
#include "lib/daxfs/oci.hpp"

#include <fcntl.h>
#include <json-c/json.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <string_view>

#include "lib/daxfs/error.hpp"
#include "lib/daxfs/sha.hpp"
#include "lib/util/fd.hpp"
#include "lib/util/hex.hpp"

namespace daxpool::daxfs {

namespace {

struct JsonPut {
	void operator()(json_object *o) const noexcept { json_object_put(o); }
};
using JsonPtr = std::unique_ptr<json_object, JsonPut>;

constexpr uint64_t max_json = 4u << 20; // index.json and manifests are a few KiB

bool is_dir(const std::string &p)
{
	struct stat st;
	return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Streams a file through fn(bytes, len); returns its size.
template <typename Fn> uint64_t read_file(const std::string &path, Fn fn)
{
	util::Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
	if (!fd)
		throw_errno("cannot open " + path, errno);
	std::vector<uint8_t> buf(1u << 20);
	uint64_t total = 0;
	for (;;) {
		ssize_t got = ::read(fd.get(), buf.data(), buf.size());
		if (got < 0) {
			if (errno == EINTR)
				continue;
			throw_errno("cannot read " + path, errno);
		}
		if (got == 0)
			return total;
		fn(buf.data(), static_cast<size_t>(got));
		total += static_cast<uint64_t>(got);
	}
}

struct Descriptor {
	std::string media_type, digest, path; // path: the blob's file
	uint64_t size = 0;
	std::string ref;                      // annotations[oci_ref_annotation]
	std::string alg, hex;
};

const char *get_string(json_object *o, const char *key)
{
	json_object *v;
	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return nullptr;
	return json_object_get_string(v);
}

// A descriptor object: mediaType, digest (ALG:HEX, hex checked so that it names a file under
// blobs/ALG and nothing else), size.
Descriptor descriptor(const std::string &layout, json_object *o, const std::string &what)
{
	if (!o || !json_object_is_type(o, json_type_object))
		throw Error(what + ": not a descriptor object");
	Descriptor d;
	const char *mt = get_string(o, "mediaType");
	const char *dg = get_string(o, "digest");
	json_object *sz;
	if (!mt || !dg || !json_object_object_get_ex(o, "size", &sz) || !json_object_is_type(sz, json_type_int) ||
	    json_object_get_int64(sz) < 0)
		throw Error(what + ": a descriptor needs mediaType, digest and size");
	d.media_type = mt;
	d.digest = dg;
	d.size = static_cast<uint64_t>(json_object_get_int64(sz));
	size_t colon = d.digest.find(':');
	d.alg = d.digest.substr(0, colon == std::string::npos ? 0 : colon);
	d.hex = colon == std::string::npos ? "" : d.digest.substr(colon + 1);
	size_t want = d.alg == "sha256" ? 64 : d.alg == "sha512" ? 128 : 0;
	if (!want)
		throw Error(what + ": digest " + d.digest + ": algorithm not sha256 or sha512");
	if (d.hex.size() != want ||
	    d.hex.find_first_not_of("0123456789abcdef") != std::string::npos)
		throw Error(what + ": digest " + d.digest + " is not " + d.alg + ": and " + std::to_string(want) +
			    " lower-case hex digits");
	json_object *ann;
	if (json_object_object_get_ex(o, "annotations", &ann) && json_object_is_type(ann, json_type_object))
		if (const char *r = get_string(ann, oci_ref_annotation))
			d.ref = r;
	d.path = layout + "/blobs/" + d.alg + "/" + d.hex;
	return d;
}

// The blob's size and digest against its descriptor; throws naming the blob.
void verify_blob(const Descriptor &d, const std::string &what)
{
	struct stat st;
	if (::stat(d.path.c_str(), &st) < 0) {
		if (errno == ENOENT)
			throw Error(what + ": blob " + d.digest + " is missing (" + d.path + ")");
		throw_errno("cannot access " + d.path, errno);
	}
	if (!S_ISREG(st.st_mode))
		throw Error(what + ": blob " + d.path + " is not a file");
	if (static_cast<uint64_t>(st.st_size) != d.size)
		throw Error(what + ": blob " + d.digest + " is " + std::to_string(st.st_size) +
			    " bytes, its descriptor says " + std::to_string(d.size));
	Sha h(d.alg);
	uint64_t n = read_file(d.path, [&](const uint8_t *p, size_t len) { h.update(p, len); });
	std::string got = h.hex();
	if (n != d.size || got != d.hex)
		throw Error(what + ": blob " + d.path + " does not match its digest " + d.digest + " (it hashes to " +
			    d.alg + ":" + got + ")");
}

JsonPtr parse_json(const std::string &path, const std::string &text)
{
	std::unique_ptr<json_tokener, decltype(&json_tokener_free)> tok(json_tokener_new(), json_tokener_free);
	if (!tok)
		throw Error("cannot allocate a JSON parser");
	JsonPtr o(json_tokener_parse_ex(tok.get(), text.c_str(), static_cast<int>(text.size())));
	enum json_tokener_error err = json_tokener_get_error(tok.get());
	if (!o || err != json_tokener_success || json_tokener_get_parse_end(tok.get()) != text.size())
		throw Error(path + ": malformed JSON" +
			    (err != json_tokener_success ? std::string(" (") + json_tokener_error_desc(err) + ")" : ""));
	if (!json_object_is_type(o.get(), json_type_object))
		throw Error(path + ": malformed JSON (not an object)");
	return o;
}

std::string slurp(const std::string &path)
{
	std::string text;
	read_file(path, [&](const uint8_t *p, size_t n) {
		if (text.size() + n > max_json)
			throw Error(path + ": larger than " + std::to_string(max_json) + " bytes, not an OCI JSON document");
		text.append(reinterpret_cast<const char *>(p), n);
	});
	return text;
}

Compression layer_compression(const std::string &mt, const std::string &what)
{
	static const std::pair<std::string_view, Compression> types[] = {
		{"application/vnd.oci.image.layer.v1.tar", Compression::none},
		{"application/vnd.oci.image.layer.v1.tar+gzip", Compression::gzip},
		{"application/vnd.oci.image.layer.v1.tar+zstd", Compression::zstd},
		{"application/vnd.oci.image.layer.nondistributable.v1.tar", Compression::none},
		{"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", Compression::gzip},
		{"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", Compression::zstd},
		{"application/vnd.docker.image.rootfs.diff.tar.gzip", Compression::gzip},
		{"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", Compression::gzip},
	};
	for (const auto &[name, c] : types)
		if (mt == name)
			return c;
	throw Error(what + ": media type " + mt + " is not a tar layer (plain, gzip or zstd)");
}

bool is_manifest_type(const std::string &mt)
{
	return mt == "application/vnd.oci.image.manifest.v1+json" ||
	       mt == "application/vnd.docker.distribution.manifest.v2+json";
}

bool is_index_type(const std::string &mt)
{
	return mt == "application/vnd.oci.image.index.v1+json" ||
	       mt == "application/vnd.docker.distribution.manifest.list.v2+json";
}

// "os/arch[/variant]" of an index entry's platform object; empty if it has none.
std::string platform_of(json_object *desc)
{
	json_object *p;
	if (!json_object_object_get_ex(desc, "platform", &p) || !json_object_is_type(p, json_type_object))
		return "";
	const char *os = get_string(p, "os"), *arch = get_string(p, "architecture"), *var = get_string(p, "variant");
	if (!os || !arch)
		return "";
	return std::string(os) + "/" + arch + (var && *var ? std::string("/") + var : "");
}

// want "os/arch" matches "os/arch" and any "os/arch/variant"; "os/arch/variant" only itself.
bool platform_matches(const std::string &have, const std::string &want)
{
	return have == want || (std::count(want.begin(), want.end(), '/') == 1 && have.starts_with(want + "/"));
}

// An image index (a multi-platform image): the one manifest for the platform, checked.
Descriptor pick_platform(const std::string &layout, const Descriptor &idx, const std::string &platform)
{
	std::string what = layout + ": index " + idx.digest;
	verify_blob(idx, what);
	JsonPtr index = parse_json(idx.path, slurp(idx.path));
	json_object *ms;
	if (!json_object_object_get_ex(index.get(), "manifests", &ms) || !json_object_is_type(ms, json_type_array))
		throw Error(what + ": no manifests array");
	std::vector<Descriptor> found;
	std::string all;
	for (size_t i = 0; i < json_object_array_length(ms); i++) {
		json_object *o = json_object_array_get_idx(ms, i);
		Descriptor d = descriptor(layout, o, what + ": manifests[" + std::to_string(i) + "]");
		std::string p = platform_of(o);
		if (!is_manifest_type(d.media_type) || p.empty())
			continue; // an index in the index is not followed; attestations are "unknown/unknown"
		all += (all.empty() ? "" : ", ") + p;
		if (platform_matches(p, platform)) {
			d.ref = p; // what was chosen, for the record
			found.push_back(std::move(d));
		}
	}
	if (found.empty())
		throw Error(what + " has no image for platform " + platform + " (platforms: " +
			    (all.empty() ? "none" : all) + "); choose one with --platform OS/ARCH[/VARIANT]");
	for (const auto &d : found)
		if (d.digest != found[0].digest)
			throw Error(what + " has several images for platform " + platform + " (" + found[0].ref + ", " +
				    d.ref + "): name one with --platform OS/ARCH/VARIANT");
	return found[0];
}

// The config's rootfs.diff_ids: one "ALG:HEX" per layer, the digest of its uncompressed tar.
std::vector<std::string> diff_ids(const std::string &path, const std::string &what)
{
	JsonPtr config = parse_json(path, slurp(path));
	json_object *rootfs, *ids;
	const char *type;
	if (!json_object_object_get_ex(config.get(), "rootfs", &rootfs) || !(type = get_string(rootfs, "type")) ||
	    std::string_view(type) != "layers" || !json_object_object_get_ex(rootfs, "diff_ids", &ids) ||
	    !json_object_is_type(ids, json_type_array))
		throw Error(what + ": no rootfs of type \"layers\" with diff_ids");
	std::vector<std::string> out;
	for (size_t i = 0; i < json_object_array_length(ids); i++) {
		json_object *v = json_object_array_get_idx(ids, i);
		std::string id = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
		size_t colon = id.find(':');
		std::string alg = id.substr(0, colon == std::string::npos ? 0 : colon), hex = colon == std::string::npos ? "" : id.substr(colon + 1);
		size_t want = alg == "sha256" ? 64 : alg == "sha512" ? 128 : 0;
		if (!want || hex.size() != want || hex.find_first_not_of("0123456789abcdef") != std::string::npos)
			throw Error(what + ": diff_ids[" + std::to_string(i) + "] '" + id + "' is not a sha256/sha512 digest");
		out.push_back(id);
	}
	return out;
}

} // namespace

std::string host_platform()
{
	struct utsname u;
	if (::uname(&u) < 0)
		throw_errno("uname", errno);
	// The machine's name as OCI (Go's GOARCH) spells it.
	static const std::pair<std::string_view, const char *> arch[] = {
		{"x86_64", "amd64"}, {"aarch64", "arm64"}, {"i386", "386"}, {"i686", "386"},
		{"armv7l", "arm"},   {"ppc64le", "ppc64le"}, {"s390x", "s390x"}, {"riscv64", "riscv64"},
	};
	for (const auto &[m, a] : arch)
		if (m == u.machine)
			return std::string("linux/") + a;
	return std::string("linux/") + u.machine;
}

std::string sha256_file(const std::string &path)
{
	Sha h("sha256");
	read_file(path, [&](const uint8_t *p, size_t n) { h.update(p, n); });
	return "sha256:" + h.hex();
}

OciImage open_oci(const std::string &spec, const std::string &platform)
{
	OciImage img;
	std::string tag;
	bool has_tag = false;
	if (is_dir(spec)) {
		img.layout = spec;
	} else if (size_t c = spec.rfind(':'); c != std::string::npos) {
		img.layout = spec.substr(0, c);
		tag = spec.substr(c + 1);
		has_tag = true;
		if (tag.empty())
			throw Error(spec + ": empty tag after ':'");
	} else {
		img.layout = spec;
	}
	if (!is_dir(img.layout))
		throw Error(img.layout + ": no such directory (an OCI image layout: PATH[:TAG])");
	std::string marker = img.layout + "/oci-layout";
	if (::access(marker.c_str(), F_OK) < 0)
		throw Error(img.layout + " is not an OCI image layout (no oci-layout file)");
	JsonPtr ol = parse_json(marker, slurp(marker));
	if (!get_string(ol.get(), "imageLayoutVersion"))
		throw Error(marker + ": no imageLayoutVersion");

	std::string index_path = img.layout + "/index.json";
	JsonPtr index = parse_json(index_path, slurp(index_path));
	json_object *ms;
	if (!json_object_object_get_ex(index.get(), "manifests", &ms) || !json_object_is_type(ms, json_type_array))
		throw Error(index_path + ": no manifests array");
	std::vector<Descriptor> all;
	for (size_t i = 0; i < json_object_array_length(ms); i++)
		all.push_back(descriptor(img.layout, json_object_array_get_idx(ms, i),
					 index_path + ": manifests[" + std::to_string(i) + "]"));
	std::string tags;
	for (const auto &d : all)
		if (!d.ref.empty())
			tags += (tags.empty() ? "" : ", ") + d.ref;
	tags = tags.empty() ? "none" : tags;
	std::vector<const Descriptor *> chosen;
	for (const auto &d : all)
		if (!has_tag || d.ref == tag)
			chosen.push_back(&d);
	if (has_tag && chosen.empty())
		throw Error(img.layout + ": no manifest tagged '" + tag + "' (tags: " + tags + ")");
	if (!has_tag && chosen.size() != 1)
		throw Error(img.layout + " holds " + std::to_string(all.size()) + " manifests: name one as " + img.layout +
			    ":TAG (tags: " + tags + ")");
	for (const Descriptor *d : chosen)
		if (d->digest != chosen[0]->digest)
			throw Error(img.layout + ": tag '" + tag + "' names more than one manifest");
	Descriptor md = *chosen[0];
	img.digest = md.digest;
	img.ref = md.ref;
	if (is_index_type(md.media_type)) {
		img.platform = platform.empty() ? host_platform() : platform;
		md = pick_platform(img.layout, md, img.platform);
		img.platform = md.ref;
		img.manifest = md.digest;
	} else if (!is_manifest_type(md.media_type)) {
		throw Error(img.layout + ": " + md.digest + " has media type " + md.media_type + ", not an image manifest or index");
	} else if (!platform.empty()) {
		throw Error(img.layout + ": --platform " + platform + " given, but " + md.digest +
			    " is a single image, not an index of platforms");
	}

	std::string mwhat = img.layout + ": manifest " + md.digest;
	verify_blob(md, mwhat);
	JsonPtr manifest = parse_json(md.path, slurp(md.path));
	json_object *sv;
	if (!json_object_object_get_ex(manifest.get(), "schemaVersion", &sv) || json_object_get_int(sv) != 2)
		throw Error(mwhat + ": schemaVersion is not 2");
	if (const char *mt = get_string(manifest.get(), "mediaType"); mt && !is_manifest_type(mt))
		throw Error(mwhat + ": media type " + mt + ", not an image manifest");
	json_object *cfg, *layers;
	if (!json_object_object_get_ex(manifest.get(), "config", &cfg))
		throw Error(mwhat + ": no config");
	Descriptor cd = descriptor(img.layout, cfg, mwhat + ": config");
	verify_blob(cd, mwhat + ": config");
	std::vector<std::string> ids = diff_ids(cd.path, mwhat + ": config " + cd.digest);
	if (!json_object_object_get_ex(manifest.get(), "layers", &layers) || !json_object_is_type(layers, json_type_array))
		throw Error(mwhat + ": no layers array");
	if (ids.size() != json_object_array_length(layers))
		throw Error(mwhat + ": " + std::to_string(json_object_array_length(layers)) + " layers but " +
			    std::to_string(ids.size()) + " diff_ids in its config");
	for (size_t i = 0; i < json_object_array_length(layers); i++) {
		std::string lwhat = mwhat + ": layers[" + std::to_string(i) + "]";
		Descriptor ld = descriptor(img.layout, json_object_array_get_idx(layers, i), lwhat);
		Compression c = layer_compression(ld.media_type, lwhat);
		verify_blob(ld, lwhat);
		img.layers.push_back({ld.path, c, ids[i]});
	}
	return img;
}

} // namespace daxpool::daxfs
