/// A trie over the UTF-8 bytes of vocabulary entries, for longest-prefix lookups without
/// building strings.
struct ByteTrie: Sendable {
    /// Index of a node; the root is 0.
    typealias Node = Int32

    /// Child of each node, keyed by `node << 8 | byte`.
    private var children: [Int: Node] = [:]
    /// Children of the root, by byte (-1: none); the first step of every lookup.
    private var rootChildren = [Node](repeating: -1, count: 256)
    /// Token id stored at each node, or -1.
    private var ids: [Int32] = [-1]

    /// The root node.
    static let root: Node = 0

    /// Stores `id` for `bytes`, replacing an earlier id for the same bytes.
    mutating func insert(_ bytes: some Sequence<UInt8>, id: Int32) {
        var node = Self.root
        for byte in bytes {
            if let next = child(of: node, byte: byte) {
                node = next
                continue
            }
            let next = Node(ids.count)
            ids.append(-1)
            if node == Self.root {
                rootChildren[Int(byte)] = next
            } else {
                children[Int(node) << 8 | Int(byte)] = next
            }
            node = next
        }
        ids[Int(node)] = id
    }

    @inline(__always)
    private func child(of node: Node, byte: UInt8) -> Node? {
        if node == Self.root {
            let next = rootChildren[Int(byte)]
            return next < 0 ? nil : next
        }
        return children[Int(node) << 8 | Int(byte)]
    }

    /// Calls `body` with every entry that is a prefix of `text[start...]`, shortest first: its id
    /// and the index just after it.
    func forEachPrefix(in text: UnsafeBufferPointer<UInt8>, from start: Int, _ body: (Int32, Int) -> Void) {
        var node = Self.root
        var index = start
        while index < text.count, let next = child(of: node, byte: text[index]) {
            node = next
            index += 1
            let id = ids[Int(node)]
            if id >= 0 { body(id, index) }
        }
    }

    /// The node reached from the root by `bytes`, or nil.
    func node(for bytes: some Sequence<UInt8>) -> Node? {
        var node = Self.root
        for byte in bytes {
            guard let next = child(of: node, byte: byte) else { return nil }
            node = next
        }
        return node
    }

    /// The longest entry that continues from `node` with `text[start...]`, consuming at least one
    /// byte: its id and the index just after it.
    @inline(__always)
    func longestMatch(in text: UnsafeBufferPointer<UInt8>, from start: Int, at node: Node) -> (id: Int32, end: Int)? {
        var current = node
        var best: (id: Int32, end: Int)?
        var index = start
        while index < text.count, let next = child(of: current, byte: text[index]) {
            current = next
            index += 1
            let id = ids[Int(current)]
            if id >= 0 { best = (id, index) }
        }
        return best
    }
}
