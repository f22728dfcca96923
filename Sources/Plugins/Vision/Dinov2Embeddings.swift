import Runtime

/// DINOv2's input stage (transformers' `Dinov2Embeddings` / `Dinov2WithRegistersEmbeddings`):
/// the stride-`patch` convolution as one GEMM over unfolded patches, the class token, position
/// embeddings resized to the input grid, and the register tokens.
///
/// Per image the token rows are: class token + position 0, then the register tokens (they get
/// no position embedding), then each patch's projection + bias + its interpolated position,
/// patches in row-major grid order. `mask_token` is not read: it only replaces masked patches
/// during pre-training.
struct Dinov2Embeddings: Sendable {
    let width: Int
    let channels: Int
    let patchSize: Int
    /// The side of the stored position grid.
    let gridSide: Int
    let antialias: Bool
    /// `[width, channels · patch²]`: the convolution kernel `[width, channels, patch, patch]`
    /// flattened, so that it multiplies unfolded patch rows.
    let projection: PackedLinear
    let projectionBias: Tensor
    let classToken: Tensor
    /// `[registers, width]`; empty without registers.
    let registerTokens: Tensor
    /// `[1 + gridSide², width]`: the class position, then the grid row-major.
    let positionTable: Tensor

    /// Reads the embedding tensors from `weights` scoped to `embeddings`, checking their shapes against `config`.
    init(weights: WeightReader, config: Dinov2Config) throws(ModelLoadError) {
        let d = config.hiddenSize
        let p = config.patchSize
        width = d
        channels = config.channels
        patchSize = p
        gridSide = config.positionGridSide
        antialias = config.antialiasedPositionInterpolation
        projection = PackedLinear(weight: try weights.tensor(
            "patch_embeddings.projection.weight", shape: [d, config.channels, p, p]
        ).reshaped([d, config.channels * p * p]))
        projectionBias = try weights.tensor("patch_embeddings.projection.bias", shape: [d])
        classToken = try weights.tensor("cls_token", shape: [1, 1, d]).reshaped([d])
        if config.registerCount > 0 {
            registerTokens = try weights.tensor(
                "register_tokens", shape: [1, config.registerCount, d]
            ).reshaped([config.registerCount, d])
        } else {
            registerTokens = Tensor(shape: [0, d])
        }
        positionTable = try weights.tensor(
            "position_embeddings", shape: [1, 1 + gridSide * gridSide, d]
        ).reshaped([1 + gridSide * gridSide, d])
    }

    /// The register tokens per image.
    var registerCount: Int { registerTokens.shape[0] }

    /// The position embeddings `[1 + gridHeight · gridWidth, width]` for a grid of
    /// `gridHeight × gridWidth` patches, as transformers 5.24's `interpolate_pos_encoding`
    /// computes them.
    ///
    /// The stored table is used as is when the grid is the stored square one. Otherwise the class
    /// position is kept and the stored grid is resized with PyTorch's bicubic interpolation to
    /// the target size (plain for `Dinov2Model`, antialiased for `Dinov2WithRegistersModel`).
    /// Resizing to the same size would give the table back in both modes.
    func positions(gridHeight: Int, gridWidth: Int) -> Tensor {
        if gridHeight == gridSide, gridWidth == gridSide { return positionTable }
        var result = Tensor(shape: [1 + gridHeight * gridWidth, width])
        result.withUnsafeMutableBufferPointer { output in
            let output = output.baseAddress!
            let table = positionTable.baseAddress
            output.update(from: table, count: width)
            BicubicInterpolation.resize(
                table + width, height: gridSide, width: gridSide, channels: width,
                toHeight: gridHeight, toWidth: gridWidth, antialias: antialias,
                output: output + width)
        }
        return result
    }

    /// Writes the token rows of `images` images `[channels, height, width]` into `states`, rows
    /// of ``width``; each image takes `1 + registers + (height/patch)·(width/patch)` rows.
    ///
    /// `height` and `width` must be positive multiples of the patch size.
    func embed(
        pixels: UnsafePointer<Float>, images: Int, height: Int, width imageWidth: Int,
        into states: UnsafeMutablePointer<Float>
    ) {
        let gridHeight = height / patchSize
        let gridWidth = imageWidth / patchSize
        let patches = gridHeight * gridWidth
        let patchRows = images * patches
        let unfoldedWidth = channels * patchSize * patchSize
        let unfolded = CacheLineMemory.floats(patchRows * unfoldedWidth)
        defer { unfolded.deallocate() }
        let projected = CacheLineMemory.floats(patchRows * width)
        defer { projected.deallocate() }
        TensorKernels.unfoldPatches(
            pixels, images: images, channels: channels, height: height, width: imageWidth,
            patchSize: patchSize, output: unfolded)
        projection(input: unfolded, rows: patchRows, bias: nil, output: projected)

        let positions = positions(gridHeight: gridHeight, gridWidth: gridWidth)
        let registers = registerCount
        let tokensPerImage = 1 + registers + patches
        let width = self.width
        let bias = projectionBias.baseAddress
        let cls = classToken.baseAddress
        let registerRows = registerTokens.baseAddress
        positions.withUnsafeBufferPointer { table in
            let place = table.baseAddress!
            ParallelRows.forEach(count: images * tokensPerImage, costPerRow: width * 3) { range in
                for row in range {
                    let image = row / tokensPerImage
                    let token = row % tokensPerImage
                    let line = states + row * width
                    if token == 0 {
                        for column in 0..<width { line[column] = cls[column] + place[column] }
                    } else if token <= registers {
                        line.update(from: registerRows + (token - 1) * width, count: width)
                    } else {
                        let patch = token - 1 - registers
                        let source = projected + (image * patches + patch) * width
                        let position = place + (1 + patch) * width
                        for column in 0..<width {
                            line[column] = (source[column] + bias[column]) + position[column]
                        }
                    }
                }
            }
        }
    }
}
