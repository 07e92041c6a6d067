// A directory tree as a gzip-compressed tar file (model.tar.gz, output.tar.gz), written with
// libarchive: regular files, directories and symlinks, paths relative to the tree's root.
#pragma once

#include <string>

#include "ferry/status.h"

namespace ferry::train {

// Writes dir's contents into the archive at path (created or replaced).
Status WriteTarGz(const std::string& dir, const std::string& path);

}  // namespace ferry::train
