/// Hugging Face `WhitespaceSplit`: words are the runs between Unicode white space
/// (the `White_Space` property), which is dropped.
struct WhitespaceSplitPreTokenizer: PreTokenizer {
    func split(_ text: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        var start: Int?
        var index = 0
        while index < text.count {
            let (value, width) = UTF8Scalars.decode(text, at: index)
            if Unicode.Scalar(value)?.properties.isWhitespace == true {
                if let begin = start { body(UnsafeBufferPointer(rebasing: text[begin..<index])) }
                start = nil
            } else if start == nil {
                start = index
            }
            index += max(1, width)
        }
        if let begin = start { body(UnsafeBufferPointer(rebasing: text[begin..<text.count])) }
    }
}

/// Hugging Face `Sequence` of pre-tokenizers: each splits the words of the one before.
struct PreTokenizerSequence: PreTokenizer {
    let steps: [any PreTokenizer]

    func split(_ text: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        func run(_ step: Int, _ word: UnsafeBufferPointer<UInt8>) {
            guard step < steps.count else { return body(word) }
            steps[step].split(word) { run(step + 1, $0) }
        }
        run(0, text)
    }
}
