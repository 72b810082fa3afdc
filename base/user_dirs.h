// Where rewind keeps a user's files: the XDG base directories.
#pragma once

#include <string>

namespace rwd {

// $XDG_DATA_HOME, else $HOME/.local/share; "" when neither is usable.
std::string UserDataDir();
// $XDG_CACHE_HOME, else $HOME/.cache; "" when neither is usable.
std::string UserCacheDir();

}  // namespace rwd
