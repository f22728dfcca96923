import CZooPlugin
import Runtime

/// The buffers zoo owns for one encode call, sized from the model's declared widths, with
/// guard values past each end. After the call, ``validate(plugin:exactLengths:)`` checks the
/// guards, the sizes the plugin reported, the per-item token counts and that every value is
/// finite, so a plugin's numbers are never used to address memory.
struct PluginOutputBuffers {
    /// Guard elements after each buffer.
    static let guardCount = 16
    /// A NaN payload no arithmetic produces, compared bit for bit.
    static let floatGuard = Float(bitPattern: 0x7FC0_2B2B)
    /// The guard of the token-length buffer.
    static let lengthGuard = Int64(bitPattern: 0x5A5A_5A5A_5A5A_5A5A)
    /// Most floats one buffer may hold (8 GiB).
    static let maxFloats = 1 << 31

    /// Items in the batch.
    let count: Int
    /// Floats per pooled embedding.
    let pooledWidth: Int
    /// Token slots per item.
    let tokenSlots: Int
    /// Floats per token state.
    let tokenWidth: Int
    private var pooled: [Float]
    private var tokens: [Float]
    private var lengths: [Int64]
    private var reported = (pooledWidth: Int64(-1), tokenCount: Int64(-1), tokenWidth: Int64(-1))

    /// Allocates buffers for `count` items; refuses a batch whose buffers would be too large.
    init(count: Int, pooledWidth: Int, tokenSlots: Int, tokenWidth: Int, plugin: String) throws(PluginError) {
        let (perItem, overflow1) = tokenSlots.multipliedReportingOverflow(by: tokenWidth)
        let (tokenFloats, overflow2) = perItem.multipliedReportingOverflow(by: count)
        guard !overflow1, !overflow2, tokenFloats <= Self.maxFloats, count * pooledWidth <= Self.maxFloats else {
            throw .invalidInput(plugin: plugin, problem: "a batch of \(count) with \(tokenSlots) tokens of width \(tokenWidth) each needs more than \(Self.maxFloats / (1 << 28)) GiB of token states; encode smaller batches")
        }
        self.count = count
        self.pooledWidth = pooledWidth
        self.tokenSlots = tokenSlots
        self.tokenWidth = tokenWidth
        pooled = Self.guarded(count * pooledWidth, guard: Self.floatGuard)
        tokens = Self.guarded(tokenFloats, guard: Self.floatGuard)
        lengths = Self.guarded(count, guard: Self.lengthGuard)
    }

    /// `count` zeros followed by `guardCount` copies of `value`.
    private static func guarded<Element: Numeric>(_ count: Int, guard value: Element) -> [Element] {
        var buffer = [Element](repeating: 0, count: count + guardCount)
        for index in count..<buffer.count { buffer[index] = value }
        return buffer
    }

    /// Calls `body` with an output record pointing at the buffers (capacities excluding the
    /// guards), then keeps the sizes the plugin reported. Returns `body`'s status code.
    mutating func call(_ body: (UnsafeMutablePointer<zoo_plugin_output>) -> Int32) -> Int32 {
        let pooledCapacity = Int64(count * pooledWidth)
        let tokensCapacity = Int64(count * tokenSlots * tokenWidth)
        var output = zoo_plugin_output()
        let code = pooled.withUnsafeMutableBufferPointer { pooled in
            tokens.withUnsafeMutableBufferPointer { tokens in
                lengths.withUnsafeMutableBufferPointer { lengths in
                    output = zoo_plugin_output(
                        pooled: pooled.baseAddress, pooled_capacity: pooledCapacity,
                        tokens: tokens.baseAddress, tokens_capacity: tokensCapacity,
                        token_capacity: Int64(tokenSlots), token_lengths: lengths.baseAddress,
                        pooled_width: -1, token_count: -1, token_width: -1)
                    return body(&output)
                }
            }
        }
        reported = (output.pooled_width, output.token_count, output.token_width)
        return code
    }

