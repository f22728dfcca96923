import Foundation

/// A first-in first-out queue of at most `capacity` elements shared by one producer thread and
/// one consumer: ``put(_:)`` blocks while it is full, ``take()`` while it is empty.
///
/// All state is guarded by one `NSCondition`, hence `@unchecked Sendable`.
package final class BoundedBuffer<Element: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private let capacity: Int
    private var items: [Element] = []
    private var head = 0
    private var finished = false
    private var cancelled = false

    /// A buffer holding at most `capacity` elements.
    package init(capacity: Int) {
        precondition(capacity > 0, "a bounded buffer needs room for one element")
        self.capacity = capacity
    }

    /// Appends `element`, waiting for room; `false` (and nothing appended) once cancelled.
    package func put(_ element: Element) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while items.count - head >= capacity && !cancelled { condition.wait() }
        guard !cancelled else { return false }
        items.append(element)
        condition.broadcast()
        return true
    }

    /// The oldest element, waiting for one; `nil` once the producer has finished and everything
    /// was taken, or once cancelled.
    package func take() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while items.count == head && !finished && !cancelled { condition.wait() }
        guard !cancelled, head < items.count else { return nil }
        let element = items[head]
        head += 1
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        }
        condition.broadcast()
        return element
    }

    /// Marks the end of the elements (producer side).
    package func finish() {
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// Stops both sides: waiting calls return, later ones do nothing, and buffered elements are dropped.
    package func cancel() {
        condition.lock()
        cancelled = true
        items.removeAll()
        head = 0
        condition.broadcast()
        condition.unlock()
    }

    /// Whether ``cancel()`` was called.
    package var isCancelled: Bool {
        condition.lock()
        defer { condition.unlock() }
        return cancelled
    }

    /// How many elements are waiting to be taken.
    package var count: Int {
        condition.lock()
        defer { condition.unlock() }
        return items.count - head
    }
}
