using System.Diagnostics;
using System.Reflection;
using Strata.Core.Storage;

namespace Strata.Server.Telemetry;

/// <summary>
/// Times every call of an IMetadataStore into strata.metadata.duration, labelled by method. A
/// dispatch proxy rather than a hand-written decorator: the interface has some sixty members, and
/// a decorator that forgot one would silently stop measuring it.
/// </summary>
public class MeteredMetadataStore : DispatchProxy
{
    private IMetadataStore _inner = null!;

    public static IMetadataStore Wrap(IMetadataStore inner)
    {
        var proxy = Create<IMetadataStore, MeteredMetadataStore>();
        ((MeteredMetadataStore)(object)proxy)._inner = inner;
        return proxy;
    }

    protected override object? Invoke(MethodInfo? method, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(method);
        var start = Stopwatch.GetTimestamp();
        object? result;
        try
        {
            result = method.Invoke(_inner, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException);
            throw;
        }
        // The SQLite store answers synchronously: record at once rather than through a continuation.
        if (result is Task { IsCompleted: true }) Record(method.Name, start);
        else if (result is Task task)
        {
            // The caller awaits the same task; the measurement rides on its completion.
            var name = method.Name;
            task.ContinueWith(_ => Record(name, start), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        return result;
    }

    private static void Record(string method, long start) =>
        ServerMetrics.MetadataDuration.Record(Stopwatch.GetElapsedTime(start).TotalSeconds, new KeyValuePair<string, object?>("method", method));
}
