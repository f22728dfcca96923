/// Rows of embeddings, `[rows, width]` row-major, for scoring.
public struct EmbeddingMatrix: Sendable {
    /// The values.
    public var values: [Float]
    /// The number of rows.
    public let rows: Int
    /// The width of each row.
    public let width: Int

    /// Wraps `values`.
    ///
    /// - Precondition: `values.count == rows * width`.
    public init(values: [Float], rows: Int, width: Int) {
        precondition(values.count == rows * width, "EmbeddingMatrix: \(values.count) values for \(rows)×\(width)")
        self.values = values
        self.rows = rows
        self.width = width
    }

    /// A copy with every row scaled to unit length (rows of zeros stay zero).
    public func normalized() -> EmbeddingMatrix {
        var copy = self
        let width = width
        copy.values.withUnsafeMutableBufferPointer { buffer in
            let base = UnsafeSendableBox(buffer.baseAddress!)
            ParallelRows.forEach(count: rows, costPerRow: width) { range in
                for row in range {
                    let start = base.value + row * width
                    // Eight Float partial sums (vectorisable), added in Double.
                    var partial = SIMD8<Float>()
                    var index = 0
                    let raw = UnsafeMutableRawPointer(start)
                    while index + 8 <= width {
                        let chunk = raw.loadUnaligned(fromByteOffset: index * 4, as: SIMD8<Float>.self)
                        partial += chunk * chunk
                        index += 8
                    }
                    var sum: Double = 0
                    for lane in 0..<8 { sum += Double(partial[lane]) }
                    while index < width { sum += Double(start[index]) * Double(start[index]); index += 1 }
                    let scale = sum > 0 ? Float(1 / sum.squareRoot()) : 0
                    for index in 0..<width { start[index] *= scale }
                }
            }
        }
        return copy
    }

    /// Class embeddings from prompt embeddings: for each class, the mean of its prompts'
    /// normalised embeddings, normalised again (CLIP's zero-shot classifier).
    ///
    /// - Parameter promptsPerClass: Rows `c·p ..< (c+1)·p` of `self` belong to class `c`.
    public func classEmbeddings(promptsPerClass: Int) -> EmbeddingMatrix {
        precondition(promptsPerClass > 0 && rows % promptsPerClass == 0, "EmbeddingMatrix: \(rows) prompts do not split into \(promptsPerClass) per class")
        let normalizedPrompts = normalized()
        let classes = rows / promptsPerClass
        var means = [Float](repeating: 0, count: classes * width)
        for cls in 0..<classes {
            for prompt in 0..<promptsPerClass {
                let source = (cls * promptsPerClass + prompt) * width
                for column in 0..<width { means[cls * width + column] += normalizedPrompts.values[source + column] }
            }
        }
        return EmbeddingMatrix(values: means, rows: classes, width: width).normalized()
    }
}

