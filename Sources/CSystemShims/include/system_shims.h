#ifndef ZOO_SYSTEM_SHIMS_H
#define ZOO_SYSTEM_SHIMS_H

/// Asks glibc's allocator to keep freed large blocks for reuse instead of unmapping them, so
/// buffers allocated anew every training step or batch do not page-fault each time.
void zoo_keep_freed_memory(void);

#endif
