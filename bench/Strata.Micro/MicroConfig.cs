using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;

namespace Strata.Micro;

/// <summary>The configuration every benchmark runs with: memory diagnoser, MB/s column, and a short job unless --job names one.</summary>
public static class MicroConfig
{
    /// <summary>A ShortRun-like job for a noisy 2-core machine: one process, 3 warm-up and 5 measured iterations.</summary>
    public static readonly Job Short = Job.Default
        .WithLaunchCount(1)
        .WithWarmupCount(3)
        .WithIterationCount(5)
        .WithId("Short");

    public static IConfig Create(bool addDefaultJob)
    {
        var config = DefaultConfig.Instance
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddColumn(new ThroughputColumn());
        return addDefaultJob ? config.AddJob(Short) : config;
    }
}
