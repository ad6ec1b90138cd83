using System.Diagnostics.Metrics;

namespace Strata.Core;

/// <summary>
/// What the store counts, as System.Diagnostics.Metrics instruments (meter "Strata.Store"): the
/// host exports them (Prometheus on the admin port); the store itself knows no exporter.
/// </summary>
public static class StoreMetrics
{
    public const string MeterName = "Strata.Store";
    private static readonly Meter Meter = new(MeterName);

    public static readonly Counter<long> Commits = Meter.CreateCounter<long>("strata.commits", "{commit}", "commits stored by this node");
    public static readonly Counter<long> Purges = Meter.CreateCounter<long>("strata.purges", "{purge}", "versions permanently deleted by this node");
    public static readonly Counter<long> CasRetries = Meter.CreateCounter<long>("strata.cas.retries", "{retry}",
        "branch-head compare-and-swaps this node lost (another writer moved the head first) and retried");
    public static readonly Histogram<long> GroupSize = Meter.CreateHistogram<long>("strata.commit.group.size", "{commit}",
        "commits stored by one head compare-and-swap (group commit folds concurrent writers to one branch)",
        advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64] });
}
