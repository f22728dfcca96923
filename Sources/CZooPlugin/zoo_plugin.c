/*
 * Compile-time checks that pin the layout of the version-1 ABI in zoo_plugin.h. Plugins are
 * built by other compilers at other times, so a field that moved would silently break them;
 * these assertions make such a change fail zoo's own build instead.
 */
#include "zoo_plugin.h"

#include <stddef.h>

_Static_assert(ZOO_PLUGIN_ABI_VERSION == 1, "zoo_plugin.h describes ABI version 1");
_Static_assert(sizeof(void *) == 8, "zoo and its plugins are 64-bit");
_Static_assert(offsetof(zoo_plugin_api_v1, abi_version) == 0, "abi_version is the first field");
_Static_assert(offsetof(zoo_plugin_api_v1, struct_size) == 4, "struct_size is the second field");
_Static_assert(offsetof(zoo_plugin_api_v1, name) == 8, "the strings follow the two sizes");
_Static_assert(offsetof(zoo_plugin_api_v1, create) == 8 + 3 * sizeof(void *), "create follows the strings");
_Static_assert(offsetof(zoo_plugin_api_v1, destroy) == 8 + 9 * sizeof(void *), "destroy is the last field");
_Static_assert(sizeof(zoo_plugin_api_v1) == 8 + 10 * sizeof(void *), "the table has no padding at the end");
_Static_assert(sizeof(zoo_plugin_model_info) == 5 * sizeof(int64_t), "model info is five int64_t");
_Static_assert(offsetof(zoo_plugin_output, pooled_width) == 6 * 8, "the plugin's fields follow zoo's six");
_Static_assert(sizeof(zoo_plugin_output) == 9 * 8, "the output holds nine 8-byte fields");
