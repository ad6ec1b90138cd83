using System.Runtime.InteropServices;
using Strata.Core;
using Strata.Core.Storage;

namespace Strata.Storage.FileSystem;

/// <summary>
/// Chunks as files under <c>root/ab/cd/&lt;hash&gt;</c>. A chunk is written to a temporary name,
/// fsynced, renamed into place, and its directory fsynced, so a chunk file that exists is whole.
/// </summary>
public sealed class FileChunkStore : IChunkStore
{
    private readonly string _root;

    public FileChunkStore(string root)
    {
        _root = root;
        var tmp = Path.Combine(root, "tmp");
        Directory.CreateDirectory(tmp);
        // Temporary files left by a crash were never renamed into place: nothing refers to them.
        foreach (var f in Directory.EnumerateFiles(tmp)) File.Delete(f);
    }

    private string PathOf(Hash id)
    {
        var hex = id.ToString();
        return Path.Combine(_root, hex[..2], hex[2..4], hex);
    }

    public Task<bool> ExistsAsync(Hash id, CancellationToken ct) => Task.FromResult(File.Exists(PathOf(id)));

    public async Task PutAsync(Hash id, ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        var final = PathOf(id);
        var dir = Path.GetDirectoryName(final)!;
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(_root, "tmp", Guid.NewGuid().ToString("N"));
        try
        {
            await using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous))
            {
                await fs.WriteAsync(data, ct).ConfigureAwait(false);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, final, overwrite: true);
            SyncDirectory(dir);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    public Task<Stream> OpenAsync(Hash id, long offset, CancellationToken ct)
    {
        try
        {
            var fs = new FileStream(PathOf(id), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
            if (offset > 0) fs.Seek(offset, SeekOrigin.Begin);
            return Task.FromResult<Stream>(fs);
        }
        catch (FileNotFoundException)
        {
            throw new StrataException(StoreError.Corrupt, $"chunk {id} is missing");
        }
        catch (DirectoryNotFoundException)
        {
            throw new StrataException(StoreError.Corrupt, $"chunk {id} is missing");
        }
    }

    // .NET cannot fsync a directory; the rename is only durable once the directory entry is.
    private static void SyncDirectory(string dir)
    {
        if (!OperatingSystem.IsLinux()) return;
        var fd = Native.open(dir, 0 /* O_RDONLY */);
        if (fd < 0) return;
        Native.fsync(fd);
        Native.close(fd);
    }

    private static partial class Native
    {
        [DllImport("libc", SetLastError = true)] public static extern int open([MarshalAs(UnmanagedType.LPStr)] string path, int flags);
        [DllImport("libc")] public static extern int fsync(int fd);
        [DllImport("libc")] public static extern int close(int fd);
    }
}
