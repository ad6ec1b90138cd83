using Strata.Cli;

return await StrataCli.RunAsync(args, CliConsole.Standard(), CancellationToken.None);
