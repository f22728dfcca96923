import Foundation
import Registry
import Runtime

/// Zero-shot labels for one's own images through a trained pair: `zoo classify`, and the
/// server's `/v1/classify`. Class embeddings are built as `zoo eval` builds them.
public enum ImageClassification {
    /// What to classify and against which classes.
    public struct Request: Sendable {
        /// The trained pair.
        public var pair: PairReference
        /// The image files, in order.
        public var images: [URL]
        /// The class names, in order.
        public var classNames: [String]
        /// The prompt templates, each with `{c}`.
        public var templates: [String] = [LabelCaptioner.defaultTemplate]
        /// Labels kept per image.
        public var top = 5
        /// Images per encoder call.
        public var batch = 32
        /// Leave out images that cannot be decoded instead of stopping.
        public var skipBad = false

        /// A request with the default template, top 5.
        public init(pair: PairReference, images: [URL], classNames: [String]) {
            self.pair = pair
            self.images = images
            self.classNames = classNames
        }
    }

    /// The labels of one image.
    public struct Prediction: Sendable, Encodable, Equatable {
        /// The image's path.
        public var image: String
        /// The best labels, best first.
        public var labels: [ZeroShotClassifier.Label]
    }

    /// What a run gives.
    public struct Outcome: Sendable, Encodable {
        /// The pair as `VISION+TEXT@TAG`.
        public var pair: String
        /// One per image kept, in input order.
        public var predictions: [Prediction]
        /// The images skipped with `skipBad`.
        public var skipped: [String]
    }

    /// The class names of a `--labels` value: comma-separated, trimmed, none empty, no repeats.
    public static func labels(_ text: String) throws -> [String] {
        let names = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        if let empty = names.firstIndex(where: \.isEmpty) {
            throw ZooError(.usage, "--labels: label \(empty + 1) is empty; pass names separated by commas, e.g. \"cat,dog\"")
        }
        var seen: Set<String> = []
        for name in names where !seen.insert(name).inserted {
            throw ZooError(.usage, "--labels: '\(name)' is listed twice")
        }
        return names
    }

    /// Loads the pair, builds the classifier and labels every image.
    public static func run(zoo: ModelZoo, request: Request, skipped: (ImageFailure) -> Void = { _ in }) throws -> Outcome {
        guard request.top >= 1 else { throw ZooError(.usage, "--top must be at least 1") }
        var pair = try AlignedPair.load(zoo: zoo, pair: request.pair)
        pair.batchSize = max(1, request.batch)
        return try run(pair: pair, request: request, skipped: skipped)
    }

    /// Labels every image of `request` with an already loaded pair.
    public static func run(pair: AlignedPair, request: Request, skipped: (ImageFailure) -> Void = { _ in }) throws -> Outcome {
        let classifier = try pair.classifier(classNames: request.classNames, templates: request.templates)
        var predictions: [Prediction] = []
        let skippedPaths = try pair.embedImages(request.images, skipBad: request.skipBad, skipped: skipped) { ids, rows in
            for (id, labels) in zip(ids, classifier.labels(for: rows, top: request.top)) {
                predictions.append(Prediction(image: id, labels: labels))
            }
        }
        return Outcome(pair: pair.reference, predictions: predictions, skipped: skippedPaths)
    }
}