    /// Checks the output of a successful call. `exactLengths`: every item must fill all token
    /// slots (images); otherwise each must use 1…`tokenSlots` of them (texts), and the rows past
    /// an item's length are zeroed.
    mutating func validate(plugin: String, exactLengths: Bool) throws(PluginError) {
        try checkGuards(plugin: plugin)
        try checkReportedSizes(plugin: plugin)
        for item in 0..<count {
            let length = lengths[item]
            let valid = exactLengths ? length == Int64(tokenSlots) : (1...Int64(tokenSlots)).contains(length)
            guard valid else {
                let rule = exactLengths ? "every image yields exactly \(tokenSlots) tokens (image_tokens)" : "a text yields 1…\(tokenSlots) tokens"
                throw .invalidOutput(plugin: plugin, problem: "item \(item) has token length \(length), but \(rule)")
            }
        }
        try checkFinite(plugin: plugin)
        if !exactLengths { zeroPadding() }
    }

    /// Token lengths, valid after ``validate(plugin:exactLengths:)``.
    var tokenLengths: [Int] { lengths.prefix(count).map { Int($0) } }

    /// The pooled embeddings `[count, pooledWidth]`.
    func pooledTensor() -> Tensor {
        Tensor(shape: [count, pooledWidth], scalars: Array(pooled.prefix(count * pooledWidth)))
    }

    /// The token states `[count, slots, tokenWidth]`, keeping the first `slots` of each item.
    func tokenTensor(slots: Int) -> Tensor {
        precondition(slots <= tokenSlots)
        if slots == tokenSlots {
            return Tensor(shape: [count, slots, tokenWidth], scalars: Array(tokens.prefix(count * slots * tokenWidth)))
        }
        var scalars = [Float]()
        scalars.reserveCapacity(count * slots * tokenWidth)
        for item in 0..<count {
            let start = item * tokenSlots * tokenWidth
            scalars += tokens[start..<start + slots * tokenWidth]
        }
        return Tensor(shape: [count, slots, tokenWidth], scalars: scalars)
    }

    private func checkGuards(plugin: String) throws(PluginError) {
        func intact<Element>(_ buffer: [Element], _ isGuard: (Element) -> Bool) -> Bool {
            buffer.suffix(Self.guardCount).allSatisfy(isGuard)
        }
        let overruns = [
            ("pooled", intact(pooled) { $0.bitPattern == Self.floatGuard.bitPattern }),
            ("tokens", intact(tokens) { $0.bitPattern == Self.floatGuard.bitPattern }),
            ("token_lengths", intact(lengths) { $0 == Self.lengthGuard }),
        ].filter { !$0.1 }.map(\.0)
        if let buffer = overruns.first {
            throw .invalidOutput(plugin: plugin, problem: "it wrote past the end of the '\(buffer)' buffer zoo gave it (memory may be corrupt)")
        }
    }

    private func checkReportedSizes(plugin: String) throws(PluginError) {
        let checks: [(String, Int64, Int, String)] = [
            ("pooled_width", reported.pooledWidth, pooledWidth, "describe's pooled_width"),
            ("token_count", reported.tokenCount, tokenSlots, "the token_capacity zoo passed"),
            ("token_width", reported.tokenWidth, tokenWidth, "describe's token_width"),
        ]
        for (field, value, expected, source) in checks where value != Int64(expected) {
            throw .invalidOutput(plugin: plugin, problem: "it reported \(field) = \(value), but \(source) is \(expected)")
        }
    }

    private func checkFinite(plugin: String) throws(PluginError) {
        for item in 0..<count {
            let row = pooled[item * pooledWidth..<(item + 1) * pooledWidth]
            if let bad = row.first(where: { !$0.isFinite }) {
                throw .invalidOutput(plugin: plugin, problem: "pooled embedding \(item) holds \(bad)")
            }
            let start = item * tokenSlots * tokenWidth
            let states = tokens[start..<start + Int(lengths[item]) * tokenWidth]
            if let bad = states.first(where: { !$0.isFinite }) {
                throw .invalidOutput(plugin: plugin, problem: "the token states of item \(item) hold \(bad)")
            }
        }
    }

    private mutating func zeroPadding() {
        for item in 0..<count {
            let start = item * tokenSlots * tokenWidth
            let used = Int(lengths[item]) * tokenWidth
            for index in start + used..<start + tokenSlots * tokenWidth { tokens[index] = 0 }
        }
    }
}
