extension Tensor {
    /// The element-wise sum of two tensors of the same shape.
    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor {
        precondition(lhs.shape == rhs.shape, "cannot add \(lhs.shape) and \(rhs.shape)")
        var result = Tensor(shape: lhs.shape)
        result.withUnsafeMutableBufferPointer { output in
            guard let output = output.baseAddress else { return }
            TensorKernels.add(lhs.baseAddress, rhs.baseAddress, into: output, count: lhs.count)
        }
        return result
    }

    /// Adds `rhs`, of the same shape, element by element.
    public static func += (lhs: inout Tensor, rhs: Tensor) {
        lhs = lhs + rhs
    }

    /// Rows `ids` of an embedding `table` `[rows, width]`, as `[ids.count, width]`.
    ///
    /// - Precondition: every id lies in `0..<rows`.
    public static func embedding(_ table: Tensor, ids: [Int32]) -> Tensor {
        precondition(table.rank == 2, "an embedding table must be [rows, width], got \(table.shape)")
        let width = table.shape[1]
        var result = Tensor(shape: [ids.count, width])
        result.withUnsafeMutableBufferPointer { output in
            guard let output = output.baseAddress else { return }
            ids.withUnsafeBufferPointer { ids in
                TensorKernels.gatherRows(
                    table: table.baseAddress, tableRows: table.shape[0], width: width,
                    ids: ids, output: output)
            }
        }
        return result
    }

    /// GELU of every element, in the chosen form.
    public func gelu(_ form: GELUForm = .exact) -> Tensor {
        var result = self
        result.withUnsafeMutableBufferPointer { values in
            guard let base = values.baseAddress else { return }
            TensorKernels.gelu(base, count: values.count, form: form)
        }
        return result
    }

    /// Softmax along the last axis; each row of the result sums to 1.
    public func softmax() -> Tensor {
        let width = shape.last ?? 1
        var result = self
        result.withUnsafeMutableBufferPointer { values in
            guard let base = values.baseAddress, width > 0 else { return }
            ParallelRows.forEach(count: values.count / width, costPerRow: width * 4) { rows in
                TensorKernels.softmaxRows(
                    base + rows.lowerBound * width, rows: rows.count, columns: width, stride: width)
            }
        }
        return result
    }

    /// LayerNorm along the last axis with learnt `weight` and `bias` (each the last axis' size).
    public func layerNorm(weight: Tensor, bias: Tensor, epsilon: Float) -> Tensor {
        let width = shape.last ?? 1
        precondition(
            weight.count == width && bias.count == width,
            "LayerNorm over \(width) needs weight and bias of \(width), got \(weight.count) and \(bias.count)")
        var result = self
        result.withUnsafeMutableBufferPointer { values in
            guard let base = values.baseAddress, width > 0 else { return }
            TensorKernels.layerNorm(
                base, rows: values.count / width, width: width,
                weight: weight.baseAddress, bias: bias.baseAddress, epsilon: epsilon)
        }
        return result
    }

    /// Each vector along the last axis divided by max(its L2 norm, `epsilon`).
    public func l2Normalized(epsilon: Float = 1e-12) -> Tensor {
        let width = shape.last ?? 1
        var result = self
        result.withUnsafeMutableBufferPointer { values in
            guard let base = values.baseAddress, width > 0 else { return }
            TensorKernels.l2NormalizeRows(base, rows: values.count / width, width: width, epsilon: epsilon)
        }
        return result
    }
}
