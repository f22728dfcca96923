import Foundation
import Runtime

/// Comparisons and set-up the CLIP and SigLIP parity tests share.
enum TowerParitySupport {
    /// The largest |a − b| / max(1, |b|) over two equally long arrays.
    static func relativeDifference(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Float {
        zip(a, b).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? .nan
    }

    /// The cosine of two equally long vectors, summed in double precision.
    static func cosine(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Float {
        var (dot, aa, bb) = (0.0, 0.0, 0.0)
        for (x, y) in zip(a, b) {
            dot += Double(x) * Double(y)
            aa += Double(x) * Double(x)
            bb += Double(y) * Double(y)
        }
        return Float(dot / (aa.squareRoot() * bb.squareRoot()))
    }

    /// The pixel values of `image` under `model`'s preprocessor_config.json with `changes`
    /// applied (for example a smaller `size`), and the absolute differences from `expected`.
    static func preprocessed(
        model: URL, changes: [String: Any], image: URL, expected: [Float]
    ) throws -> (values: Tensor, differences: [Float]) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-tower-preprocess-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: model.appendingPathComponent("preprocessor_config.json"))) as? [String: Any] ?? [:]
        config.merge(changes) { $1 }
        let url = folder.appendingPathComponent("preprocessor_config.json")
        try JSONSerialization.data(withJSONObject: config).write(to: url)
        let values = try ImagePreprocessor(contentsOf: url).pixelValues(contentsOf: image)
        return (values, zip(values.scalars, expected).map { abs($0 - $1) })
    }
}
