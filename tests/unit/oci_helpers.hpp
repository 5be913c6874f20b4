// SPDX-License-Identifier: GPL-2.0-only
// Layers and OCI image layouts made by the tests: tar layers written with libarchive (plain,
// gzip, zstd), blobs named by their SHA-256 (sha256sum(1), not the code under test), the JSON
// written by hand.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace ocitest {

namespace fs = std::filesystem;

enum class Comp { none, gzip, zstd };

struct WriteFree {
	void operator()(struct archive *a) const noexcept { archive_write_free(a); }
};
struct EntryFree {
	void operator()(struct archive_entry *e) const noexcept { archive_entry_free(e); }
};

// One layer: entries in the order given; owner 1000:100 unless given, mtime 1700000000 + n.
class LayerWriter {
public:
	LayerWriter(const std::string &path, Comp c) : a_(archive_write_new())
	{
		archive_write_set_format_pax(a_.get());
		if (c == Comp::gzip)
			REQUIRE(archive_write_add_filter_gzip(a_.get()) == ARCHIVE_OK);
		if (c == Comp::zstd)
			REQUIRE(archive_write_add_filter_zstd(a_.get()) == ARCHIVE_OK);
		REQUIRE(archive_write_open_filename(a_.get(), path.c_str()) == ARCHIVE_OK);
	}
	~LayerWriter() { archive_write_close(a_.get()); }
	LayerWriter(const LayerWriter &) = delete;
	LayerWriter &operator=(const LayerWriter &) = delete;

	void dir(const std::string &p, unsigned perm = 0755) { add(p, S_IFDIR | perm); }
	void file(const std::string &p, const std::string &data, unsigned perm = 0644,
		  std::vector<std::pair<std::string, std::string>> xattrs = {})
	{
		add(p, S_IFREG | perm, data, nullptr, nullptr, std::move(xattrs));
	}
	void symlink(const std::string &p, const char *target) { add(p, S_IFLNK | 0777, "", target); }
	void hardlink(const std::string &p, const char *target) { add(p, S_IFREG | 0644, "", nullptr, target); }
	void chardev(const std::string &p, unsigned maj, unsigned min)
	{
		rdev_ = makedev(maj, min);
		add(p, S_IFCHR | 0666);
		rdev_ = 0;
	}
	void whiteout(const std::string &p) { add(p, S_IFREG | 0644); } // ".wh.NAME" or ".wh..wh..opq"

	void add(const std::string &path, unsigned mode, const std::string &data = "", const char *link = nullptr,
		 const char *hardlink = nullptr, std::vector<std::pair<std::string, std::string>> xattrs = {})
	{
		std::unique_ptr<struct archive_entry, EntryFree> e(archive_entry_new());
		archive_entry_set_pathname(e.get(), path.c_str());
		archive_entry_set_mode(e.get(), mode);
		archive_entry_set_uid(e.get(), 1000);
		archive_entry_set_gid(e.get(), 100);
		archive_entry_set_mtime(e.get(), 1700000000 + n_++, 7);
		if (rdev_)
			archive_entry_set_rdev(e.get(), rdev_);
		if (hardlink) {
			archive_entry_set_hardlink(e.get(), hardlink);
			archive_entry_set_size(e.get(), 0);
		} else {
			archive_entry_set_size(e.get(), static_cast<la_int64_t>(data.size()));
		}
		if (link)
			archive_entry_set_symlink(e.get(), link);
		for (auto &[n, v] : xattrs)
			archive_entry_xattr_add_entry(e.get(), n.c_str(), v.data(), v.size());
		REQUIRE(archive_write_header(a_.get(), e.get()) == ARCHIVE_OK);
		if (!data.empty())
			REQUIRE(archive_write_data(a_.get(), data.data(), data.size()) == static_cast<la_ssize_t>(data.size()));
	}

private:
	std::unique_ptr<struct archive, WriteFree> a_;
	int64_t n_ = 0;
	dev_t rdev_ = 0;
};

// sha256sum(1) of a file: "HEX"; with a decompressor (zcat, zstdcat), of what it gives.
inline std::string sha256sum(const std::string &path, const std::string &decompress = "")
{
	std::string cmd = decompress.empty() ? "sha256sum '" + path + "'"
					     : decompress + " '" + path + "' | sha256sum";
	std::unique_ptr<FILE, int (*)(FILE *)> p(::popen(cmd.c_str(), "r"), ::pclose);
	REQUIRE(p);
	char buf[65] = {};
	REQUIRE(std::fread(buf, 1, 64, p.get()) == 64);
	return std::string(buf, 64);
}

inline void put(const std::string &path, const std::string &text)
{
	std::unique_ptr<FILE, int (*)(FILE *)> f(std::fopen(path.c_str(), "wb"), std::fclose);
	REQUIRE(f);
	REQUIRE(std::fwrite(text.data(), 1, text.size(), f.get()) == text.size());
}

struct Blob {
	std::string digest; // sha256:HEX
	uint64_t size;
};

// Copies a file into LAYOUT/blobs/sha256/ under its digest.
inline Blob add_blob(const std::string &layout, const std::string &file)
{
	fs::create_directories(layout + "/blobs/sha256");
	std::string hex = sha256sum(file);
	fs::copy_file(file, layout + "/blobs/sha256/" + hex, fs::copy_options::overwrite_existing);
	return {"sha256:" + hex, static_cast<uint64_t>(fs::file_size(file))};
}

