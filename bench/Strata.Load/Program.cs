using System.Diagnostics;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

// An end-to-end load tool: drives one or more running S3 endpoints with AWSSDK.S3 and prints
// ops/s, MB/s and latency percentiles. Connections are spread round-robin over the endpoints.
//   dotnet run --project bench/Strata.Load -c Release -- put --endpoint http://127.0.0.1:30600[,http://...]
//       --token T --bucket master.bench --size 4096 --connections 16 --seconds 10
//   ... get   (reads the keys a put run of the same bucket wrote: run put first)
//   ... put --size 1073741824 --connections 1 --count 1   (one large object)
//   ... --raw: plain unsigned HTTP (HttpClient) instead of the SDK, for a server without auth
//       (strata --no-auth, s3rver, nginx for GETs): the client's own cost is then small
//   ... md5 --size 1073741824: this machine's single-core MD5 rate in 1 MiB appends (the limit of one PUT stream)
// Every object's body is distinct (stamped with the object's number), so no server can deduplicate them.
var o = Options.Parse(args);
if (o.Mode == "md5") return Md5Rate(o.Size);
var clients = o.Endpoints.Select(e => new AmazonS3Client(new BasicAWSCredentials(o.Token, o.Token), new AmazonS3Config
{
    ServiceURL = e, ForcePathStyle = true, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0, Timeout = TimeSpan.FromMinutes(10),
    // Plain signed bodies with Content-Length, as most clients send small PUTs.
    RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
    ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
})).ToArray();
var raw = o.Raw ? new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = o.Connections, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
    { Timeout = TimeSpan.FromMinutes(30) } : null;
if (raw is not null) await raw.PutAsync($"{o.Endpoints[0]}/{o.Bucket}", null); // creates the bucket if missing; any answer will do
else try { await clients[0].PutBucketAsync(o.Bucket); } catch (AmazonS3Exception e) when (e.StatusCode == System.Net.HttpStatusCode.Conflict) { }

var body = new byte[Math.Min(o.Size, 64L << 20)];
Random.Shared.NextBytes(body);
var latencies = new List<double>[o.Connections];
long bytes = 0, ops = 0, errors = 0;
var deadline = Stopwatch.StartNew();
var sw = Stopwatch.StartNew();
await Task.WhenAll(Enumerable.Range(0, o.Connections).Select(async c =>
{
    var s3 = clients[c % clients.Length];
    var mine = latencies[c] = [];
    for (var i = 0; ; i++)
    {
        var n = Interlocked.Increment(ref ops) - 1;
        if (o.Count > 0 ? n >= o.Count : deadline.Elapsed.TotalSeconds >= o.Seconds) break;
        var key = $"k/{c:D3}/{(o.Mode == "get" ? i % Math.Max(1, o.Keys) : i):D7}";
        var t = Stopwatch.GetTimestamp();
        try
        {
            if (o.Raw)
            {
                Interlocked.Add(ref bytes, await RawAsync(raw!, o, key, body, n));
            }
            else if (o.Mode == "put")
            {
                await s3.PutObjectAsync(new PutObjectRequest
                {
                    BucketName = o.Bucket, Key = key, InputStream = new RepeatStream(body, o.Size, n), UseChunkEncoding = false,
                });
                Interlocked.Add(ref bytes, o.Size);
            }
            else
            {
                using var r = await s3.GetObjectAsync(o.Bucket, key);
                var buf = new byte[1 << 16];
                long got = 0;
                int k;
                while ((k = await r.ResponseStream.ReadAsync(buf)) > 0) got += k;
                Interlocked.Add(ref bytes, got);
            }
            mine.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
        }
        catch (Exception e) when (e is AmazonServiceException or AmazonClientException or HttpRequestException or IOException or TaskCanceledException)
        {
            if (Interlocked.Increment(ref errors) <= 3) Console.Error.WriteLine($"error: {e.Message}");
        }
    }
}));
var secs = sw.Elapsed.TotalSeconds;
var all = latencies.SelectMany(l => l).Order().ToArray();
double P(double q) => all.Length == 0 ? double.NaN : all[Math.Min(all.Length - 1, (int)(q * all.Length))];
Console.WriteLine($"{o.Mode} size={(o.Mode == "put" ? o.Size : (all.Length == 0 ? 0 : bytes / all.Length))} conns={o.Connections} endpoints={o.Endpoints.Length}: {all.Length} ok, {errors} errors in {secs:F1} s; " +
    $"{all.Length / secs:F0} ops/s, {bytes / secs / 1e6:F1} MB/s, p50 {P(0.5):F1} ms, p99 {P(0.99):F1} ms");
