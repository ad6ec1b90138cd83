using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using Strata.Micro;

// Micro benchmarks for the hot loops (issue 12): FastCDC, BLAKE3/MD5, tree put/lookup, node codec,
// SigV4 verification, aws-chunked decoding. Examples (see bench/README.md):
//   dotnet run -c Release --project bench/Strata.Micro -- --filter '*'
//   dotnet run -c Release --project bench/Strata.Micro -- --filter '*Cdc*'
//   dotnet run -c Release --project bench/Strata.Micro -- --filter '*Hash*' --job medium
// Without --job each benchmark runs a short job (1 launch, 3 warm-ups, 5 iterations), enough on a
// noisy shared machine to see orders of magnitude; pass --job medium|long for tighter figures.
public static class Program
{
    public static void Main(string[] args)
    {
        var jobGiven = args.Any(a => a is "--job" or "-j" || a.StartsWith("--job=", StringComparison.Ordinal));
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, MicroConfig.Create(addDefaultJob: !jobGiven));
    }
}
