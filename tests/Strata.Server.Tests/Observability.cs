using System.Globalization;
using System.Text.RegularExpressions;

namespace Strata.Server.Tests;

/// <summary>The Prometheus text format, read back: one value per metric name and label set.</summary>
public sealed partial class PrometheusText
{
    private readonly Dictionary<string, double> _values = [];

    public static async Task<PrometheusText> ScrapeAsync(string adminEndpoint)
    {
        using var http = new HttpClient();
        var text = await http.GetStringAsync($"{adminEndpoint}/metrics");
        var p = new PrometheusText();
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith('#') || Sample().Match(line) is not { Success: true } m) continue;
            var labels = Label().Matches(m.Groups["labels"].Value)
                .Where(l => l.Groups[1].Value != "otel_scope_name")
                .Select(l => $"{l.Groups[1].Value}={l.Groups[2].Value}").Order(StringComparer.Ordinal);
            p._values[Key(m.Groups["name"].Value, labels)] = double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture);
        }
        return p;
    }

    private static string Key(string name, IEnumerable<string> labels) => $"{name}{{{string.Join(',', labels)}}}";

    /// <summary>The sample with exactly these labels (besides the exporter's scope label); 0 when absent, as a counter never incremented.</summary>
    public double Get(string name, params (string Label, string Value)[] labels) =>
        _values.GetValueOrDefault(Key(name, labels.Select(l => $"{l.Label}={l.Value}").Order(StringComparer.Ordinal)));

    public bool Has(string name) => _values.Keys.Any(k => k.StartsWith(name + "{", StringComparison.Ordinal));

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})? (?<value>\S+)")]
    private static partial Regex Sample();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)=""((?:[^""\\]|\\.)*)""")]
    private static partial Regex Label();
}

/// <summary>A request body of N pseudo-random bytes produced at a bounded rate, so that a test can act while it is in flight.</summary>
public sealed class ThrottledBody(long length, double bytesPerSecond) : Stream
{
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private readonly Random _random = new(7);
    private long _sent;

    /// <summary>Bytes handed to the HTTP client so far.</summary>
    public long Sent => Interlocked.Read(ref _sent);

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => length;
    public override long Position { get => _sent; set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        var n = (int)Math.Min(Math.Min(buffer.Length, 1 << 20), length - _sent);
        if (n <= 0) return 0;
        var due = TimeSpan.FromSeconds(_sent / bytesPerSecond) - _clock.Elapsed;
        if (due > TimeSpan.Zero) await Task.Delay(due, ct);
        _random.NextBytes(buffer.Span[..n]);
        Interlocked.Add(ref _sent, n);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();
    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
