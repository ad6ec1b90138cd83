using System.CommandLine;
using Strata.Server;

namespace Strata.Cli;

/// <summary>The strata command, in the spirit of pachctl: serve, and repo / branch / commit / file / diff over the admin API and the gateway.</summary>
public static class StrataCli
{
    internal static readonly Option<string> Endpoint = new("--endpoint")
    {
        Description = "S3 gateway", Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("STRATA_ENDPOINT") ?? "http://127.0.0.1:30600",
    };
    internal static readonly Option<string> Admin = new("--admin")
    {
        Description = "admin API", Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("STRATA_ADMIN") ?? "http://127.0.0.1:30601",
    };
    internal static readonly Option<string?> Token = new("--token")
    {
        Description = "token (default: $STRATA_TOKEN, else <data-dir>/root-token)", Recursive = true,
    };
    internal static readonly Option<string> DataDir = new("--data-dir")
    {
        Description = "where to find root-token when no token is given", Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("STRATA_DATA_DIR") ?? "./strata-data",
    };
    internal static readonly Option<bool> Json = new("--json") { Description = "print JSON instead of tables", Recursive = true };

    public static async Task<int> RunAsync(string[] args, CliConsole console, CancellationToken ct)
    {
        var root = new RootCommand("Strata: a versioned data store with an S3 gateway");
        foreach (var o in new Option[] { Endpoint, Admin, Token, DataDir, Json }) root.Options.Add(o);
        root.Subcommands.Add(ServeCommand());
        foreach (var c in Commands.All(console)) root.Subcommands.Add(c);
        var parsed = root.Parse(args);
        try
        {
            // Signals are left to the program: `strata serve` shuts down gracefully on SIGTERM through its
            // host (System.CommandLine's own handler would end the process two seconds after it).
            return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, ct).ConfigureAwait(false);
        }
        catch (CliException e)
        {
            console.Error.WriteLine($"strata: {e.Message}");
            return 1;
        }
    }

    internal static string? ResolveToken(System.CommandLine.ParseResult pr)
    {
        if (pr.GetValue(Token) is { Length: > 0 } t) return t;
        if (Environment.GetEnvironmentVariable("STRATA_TOKEN") is { Length: > 0 } e) return e;
        var file = Path.Combine(pr.GetValue(DataDir)!, "root-token");
        return File.Exists(file) ? File.ReadAllText(file).Trim() : null;
    }

    private static Command ServeCommand()
    {
        var serve = new Command("serve", "run the server (S3 gateway and admin API); see `strata serve --help-server` for its flags")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        serve.SetAction(async (pr, ct) =>
        {
            var rest = pr.UnmatchedTokens.ToList();
            // --data-dir is a global option of the CLI too; pass it on to the server.
            if (pr.GetResult(DataDir) is not null) rest.AddRange(["--data-dir", pr.GetValue(DataDir)!]);
            if (rest.Contains("--help-server") || rest.Contains("--help") || rest.Contains("-h"))
            {
                Console.WriteLine(ServerOptions.Usage);
                return 0;
            }
            ServerOptions options;
            try
            {
                options = ServerOptions.Parse([.. rest]);
            }
            catch (Exception e) when (e is ArgumentException or FormatException)
            {
                Console.Error.WriteLine(e.Message);
                return 2;
            }
            StrataServer server;
            try
            {
                server = await StrataServer.CreateAsync(options, ct);
            }
            catch (Strata.Core.Storage.StorageConfigurationException e)
            {
                Console.Error.WriteLine($"strata: {e.Message}");
                return 2;
            }
            await using var _ = server;
            await server.StartAsync(ct);
            Console.WriteLine($"Strata S3 endpoint: {server.Endpoint}");
            Console.WriteLine($"Admin API:          {server.AdminEndpoint}/api  (metrics: {server.AdminEndpoint}/metrics)");
            Console.WriteLine($"Web console:        {server.AdminEndpoint}/");
            Console.WriteLine($"Data directory:     {server.DataDir}");
            Console.WriteLine($"Storage:            {server.StorageDescription}");
            if (server.AuthEnabled && server.RootToken.Length == 0)
            {
                // Only the root token's hash is in the store: a node that did not make it cannot print it.
                Console.WriteLine("Root token:         made by another node (or rotated there); this node has no valid copy in");
                Console.WriteLine($"                    {Path.Combine(server.DataDir, "root-token")}. Copy it from that node, or use a user's token.");
            }
            else if (server.AuthEnabled)
            {
                Console.WriteLine($"Root token:         stored in {Path.Combine(server.DataDir, "root-token")} (mode 0600)");
                Console.WriteLine("Use it as both key and secret, e.g.:");
                Console.WriteLine($"  export AWS_ACCESS_KEY_ID={server.RootToken} AWS_SECRET_ACCESS_KEY={server.RootToken}");
            }
            else
            {
                Console.WriteLine("**************************************************************************");
                Console.WriteLine("* AUTH IS OFF (--no-auth): anyone who can reach this port can read and   *");
                Console.WriteLine("* write everything. Use only as a local sandbox.                         *");
                Console.WriteLine("**************************************************************************");
            }
            await server.WaitForShutdownAsync();
            return 0;
        });
        return serve;
    }
}
