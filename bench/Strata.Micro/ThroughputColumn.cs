using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Strata.Micro;

/// <summary>
/// Marks a benchmark as processing a fixed number of bytes per operation, so <see cref="ThroughputColumn"/>
/// can turn its mean time into MB/s. A benchmark without it may instead have a parameter named "Size"
/// (bytes per operation).
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class BytesPerOpAttribute(long bytes) : Attribute
{
    public long Bytes { get; } = bytes;
}

/// <summary>"MB/s": bytes per operation divided by the mean time per operation (MB = 10^6 bytes).</summary>
public sealed class ThroughputColumn : IColumn
{
    public string Id => nameof(ThroughputColumn);
    public string ColumnName => "MB/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "Throughput: bytes per operation / mean time per operation, in 10^6 bytes per second";

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public bool IsAvailable(Summary summary) => true;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var bytes = BytesPerOp(benchmarkCase);
        var mean = summary[benchmarkCase]?.ResultStatistics?.Mean;
        if (bytes is null || mean is null or <= 0) return "-";
        var mbPerSecond = bytes.Value / mean.Value * 1e9 / 1e6;
        return mbPerSecond.ToString(mbPerSecond >= 100 ? "N0" : "N1", System.Globalization.CultureInfo.InvariantCulture);
    }

    private static long? BytesPerOp(BenchmarkCase benchmarkCase)
    {
        var attr = benchmarkCase.Descriptor.WorkloadMethod
            .GetCustomAttributes(typeof(BytesPerOpAttribute), inherit: false).OfType<BytesPerOpAttribute>().FirstOrDefault();
        if (attr is not null) return attr.Bytes;
        foreach (var p in benchmarkCase.Parameters.Items)
            if (p.Name == "Size" && p.Value is IConvertible c)
                return c.ToInt64(System.Globalization.CultureInfo.InvariantCulture);
        return null;
    }

    public override string ToString() => ColumnName;
}
