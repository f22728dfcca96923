import Foundation

/// A bounded, thread-safe cache of the ids of words already run through BPE, keyed by the
/// word's bytes. Like `tokenizers`, it stops adding entries once full.
final class BytePairCache: @unchecked Sendable {
    private struct Entry {
        let word: [UInt8]
        let ids: [Int32]
    }

    // The lock guards `entries`, the only mutable state.
    private let lock = NSLock()
    private var entries: [UInt64: Entry] = [:]
    private let capacity: Int

    /// A cache holding at most `capacity` words.
    init(capacity: Int) {
        self.capacity = capacity
    }

    /// FNV-1a hash of `word`.
    @inline(__always)
    static func hash(_ word: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in word {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        return hash
    }

    /// Appends the cached ids of `word` (whose hash is `hash`) to `ids`; false when not cached.
    func append(_ word: UnsafeBufferPointer<UInt8>, hash: UInt64, to ids: inout [Int32]) -> Bool {
        lock.lock()
        let entry = entries[hash]
        lock.unlock()
        guard let entry, entry.word.elementsEqual(word) else { return false }
        ids.append(contentsOf: entry.ids)
        return true
    }

    /// Remembers the ids of `word`, unless the cache is full or another word has the same hash.
    func insert(_ word: UnsafeBufferPointer<UInt8>, hash: UInt64, ids: ArraySlice<Int32>) {
        lock.lock()
        defer { lock.unlock() }
        guard entries.count < capacity, entries[hash] == nil else { return }
        entries[hash] = Entry(word: Array(word), ids: Array(ids))
    }
}
