using System.Diagnostics;

namespace Strata.Server.Tests;

/// <summary>Runs the Debian AWS CLI (/usr/bin/aws) against a test server.</summary>
public sealed class AwsCli(string endpoint, string home, string token)
{
    public const string Path = "/usr/bin/aws";

    public async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        var psi = new ProcessStartInfo(Path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add("--endpoint-url");
        psi.ArgumentList.Add(endpoint);
        psi.Environment["AWS_ACCESS_KEY_ID"] = token;
        psi.Environment["AWS_SECRET_ACCESS_KEY"] = token;
        psi.Environment["AWS_DEFAULT_REGION"] = "us-east-1";
        psi.Environment["AWS_PAGER"] = "";
        psi.Environment["AWS_EC2_METADATA_DISABLED"] = "true";
        psi.Environment["HOME"] = home;
        psi.Environment["AWS_CONFIG_FILE"] = System.IO.Path.Combine(home, "config");
        using var p = Process.Start(psi)!;
        var so = p.StandardOutput.ReadToEndAsync();
        var se = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await so, await se);
    }

    public async Task<string> OkAsync(params string[] args)
    {
        var (code, o, e) = await RunAsync(args);
        Assert.True(code == 0, $"aws {string.Join(' ', args)} exited {code}: {e}");
        return o;
    }
}
