using System.CommandLine;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Transfer;
using Spectre.Console;
using static Strata.Cli.Commands;

namespace Strata.Cli;

/// <summary>file put (through the S3 gateway), get, list and history (through the admin API), with progress bars for transfers.</summary>
internal static class FileCommands
{
    public static Command Create(CliConsole console)
    {
        var file = new Command("file", "put, get, list files and show a file's history");
        var target = new Argument<string>("repo@ref:/path");
        var local = new Argument<string>("local") { Description = "local file ('-' for standard input / output)" };
        var localOpt = new Argument<string?>("local") { Description = "local file (default: the file's name; '-' for standard output)", Arity = ArgumentArity.ZeroOrOne };

        var put = new Command("put", "upload a local file into a branch (one commit, or into the open commit)");
        put.Arguments.Add(target);
        put.Arguments.Add(local);
        put.SetAction((pr, ct) => Run(console, () => PutAsync(console, pr, pr.GetValue(target)!, pr.GetValue(local)!, ct)));
        file.Subcommands.Add(put);

        var get = new Command("get", "download a file as it is at any branch, commit or ancestry expression");
        get.Arguments.Add(target);
        get.Arguments.Add(localOpt);
        get.SetAction((pr, ct) => Run(console, () => GetAsync(console, pr, pr.GetValue(target)!, pr.GetValue(localOpt), ct)));
        file.Subcommands.Add(get);

        var dir = new Argument<string>("repo@ref[:/dir]");
        file.Subcommands.Add(Leaf(console, "list", "files under a directory at any reference", [dir],
            (pr, a, ct) =>
            {
                var r = FileRef.Parse(pr.GetValue(dir)!);
                var prefix = r.Path is { Length: > 0 } p ? (p.EndsWith('/') ? p : p + "/") : "";
                return a.GetAsync($"repos/{r.Repo}/files?at={Uri.EscapeDataString(r.Ref!)}&prefix={Uri.EscapeDataString(prefix)}&limit=10000", ct);
            },
            r => Table(console, r.GetProperty("files").EnumerateArray(), ("PATH", x => S(x, "path")), ("SIZE", x => Size(x, "size")),
                ("COMMIT", x => S(x, "commit")), ("MODIFIED", x => Time(x, "modified")))));
        file.Subcommands.Add(Leaf(console, "history", "the commits that changed a file, newest first", [target],
            (pr, a, ct) =>
            {
                var r = FileRef.Parse(pr.GetValue(target)!);
                if (r.Path is null) throw new CliException("history needs a path: repo@ref:/path");
                return a.GetAsync($"repos/{r.Repo}/history?at={Uri.EscapeDataString(r.Ref!)}&path={Uri.EscapeDataString(r.Path)}", ct);
            },
            r => Table(console, r.EnumerateArray(), ("COMMIT", x => S(x, "commit")), ("CHANGE", x => S(x, "deleted") == "True" ? "deleted" : "written"),
                ("SIZE", x => Size(x, "size")), ("MODIFIED", x => Time(x, "modified")))));
        return file;
    }

    private static async Task<int> Run(CliConsole console, Func<Task> action)
    {
        try
        {
            await action();
            return 0;
        }
        catch (CliException e)
        {
            console.Error.WriteLine($"strata: {e.Message}");
            return 1;
        }
        catch (AmazonS3Exception e)
        {
            console.Error.WriteLine($"strata: {e.ErrorCode}: {e.Message}");
            return 1;
        }
    }

    private static async Task PutAsync(CliConsole console, ParseResult pr, string targetText, string localPath, CancellationToken ct)
    {
        var r = FileRef.Parse(targetText);
        if (r.Path is not { Length: > 0 }) throw new CliException("put needs a path: repo@branch:/path");
        var token = StrataCli.ResolveToken(pr) ?? "anonymous";
        using var s3 = new AmazonS3Client(new BasicAWSCredentials(token, token), new AmazonS3Config
        {
            ServiceURL = pr.GetValue(StrataCli.Endpoint), ForcePathStyle = true, AuthenticationRegion = "us-east-1",
        });
        using var tu = new TransferUtility(s3);
        var bucket = $"{r.Ref}.{r.Repo}";
        if (localPath == "-")
        {
            await tu.UploadAsync(new TransferUtilityUploadRequest { BucketName = bucket, Key = r.Path, InputStream = Console.OpenStandardInput() }, ct);
            return;
        }
        if (!File.Exists(localPath)) throw new CliException($"{localPath}: no such file");
        var request = new TransferUtilityUploadRequest { BucketName = bucket, Key = r.Path, FilePath = localPath };
        await WithProgressAsync(console, $"put {r.Path}", new FileInfo(localPath).Length, async report =>
        {
            request.UploadProgressEvent += (_, e) => report(e.TransferredBytes);
            await tu.UploadAsync(request, ct);
        });
        console.Out.MarkupLineInterpolated($"put {localPath} -> {r.Repo}@{r.Ref}:/{r.Path}");
    }

    private static async Task GetAsync(CliConsole console, ParseResult pr, string targetText, string? localPath, CancellationToken ct)
    {
        var r = FileRef.Parse(targetText);
        if (r.Path is not { Length: > 0 }) throw new CliException("get needs a path: repo@ref:/path");
        using var admin = AdminClient.Create(pr.GetValue(StrataCli.Admin)!, StrataCli.ResolveToken(pr));
        using var resp = await admin.Http.GetAsync($"api/repos/{r.Repo}/content?at={Uri.EscapeDataString(r.Ref!)}&path={Uri.EscapeDataString(r.Path)}",
            HttpCompletionOption.ResponseHeadersRead, ct);
        if (!resp.IsSuccessStatusCode) throw new CliException($"{(int)resp.StatusCode}: {await resp.Content.ReadAsStringAsync(ct)}");
        await using var body = await resp.Content.ReadAsStreamAsync(ct);
        if (localPath == "-")
        {
            await body.CopyToAsync(Console.OpenStandardOutput(), ct);
            return;
        }
        var dest = localPath ?? Path.GetFileName(r.Path);
        var tmp = dest + ".strata-part";
        await WithProgressAsync(console, $"get {r.Path}", resp.Content.Headers.ContentLength ?? 0, async report =>
        {
            await using var fs = File.Create(tmp);
            var buf = new byte[1 << 16];
            long total = 0;
            int n;
            while ((n = await body.ReadAsync(buf, ct)) > 0)
            {
                await fs.WriteAsync(buf.AsMemory(0, n), ct);
                report(total += n);
            }
        });
        File.Move(tmp, dest, overwrite: true);
        console.Out.MarkupLineInterpolated($"got {r.Repo}@{r.Ref}:/{r.Path} -> {dest}");
    }

    /// <summary>A progress bar on a terminal; silent otherwise (scripts, tests).</summary>
    private static async Task WithProgressAsync(CliConsole console, string label, long size, Func<Action<long>, Task> work)
    {
        if (!console.Interactive || size == 0)
        {
            await work(_ => { });
            return;
        }
        await console.Out.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(label), maxValue: size);
                await work(done => task.Value = done);
                task.Value = size;
            });
    }
}
