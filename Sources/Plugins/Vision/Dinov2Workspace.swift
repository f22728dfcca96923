import Foundation

/// Scratch buffers for one DINOv2 forward pass, sized for its packed row count and shared by all
/// layers. A model keeps the last one it used (see ``Dinov2WorkspaceCache``) so that repeated
/// batches of one size reuse memory that is already mapped.
final class Dinov2Workspace: @unchecked Sendable {
    /// Rows the buffers hold.
    let rows: Int
    /// Floats in all the buffers together.
    let floatCount: Int
    /// `rows × width`: the LayerNorm of the residual stream, input of attention or feed-forward.
    let normed: UnsafeMutablePointer<Float>
    /// `rows × 3·width`: fused Q, K, V.
    let qkv: UnsafeMutablePointer<Float>
    /// `rows × width`: attention output before its dense layer.
    let context: UnsafeMutablePointer<Float>
    /// `rows × expandedWidth`: the first feed-forward layer's output.
    let expanded: UnsafeMutablePointer<Float>
    /// `rows × gatedWidth`: SwiGLU's gated activations (empty for the MLP).
    let gated: UnsafeMutablePointer<Float>

    /// Buffers for `rows` rows of `width`, a feed-forward block `expandedWidth` wide after its
    /// first layer and `gatedWidth` after the SwiGLU gate (0 without one).
    init(rows: Int, width: Int, expandedWidth: Int, gatedWidth: Int) {
        self.rows = rows
        let capacity = max(rows, 1)
        floatCount = capacity * (5 * width + expandedWidth + gatedWidth)
        normed = .allocate(capacity: capacity * width)
        qkv = .allocate(capacity: capacity * 3 * width)
        context = .allocate(capacity: capacity * width)
        expanded = .allocate(capacity: capacity * expandedWidth)
        gated = .allocate(capacity: max(capacity * gatedWidth, 1))
    }

    deinit {
        normed.deallocate()
        qkv.deallocate()
        context.deallocate()
        expanded.deallocate()
        gated.deallocate()
    }
}

/// Keeps one idle ``Dinov2Workspace`` for reuse. Concurrent forward passes each get their own:
/// a pass takes the idle workspace when it has enough rows (else makes one) and puts it back
/// when done. Workspaces larger than ``maximumKeptFloats`` are not kept.
final class Dinov2WorkspaceCache: @unchecked Sendable {
    /// The largest workspace kept between passes: 128 Mi floats (512 MiB).
    static let maximumKeptFloats = 128 << 20

    private let lock = NSLock()
    private var idle: Dinov2Workspace?

    /// An idle workspace of at least `rows` rows, or a new one made by `make`.
    func take(rows: Int, make: () -> Dinov2Workspace) -> Dinov2Workspace {
        lock.lock()
        let candidate = idle
        if let candidate, candidate.rows >= rows { idle = nil }
        lock.unlock()
        if let candidate, candidate.rows >= rows { return candidate }
        return make()
    }

    /// Keeps `workspace` for the next pass, replacing a smaller idle one.
    func giveBack(_ workspace: Dinov2Workspace) {
        guard workspace.floatCount <= Self.maximumKeptFloats else { return }
        lock.lock()
        defer { lock.unlock() }
        if let idle, idle.rows >= workspace.rows { return }
        idle = workspace
    }
}
