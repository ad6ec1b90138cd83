using System.Reflection;

namespace Strata.Micro;

/// <summary>
/// An implementation of a wide interface (IMetadataStore, IAccessStore) with only the methods a
/// benchmark calls; any other call throws. Saves mirroring every member of the interface here.
/// </summary>
public class Stub : DispatchProxy
{
    private IReadOnlyDictionary<string, Func<object?[], object?>> _methods = new Dictionary<string, Func<object?[], object?>>();

    public static T Create<T>(IReadOnlyDictionary<string, Func<object?[], object?>> methods) where T : class
    {
        var proxy = Create<T, Stub>();
        ((Stub)(object)proxy)._methods = methods;
        return proxy;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
        targetMethod is not null && _methods.TryGetValue(targetMethod.Name, out var f)
            ? f(args ?? [])
            : throw new NotSupportedException($"{targetMethod?.Name} is not stubbed in the benchmarks");
}
