// SPDX-License-Identifier: GPL-2.0-only
// A generated source tree with every file type and feature daxfs stores.
#pragma once

#include <string>

namespace daxtest {

// Creates the tree under dir (which exists and is empty). reverse creates everything in the
// opposite order (different readdir order and inode numbers, same content and metadata).
// big adds the 3 MiB file.
void make_tree(const std::string &dir, bool reverse = false, bool big = true, bool socket = true);

// The names make_tree uses that tests look at.
inline const std::string long_name = std::string(255, 'L');
inline const std::string utf8_name = "h\xc3\xa9llo-w\xc3\xb6rld-\xe6\x97\xa5\xe6\x9c\xac";
inline const std::string latin1_name = "caf\xe9-\xff"; // not valid UTF-8: names are bytes

} // namespace daxtest
