/// Training pairs read from two embedding caches: for every image, its cached vision outputs
/// and the cached text outputs of each of its candidate captions.
public final class CachedPairData: Sendable {
    /// The vision cache.
    public let visionCache: EmbeddingCache
    /// The text cache.
    public let textCache: EmbeddingCache
    /// Whether batches carry token states (token projectors) or pooled embeddings.
    public let usesTokens: Bool
    /// Tokens per image when ``usesTokens``, else 1.
    public let tokensPerImage: Int
    /// Width of the vision inputs.
    public let visionWidth: Int
    /// Width of the text inputs.
    public let textWidth: Int
    private let images: [EmbeddingCache.Location]
    private let captions: [[EmbeddingCache.Location]]

    /// Resolves every image id and caption text in the caches.
    ///
    /// - Parameters:
    ///   - imageIDs: Dataset item ids, in dataset order.
    ///   - captions: The candidate caption texts of each image (the text cache is keyed by text).
    /// - Throws: ``TrainingError/notCached(side:id:cache:)`` for the first missing entry,
    ///   ``TrainingError/mismatch(_:)`` when tokens are needed but not cached, or images have
    ///   different token counts.
    public init(visionCache: EmbeddingCache, textCache: EmbeddingCache, imageIDs: [String], captions: [[String]], usesTokens: Bool) throws(TrainingError) {
        precondition(imageIDs.count == captions.count, "one caption list per image")
        guard !imageIDs.isEmpty else { throw .empty("the dataset has no images to train on") }
        if usesTokens {
            guard visionCache.layout.tokens else {
                throw .mismatch("the vision cache '\(visionCache.folder.path)' keeps no token states; a token projector needs 'zoo embed --tokens'")
            }
            guard textCache.layout.tokens else {
                throw .mismatch("the text cache '\(textCache.folder.path)' keeps no token states; a token projector needs 'zoo embed --tokens'")
            }
        }
        var images: [EmbeddingCache.Location] = []
        images.reserveCapacity(imageIDs.count)
        for id in imageIDs {
            guard let location = visionCache.location(of: id) else {
                throw .notCached(side: "image", id: id, cache: visionCache.folder.path)
            }
            images.append(location)
        }
        var resolved: [String: EmbeddingCache.Location] = [:]
        var captionLocations: [[EmbeddingCache.Location]] = []
        captionLocations.reserveCapacity(captions.count)
        for (image, texts) in captions.enumerated() {
            guard !texts.isEmpty else { throw .empty("image '\(imageIDs[image])' has no caption") }
            var list: [EmbeddingCache.Location] = []
            for text in texts {
                if let known = resolved[text] { list.append(known); continue }
                guard let location = textCache.location(of: text) else {
                    throw .notCached(side: "text", id: text, cache: textCache.folder.path)
                }
                guard !usesTokens || location.tokenCount > 0 else {
                    throw .mismatch("caption '\(text)' has no cached tokens")
                }
                resolved[text] = location
                list.append(location)
            }
            captionLocations.append(list)
        }
        if usesTokens {
            let count = images[0].tokenCount
            if let odd = images.firstIndex(where: { $0.tokenCount != count }) {
                throw .mismatch("image '\(imageIDs[odd])' has \(images[odd].tokenCount) cached tokens but '\(imageIDs[0])' has \(count); a token projector needs one image size (set a center crop in the preprocessor)")
            }
            tokensPerImage = count
            visionWidth = visionCache.layout.tokenWidth
            textWidth = textCache.layout.tokenWidth
        } else {
            tokensPerImage = 1
            visionWidth = visionCache.layout.pooledWidth
            textWidth = textCache.layout.pooledWidth
        }
        self.visionCache = visionCache
        self.textCache = textCache
        self.usesTokens = usesTokens
        self.images = images
        self.captions = captionLocations
    }

    /// The number of images (pairs per epoch).
    public var count: Int { images.count }

    /// Caption candidates per image.
    public var captionCounts: [Int] { captions.map(\.count) }

    /// Gathers the inputs of the images `indices`, each with caption `caption(i)`.
    public func batch(images indices: [Int], caption: (Int) -> Int) -> TrainingBatch {
        let chosen = indices.map { captions[$0][caption($0)] }
        let locations = indices.map { images[$0] }
        guard usesTokens else {
            return TrainingBatch(
                vision: visionCache.gatherPooled(locations), text: textCache.gatherPooled(chosen),
                textLengths: Array(repeating: 1, count: indices.count))
        }
        let vision = visionCache.gatherTokens(locations).reshaped([indices.count, tokensPerImage, visionWidth])
        return TrainingBatch(vision: vision, text: textCache.gatherTokens(chosen), textLengths: chosen.map(\.tokenCount))
    }
}
