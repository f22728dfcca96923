import CZooPlugin
import Runtime

/// A text encoder run by a plugin, which tokenizes inside `encode_texts`. zoo's token ids for a
/// plugin text encoder are therefore the UTF-8 bytes of the text: ``tokenize(_:)`` returns them
/// and ``encode(ids:)`` turns them back into text for the plugin.
struct PluginTextEncoder: TextEncoder {
    let model: PluginModel

    var width: Int { model.info.pooledWidth }
    var maxLength: Int { model.info.maxTokens }

    /// The UTF-8 bytes of `text` as ids (not truncated: the plugin truncates its own tokens).
    func tokenize(_ text: String) -> [Int32] {
        text.utf8.map { Int32($0) }
    }

    func encode(ids: [[Int32]]) throws -> TextEncoding {
        try run(ids)
    }

    private func run(_ ids: [[Int32]]) throws(PluginError) -> TextEncoding {
        let plugin = model.library.name
        var texts: [[UInt8]] = []
        for sequence in ids {
            guard sequence.allSatisfy({ (0...255).contains($0) }) else {
                throw .invalidInput(plugin: plugin, problem: "its ids are the UTF-8 bytes of a text (0…255); encode texts, not another tokenizer's ids")
            }
            texts.append(sequence.map { UInt8($0) })
        }
        return try model.withHandle { functions, handle throws(PluginError) in
            var buffers = try PluginOutputBuffers(
                count: texts.count, pooledWidth: model.info.pooledWidth, tokenSlots: model.info.maxTokens,
                tokenWidth: model.info.tokenWidth, plugin: plugin)
            if !texts.isEmpty {
                let status = CTextArray.withPointers(texts) { pointers, sizes in
                    buffers.call { output in
                        functions.encodeTexts?(handle, pointers, sizes, Int64(texts.count), output) ?? ZOO_PLUGIN_FAILED
                    }
                }
                guard status == ZOO_PLUGIN_OK else { throw model.failure("encode_texts", code: status, handle: handle) }
                try buffers.validate(plugin: plugin, exactLengths: false)
            }
            let lengths = buffers.tokenLengths
            let longest = lengths.max() ?? 0
            var mask = [UInt8](repeating: 0, count: texts.count * longest)
            for (row, length) in lengths.enumerated() {
                for column in 0..<length { mask[row * longest + column] = 1 }
            }
            return TextEncoding(tokens: buffers.tokenTensor(slots: longest), mask: mask, lengths: lengths,
                                pooled: buffers.pooledTensor())
        }
    }
}

/// NUL-terminated copies of byte strings with their sizes, laid out for `encode_texts`.
enum CTextArray {
    /// Calls `body` with `texts.count` pointers to NUL-terminated copies and their byte counts;
    /// the memory is valid only during the call.
    static func withPointers<Result>(
        _ texts: [[UInt8]],
        _ body: (UnsafePointer<UnsafePointer<CChar>?>, UnsafePointer<Int64>) -> Result
    ) -> Result {
        let total = texts.reduce(0) { $0 + $1.count + 1 }
        let storage = UnsafeMutablePointer<CChar>.allocate(capacity: max(total, 1))
        defer { storage.deallocate() }
        var pointers: [UnsafePointer<CChar>?] = []
        var offset = 0
        for text in texts {
            for (index, byte) in text.enumerated() { storage[offset + index] = CChar(bitPattern: byte) }
            storage[offset + text.count] = 0
            pointers.append(UnsafePointer(storage + offset))
            offset += text.count + 1
        }
        let sizes = texts.map { Int64($0.count) }
        return pointers.withUnsafeBufferPointer { pointers in
            sizes.withUnsafeBufferPointer { sizes in body(pointers.baseAddress!, sizes.baseAddress!) }
        }
    }
}
