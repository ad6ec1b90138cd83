using System.Diagnostics.Metrics;

namespace Strata.Server.Telemetry;

/// <summary>
/// The host's instruments (meter "Strata.Server"), exported with the store's on /metrics. Units
/// follow OpenTelemetry ("s", "By"); the Prometheus exporter turns them into _seconds and _bytes.
/// </summary>
public static class ServerMetrics
{
    public const string MeterName = "Strata.Server";
    private static readonly Meter Meter = new(MeterName);

    // Latency buckets from 1 ms to 5 min: small requests and multi-GiB bodies both land in a bucket of their own.
    private static readonly double[] Seconds = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
    private static readonly double[] StoreSeconds = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];

    public static readonly Counter<long> Requests = Meter.CreateCounter<long>("strata.s3.requests", "{request}", "S3 requests by operation and HTTP status");
    public static readonly Histogram<double> RequestDuration = Meter.CreateHistogram("strata.s3.request.duration", "s",
        "S3 request time from arrival to the last byte of the answer", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = Seconds });
    public static readonly Histogram<double> TimeToFirstByte = Meter.CreateHistogram("strata.s3.time_to_first_byte", "s",
        "S3 request time from arrival to the answer's headers", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = Seconds });
    public static readonly Counter<long> BytesReceived = Meter.CreateCounter<long>("strata.s3.received", "By", "request body bytes read (as sent, with aws-chunked framing)");
    public static readonly Counter<long> BytesSent = Meter.CreateCounter<long>("strata.s3.sent", "By", "response body bytes written");

    public static readonly Histogram<double> ChunkStoreDuration = Meter.CreateHistogram("strata.chunk_store.duration", "s",
        "chunk store calls by operation (open: until the stream is ready)", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = StoreSeconds });
    public static readonly Histogram<double> MetadataDuration = Meter.CreateHistogram("strata.metadata.duration", "s",
        "metadata store calls by method", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = StoreSeconds });

    public static readonly Counter<long> GcRuns = Meter.CreateCounter<long>("strata.gc.runs", "{run}", "garbage collections run by this node, by outcome");

    /// <summary>Where the store gauges read from: the server started last in this process (tests start several).</summary>
    public static StoreGauges? Store { get; set; }

    static ServerMetrics()
    {
        Meter.CreateObservableGauge("strata.uploads.open", () => Store?.OpenUploads ?? 0, "{upload}", "multipart uploads in progress (all nodes)");
        Meter.CreateObservableGauge("strata.gc.last.freed", () => Store?.LastGcFreedBytes ?? 0, "By", "bytes freed by the last garbage collection (any node)");
        Meter.CreateObservableGauge("strata.gc.last.chunks_deleted", () => Store?.LastGcChunksDeleted ?? 0, "{chunk}", "chunks deleted by the last garbage collection");
        Meter.CreateObservableGauge("strata.gc.last.duration", () => Store?.LastGcSeconds ?? 0, "s", "duration of the last garbage collection");
        Meter.CreateObservableGauge("strata.gc.last.finished", () => Store?.LastGcFinishedUnix ?? 0, "s", "when the last garbage collection finished (Unix time)");
    }
}
