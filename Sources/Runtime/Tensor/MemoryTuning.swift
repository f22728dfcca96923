import CSystemShims

/// Process-wide allocator settings for throughput work.
public enum MemoryTuning {
    /// Keeps freed large buffers in the heap for reuse (glibc `mallopt`), so arrays allocated
    /// anew every step reuse memory instead of faulting in fresh pages. Call once at start-up.
    public static func keepFreedMemory() { zoo_keep_freed_memory() }
}
