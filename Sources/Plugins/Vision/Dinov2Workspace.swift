import Foundation
import Runtime

/// Scratch buffers for one DINOv2 forward pass, sized for its packed row count and shared by all
/// layers. A model keeps the ones it used (see ``Dinov2WorkspaceCache``) so that repeated
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
        normed = CacheLineMemory.floats(capacity * width)
        qkv = CacheLineMemory.floats(capacity * 3 * width)
        context = CacheLineMemory.floats(capacity * width)
        expanded = CacheLineMemory.floats(capacity * expandedWidth)
        gated = CacheLineMemory.floats(max(capacity * gatedWidth, 1))
    }

    deinit {
        normed.deallocate()
        qkv.deallocate()
        context.deallocate()
        expanded.deallocate()
        gated.deallocate()
    }
}

/// Keeps idle ``Dinov2Workspace``s for reuse. Concurrent forward passes (or the threads of one
/// split batch) each get their own: a pass takes an idle workspace with enough rows (else makes
/// one) and puts it back when done. At most ``maximumKept`` are kept, holding at most
/// ``maximumKeptFloats`` together.
final class Dinov2WorkspaceCache: @unchecked Sendable {
    /// The most idle workspaces kept.
    static let maximumKept = 4
    /// The most memory the idle workspaces may hold together: 128 Mi floats (512 MiB).
    static let maximumKeptFloats = 128 << 20

    private let lock = NSLock()
    private var idle: [Dinov2Workspace] = []

    /// An idle workspace of at least `rows` rows (the smallest such), or a new one made by
    /// `make`.
    func take(rows: Int, make: () -> Dinov2Workspace) -> Dinov2Workspace {
        lock.lock()
        let index = idle.indices.filter { idle[$0].rows >= rows }.min { idle[$0].rows < idle[$1].rows }
        let found = index.map { idle.remove(at: $0) }
        lock.unlock()
        return found ?? make()
    }

    /// Keeps `workspace` for a later pass, dropping the smallest idle ones while over the limits.
    func giveBack(_ workspace: Dinov2Workspace) {
        lock.lock()
        defer { lock.unlock() }
        idle.append(workspace)
        while idle.count > Self.maximumKept || idle.reduce(0, { $0 + $1.floatCount }) > Self.maximumKeptFloats,
              let smallest = idle.indices.min(by: { idle[$0].rows < idle[$1].rows }) {
            idle.remove(at: smallest)
        }
    }
}
