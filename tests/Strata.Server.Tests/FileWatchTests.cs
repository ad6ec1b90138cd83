using Amazon.S3.Model;

namespace Strata.Server.Tests;

/// <summary>
/// The server run where its data dir is (the default `./strata-data` is under the working
/// directory) watches no files: ASP.NET's default configuration put a recursive inotify watch on
/// the working directory, so every chunk directory got a watch of its own (a user's inotify limit is
/// often 8,192, and a data dir has up to 65,536 of them) and every chunk and WAL write woke a thread.
/// </summary>
public sealed class FileWatchTests
{
    [Fact]
    public async Task TheServerWatchesNoFilesInItsWorkingDirectory() // reads Linux's /proc, as CI runs on Linux
    {
        await using var inDataDir = new StrataNode(null, "watch") { RunInDataDir = true };
        await inDataDir.StartAsync();
        using var s3 = inDataDir.Client();
        await s3.PutBucketAsync("master.watch");
        var body = new byte[3 << 20];
        new Random(7).NextBytes(body);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "master.watch", Key = "big", InputStream = new MemoryStream(body) });
        // The body went to chunk files, in directories made for them after the server started.
        Assert.Contains(Directory.EnumerateFiles(Path.Combine(inDataDir.DataDir, "chunks"), "*", SearchOption.AllDirectories), f => Path.GetFileName(Path.GetDirectoryName(f)) != "tmp");

        var watches = new List<string>();
        foreach (var fd in Directory.EnumerateFiles($"/proc/{inDataDir.ProcessId}/fdinfo"))
        {
            try { watches.AddRange(File.ReadAllLines(fd).Where(l => l.StartsWith("inotify wd:", StringComparison.Ordinal))); }
            catch (IOException) { } // closed meanwhile
        }
        Assert.True(watches.Count == 0, $"{watches.Count} inotify watches, e.g. {watches.FirstOrDefault()}");
    }
}
