import Foundation
import Testing

/// Fixtures of the dataset, embedding and training tests: a Fashion-MNIST subset in IDX form,
/// the tiny DINOv2 for 28 px inputs, and the real all-MiniLM-L6-v2.
enum TrainingFixtures {
    static let fashionMNIST = "/usr/share/datasets/fashion-mnist"
    static let repository = ZooRunner.fixtures.deletingLastPathComponent().deletingLastPathComponent()
    static let classNames = repository.appendingPathComponent("data/fashion-mnist/classnames.txt").path
    static let captionTemplates = repository.appendingPathComponent("data/fashion-mnist/caption_templates.txt").path
    static let mnistViT = ZooRunner.fixtures.appendingPathComponent("vision/models/dinov2-mnist").path

    /// Writes the first `count` images and labels of the Fashion-MNIST `split` (train or t10k)
    /// as plain IDX files in `folder` (as `train-…` so the default split reads them).
    static func subset(count: Int, split: String = "train", into folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let images = try gunzip("\(fashionMNIST)/\(split)-images-idx3-ubyte.gz")
        let labels = try gunzip("\(fashionMNIST)/\(split)-labels-idx1-ubyte.gz")
        var imageHeader = Array(images.prefix(16))
        var labelHeader = Array(labels.prefix(8))
        let bigEndian = withUnsafeBytes(of: UInt32(count).bigEndian, Array.init)
        imageHeader.replaceSubrange(4..<8, with: bigEndian)
        labelHeader.replaceSubrange(4..<8, with: bigEndian)
        try Data(imageHeader + images[16..<(16 + count * 784)]).write(to: folder.appendingPathComponent("train-images-idx3-ubyte"))
        try Data(labelHeader + labels[8..<(8 + count)]).write(to: folder.appendingPathComponent("train-labels-idx1-ubyte"))
    }

    private static func gunzip(_ path: String) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-dc", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "gzip -dc \(path)")
        return Array(data)
    }

    static var available: Bool {
        FileManager.default.fileExists(atPath: "\(fashionMNIST)/train-images-idx3-ubyte.gz")
    }
}