return errors == 0 ? 0 : 1;

static async Task<long> RawAsync(HttpClient http, Options o, string key, byte[] body, long n)
{
    var url = $"{o.Endpoints[(int)(n % o.Endpoints.Length)]}/{o.Bucket}/{key}";
    if (o.Mode == "put")
    {
        using var content = new StreamContent(new RepeatStream(body, o.Size, n), 1 << 20);
        content.Headers.ContentLength = o.Size;
        using var put = await http.PutAsync(url, content);
        if (!put.IsSuccessStatusCode) throw new HttpRequestException($"PUT {key}: {(int)put.StatusCode}");
        return o.Size;
    }
    using var get = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
    if (!get.IsSuccessStatusCode) throw new HttpRequestException($"GET {key}: {(int)get.StatusCode}");
    await using var s = await get.Content.ReadAsStreamAsync();
    var buf = new byte[1 << 16];
    long got = 0;
    int k;
    while ((k = await s.ReadAsync(buf)) > 0) got += k;
    return got;
}

static int Md5Rate(long size)
{
    var buf = new byte[1 << 20];
    Random.Shared.NextBytes(buf);
    using var md5 = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.MD5);
    md5.AppendData(buf); // warm up
    md5.GetHashAndReset();
    var sw = Stopwatch.StartNew();
    for (long done = 0; done < size; done += buf.Length) md5.AppendData(buf);
    md5.GetHashAndReset();
    Console.WriteLine($"md5 size={size}: {size / sw.Elapsed.TotalSeconds / 1e6:F1} MB/s on one core");
    return 0;
}

sealed record Options(string Mode, string[] Endpoints, string Token, string Bucket, long Size, int Connections, double Seconds, long Count, int Keys, bool Raw)
{
    public static Options Parse(string[] a)
    {
        string Get(string name, string dflt) { var i = Array.IndexOf(a, name); return i >= 0 && i + 1 < a.Length ? a[i + 1] : dflt; }
        var mode = a.Length > 0 && !a[0].StartsWith('-') ? a[0] : "put";
        return new Options(mode, Get("--endpoint", "http://127.0.0.1:30600").Split(','),
            Get("--token", Environment.GetEnvironmentVariable("STRATA_TOKEN") ?? ""), Get("--bucket", "master.bench"),
            long.Parse(Get("--size", "4096")), int.Parse(Get("--connections", "16")), double.Parse(Get("--seconds", "10")),
            long.Parse(Get("--count", "0")), int.Parse(Get("--keys", "100")), a.Contains("--raw"));
    }
}

/// <summary>A body of any length made from one buffer: a 1 GiB PUT without 1 GiB in memory; distinct for each salt.</summary>
sealed class RepeatStream(byte[] block, long length, long salt) : Stream
{
    private long _pos;
    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => length;
    public override long Position { get => _pos; set => _pos = value; }
    public override int Read(byte[] buffer, int offset, int count)
    {
        var n = (int)Math.Min(count, length - _pos);
        var done = 0;
        while (done < n)
        {
            var at = (int)((_pos + done) % block.Length);
            var k = Math.Min(n - done, block.Length - at);
            Buffer.BlockCopy(block, at, buffer, offset + done, k);
            done += k;
        }
        // Each pass over the block and each object is made distinct (a stamp every 64 KiB: object, pass), so
        // a large body does not dedupe against itself or another object. A stamp never straddles a read.
        for (var p = (_pos + 65535) / 65536 * 65536; p + 12 <= _pos + n; p += 65536)
        {
            BitConverter.TryWriteBytes(buffer.AsSpan(offset + (int)(p - _pos), 8), salt);
            BitConverter.TryWriteBytes(buffer.AsSpan(offset + (int)(p - _pos) + 8, 4), (int)(p / block.Length));
        }
        // Small bodies (below 64 KiB) carry the stamp at their start.
        if (length < 65536 && _pos == 0 && n >= 8) BitConverter.TryWriteBytes(buffer.AsSpan(offset, 8), salt);
        _pos += n;
        return n;
    }
    public override long Seek(long offset, SeekOrigin origin) => _pos = origin switch { SeekOrigin.Begin => offset, SeekOrigin.Current => _pos + offset, _ => length + offset };
    public override void Flush() { }
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
