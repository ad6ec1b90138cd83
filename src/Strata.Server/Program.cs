using Strata.Server;

ServerOptions options;
try
{
    options = ServerOptions.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}
await using var server = StrataServer.Create(options);
await server.StartAsync();
Console.WriteLine($"Strata S3 endpoint: {server.Endpoint}");
Console.WriteLine($"Admin API:          {server.AdminEndpoint}/api");
Console.WriteLine($"Data directory:     {server.DataDir}");
if (server.AuthEnabled)
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
