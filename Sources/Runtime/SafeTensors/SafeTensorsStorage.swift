#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Read-only bytes of a whole safetensors file: either a private read-only memory map of the
/// file, or a heap copy of in-memory bytes. The bytes are released on deinit.
///
/// `@unchecked Sendable` is safe because the pointer and count are immutable after `init`, the
/// memory is never written through this type (the mapping is `PROT_READ`; the heap copy is
/// filled once before `init` returns), and it is released only in `deinit`, when no other
/// reference exists.
final class SafeTensorsStorage: @unchecked Sendable {
    private enum Ownership {
        case mapped(length: Int)
        case allocated
    }

    private let base: UnsafeRawPointer
    private let count: Int
    private let ownership: Ownership

    /// All bytes of the file, valid for the lifetime of this object.
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// Copies `source` into memory owned by the new storage.
    init(copying source: some Collection<UInt8>) {
        let count = source.count
        let memory = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 16)
        let destination = UnsafeMutableRawBufferPointer(start: memory, count: count)
        let copied = source.withContiguousStorageIfAvailable { contiguous in
            destination.copyMemory(from: UnsafeRawBufferPointer(contiguous))
            return contiguous.count
        }
        var written = copied ?? 0
        if copied == nil {
            for byte in source where written < count {
                destination[written] = byte
                written += 1
            }
        }
        self.base = UnsafeRawPointer(memory)
        self.count = written
        self.ownership = .allocated
    }

    /// Maps the regular file at `path` read-only. Files shorter than 8 bytes are rejected
    /// without mapping them.
    init(mapping path: String) throws(SafeTensorsError) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .cannotOpen(file: path, reason: Self.lastErrorText()) }
        defer { close(descriptor) }

        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw .cannotOpen(file: path, reason: Self.lastErrorText())
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw .cannotOpen(file: path, reason: "not a regular file")
        }
        guard let size = Int(exactly: status.st_size) else {
            throw .cannotOpen(file: path, reason: "file size out of range")
        }
        guard size >= 8 else { throw .fileTooShort(file: path, size: size) }

        let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0)
        guard let mapped, mapped != UnsafeMutableRawPointer(bitPattern: -1) else {
            throw .cannotMap(file: path, reason: Self.lastErrorText())
        }
        self.base = UnsafeRawPointer(mapped)
        self.count = size
        self.ownership = .mapped(length: size)
    }

    deinit {
        switch ownership {
        case .mapped(let length):
            munmap(UnsafeMutableRawPointer(mutating: base), length)
        case .allocated:
            UnsafeMutableRawPointer(mutating: base).deallocate()
        }
    }

    private static func lastErrorText() -> String {
        String(cString: strerror(errno))
    }
}