inline Blob add_text_blob(const std::string &layout, const std::string &text)
{
	std::string tmp = layout + "/.tmp-blob";
	put(tmp, text);
	Blob b = add_blob(layout, tmp);
	fs::remove(tmp);
	return b;
}

inline std::string descriptor(const std::string &media_type, const Blob &b, const std::string &ref = "")
{
	std::string d = "{\"mediaType\": \"" + media_type + "\", \"digest\": \"" + b.digest +
			"\", \"size\": " + std::to_string(b.size);
	if (!ref.empty())
		d += ", \"annotations\": {\"org.opencontainers.image.ref.name\": \"" + ref + "\"}";
	return d + "}";
}

inline const char *layer_type(Comp c)
{
	return c == Comp::gzip ? "application/vnd.oci.image.layer.v1.tar+gzip"
	       : c == Comp::zstd ? "application/vnd.oci.image.layer.v1.tar+zstd"
				 : "application/vnd.oci.image.layer.v1.tar";
}

struct LayerFile {
	std::string path;
	Comp comp;
};

// What add_manifest writes besides the layers.
struct ManifestOpts {
	std::string platform = "linux/amd64";   // the config's os/architecture[/variant]
	bool platform_in_descriptor = false;    // the descriptor carries it (an image index's entry)
	std::vector<std::string> diff_ids;      // not empty: written instead of the layers' own
};

// A manifest (with its config) for these layers, into the layout's blobs; returns its descriptor
// for index.json, tagged ref (none when empty).
inline std::string add_manifest(const std::string &layout, const std::vector<LayerFile> &layers,
				const std::string &ref, const ManifestOpts &mo = {})
{
	// diff_ids: the layers' uncompressed digests (umoci unpack needs them).
	std::string diff_ids;
	for (size_t i = 0; i < layers.size(); i++)
		diff_ids += std::string(i ? ", " : "") + "\"sha256:" +
			    sha256sum(layers[i].path, layers[i].comp == Comp::gzip   ? "zcat"
						      : layers[i].comp == Comp::zstd ? "zstdcat"
										 : "") +
			    "\"";
	if (!mo.diff_ids.empty()) {
		diff_ids.clear();
		for (size_t i = 0; i < mo.diff_ids.size(); i++)
			diff_ids += std::string(i ? ", " : "") + "\"" + mo.diff_ids[i] + "\"";
	}
	size_t s1 = mo.platform.find('/'), s2 = mo.platform.find('/', s1 + 1);
	std::string os = mo.platform.substr(0, s1), arch = mo.platform.substr(s1 + 1, s2 - s1 - 1),
		    variant = s2 == std::string::npos ? "" : mo.platform.substr(s2 + 1);
	std::string plat = "\"architecture\": \"" + arch + "\", \"os\": \"" + os + "\"" +
			   (variant.empty() ? "" : ", \"variant\": \"" + variant + "\"");
	std::string config = "{" + plat + ", \"rootfs\": {\"type\": \"layers\", \"diff_ids\": [" + diff_ids + "]}}";
	Blob cb = add_text_blob(layout, config);
	std::string m = "{\"schemaVersion\": 2, \"mediaType\": \"application/vnd.oci.image.manifest.v1+json\", "
			"\"config\": " + descriptor("application/vnd.oci.image.config.v1+json", cb) + ", \"layers\": [";
	for (size_t i = 0; i < layers.size(); i++)
		m += (i ? ", " : "") + descriptor(layer_type(layers[i].comp), add_blob(layout, layers[i].path));
	m += "]}";
	std::string d = descriptor("application/vnd.oci.image.manifest.v1+json", add_text_blob(layout, m), ref);
	if (mo.platform_in_descriptor)
		d = d.substr(0, d.size() - 1) + ", \"platform\": {" + plat + "}}";
	return d;
}

// oci-layout and index.json listing these manifest descriptors.
inline void write_index(const std::string &layout, const std::vector<std::string> &manifests)
{
	put(layout + "/oci-layout", "{\"imageLayoutVersion\": \"1.0.0\"}");
	std::string idx = "{\"schemaVersion\": 2, \"mediaType\": \"application/vnd.oci.image.index.v1+json\", "
			  "\"manifests\": [";
	for (size_t i = 0; i < manifests.size(); i++)
		idx += (i ? ", " : "") + manifests[i];
	put(layout + "/index.json", idx + "]}");
}

// An image index (a multi-platform image) of these manifest descriptors, into the layout's blobs;
// returns its descriptor for index.json.
inline std::string add_index(const std::string &layout, const std::vector<std::string> &manifests,
			     const std::string &ref)
{
	std::string idx = "{\"schemaVersion\": 2, \"mediaType\": \"application/vnd.oci.image.index.v1+json\", "
			  "\"manifests\": [";
	for (size_t i = 0; i < manifests.size(); i++)
		idx += (i ? ", " : "") + manifests[i];
	return descriptor("application/vnd.oci.image.index.v1+json", add_text_blob(layout, idx + "]}"), ref);
}

// The digest in a descriptor made by add_manifest.
inline std::string digest_of(const std::string &desc)
{
	size_t at = desc.find("sha256:");
	return desc.substr(at, 7 + 64);
}

} // namespace ocitest
