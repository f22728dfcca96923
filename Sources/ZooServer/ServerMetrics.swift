import Foundation
import Prometheus

/// The Prometheus metrics `/metrics` shows: requests by route and status, latency per route,
/// queue depth, batch sizes and inputs dropped for clients that left, per model.
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()

    func requests(route: String, status: Int) -> Counter {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(namespace: "zoo", metricName: "http_requests", unitName: "total", helpText: "HTTP requests by route and status."),
            labels: [("route", route), ("status", String(status))])
    }

    func latency(route: String) -> DurationHistogram {
        registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(namespace: "zoo", metricName: "http_request_duration", unitName: "seconds", helpText: "Request latency by route."),
            labels: [("route", route)],
            buckets: [.milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
                      .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10)])
    }

    func queueDepth(_ model: String) -> Gauge {
        registry.makeGauge(
            descriptor: MetricNameDescriptor(namespace: "zoo", metricName: "queue_depth", unitName: "inputs", helpText: "Inputs waiting to be encoded, by model queue."),
            labels: [("model", model)])
    }

    func batchSize(_ model: String) -> ValueHistogram {
        registry.makeValueHistogram(
            descriptor: MetricNameDescriptor(namespace: "zoo", metricName: "batch_size", unitName: "inputs", helpText: "Inputs per forward pass, by model queue."),
            labels: [("model", model)],
            buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256])
    }

    func batchDuration(_ model: String) -> DurationHistogram {
        registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(namespace: "zoo", metricName: "batch_duration", unitName: "seconds", helpText: "Time of one forward pass, by model queue."),
            labels: [("model", model)],
            buckets: [.milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
                      .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10)])
    }

    func droppedInputs(_ model: String) -> Counter {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "zoo", metricName: "dropped_inputs", unitName: "total",
                helpText: "Inputs taken out of a model queue unencoded because their client disconnected or cancelled."),
            labels: [("model", model)])
    }

    /// The exposition text.
    func text() -> String { registry.emitToString() }
}
